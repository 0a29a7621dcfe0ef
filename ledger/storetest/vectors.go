package storetest

import (
	"bytes"
	"context"
	"io"
	"testing"

	"github.com/signet-ledger/signet"
	"github.com/signet-ledger/signet/internal/vectors"
	"github.com/signet-ledger/signet/ledger"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// TestVectors runs the conformance vectors (package internal/vectors)
// through the two ways records reach a store without admission:
//
//   - Import: [ledger.Import], reading the export with
//     [signet.ExportReader] as signetd import does, accepts exactly the
//     valid vectors and refuses every other for the rule the manifest
//     names, leaving the store empty (no head, no checkpoint);
//   - Verify: with a vector's records written behind the rules (its valid
//     prefix imported, the rest inserted as they are), [ledger.Log.Verify]
//     reports a problem on the offending record, and passes every record
//     of the valid vectors.
//
// Vectors whose rule one of the two cannot see are listed, with the
// reason, in importExempt and verifyExempt.
func TestVectors(t *testing.T, b Backend) {
	t.Run("Import", func(t *testing.T) { testImportVectors(t, b) })
	t.Run("Verify", func(t *testing.T) { testVerifyVectors(t, b) })
}

// importExempt are the vectors whose rule is not ledger.Import's to
// apply: signetd import applies them, by auditing the export before
// importing it (cmd/signetd's TestImportVectorsProcess).
var importExempt = map[string]string{
	"r24-wrong-checkpoint-key": "Import takes a checkpoint its caller opened with the log key (signet.OpenCheckpoint, R24)",
	"r26-fork":                 "Import has no checkpoint held apart to compare the export with",
}

// verifyExempt are the vectors whose defect is not in a stored record,
// so no store can hold it for Verify to find.
var verifyExempt = map[signet.Rule]string{
	signet.RuleFormat:         "the defect is in the export line's JSON, which no store keeps",
	signet.RuleTime:           "the defect is the time's spelling in the export line; a store keeps the instant, in microseconds",
	signet.RuleShownPayload:   "the shown payload is the export line's; a store keeps only the signed one",
	signet.RuleEnd:            "the defect is in the export's end line",
	signet.RuleCheckpoint:     "the defect is in the export's checkpoint",
	signet.RuleTree:           "the defect is in the export's end line or checkpoint",
	signet.RuleExternalCpoint: "the defect is in a checkpoint held apart",
}

// storedDefect are vectors of an exempt rule whose record is wrong in
// the store too.
var storedDefect = map[string]bool{
	// The line breaks R1 only because it shows the signed payload, whose
	// duplicate member the stored record keeps (R12 at admission).
	"r12-duplicate-member": true,
}

// storeRefuses are the vectors whose offending record the store itself
// refuses to hold: writing it must fail.
var storeRefuses = map[string]string{
	"r22-duplicate-nonce": "the unique index on records.nonce holds one record per nonce",
}

func testImportVectors(t *testing.T, b Backend) {
	for _, s := range vectors.Scenarios() {
		t.Run(s.Name, func(t *testing.T) {
			t.Parallel()
			x := build(t, s)
			cp, err := vectorCheckpoint(x.End.Checkpoint)
			if why, ok := importExempt[s.Name]; ok {
				t.Skip("not Import's rule: " + why)
			}
			if err != nil {
				t.Fatal(err)
			}
			st := b.Open(t, b.New(t))
			r := signet.NewExportReader(bytes.NewReader(x.Bytes()), 1<<20)
			n, err := ledger.Import(testCtx(t), st, r.Next, cp)
			h, herr := st.Head(testCtx(t))
			if herr != nil {
				t.Fatalf("Head() = %v", herr)
			}
			if s.Rule == "" {
				if err != nil || n != int64(len(x.Records)) || h.Size != n || !bytes.Equal(h.Checkpoint, cp.Note) {
					t.Fatalf("Import = %d, %v; head %d records; want %d records and the export's checkpoint", n, err, h.Size, len(x.Records))
				}
				return
			}
			if got := signet.RuleOf(err); got != s.Rule {
				t.Errorf("Import = %v (rule %q), want a break of %s", err, got, s.Rule)
			}
			if h.Size != 0 || len(h.Checkpoint) != 0 {
				t.Errorf("after a refused import the head is %d records, checkpoint %q; want an empty store", h.Size, h.Checkpoint)
			}
		})
	}
}

func testVerifyVectors(t *testing.T, b Backend) {
	for _, s := range vectors.Scenarios() {
		t.Run(s.Name, func(t *testing.T) {
			if why, ok := verifyExempt[s.Rule]; ok && !storedDefect[s.Name] {
				t.Skip("not a stored record's defect: " + why)
			}
			t.Parallel()
			x := build(t, s)
			st := b.Open(t, b.New(t))
			k := len(x.Records)
			if s.Rule != "" {
				k = int(s.FailIndex())
			}
			importPrefix(t, st, x, k)
			err := writeUnchecked(testCtx(t), st, x.Records[k:], x.End.Checkpoint)
			why, ok := storeRefuses[s.Name]
			if b.Gapless && s.Name == "r4-index-gap" {
				why, ok = "the store is gapless", true
			}
			if ok {
				if err == nil {
					t.Fatalf("the store held the offending record, though %s", why)
				}
				return
			}
			if err != nil {
				t.Fatalf("writing records %d to %d: %v", k, len(x.Records)-1, err)
			}
			l := vectorLedger(t, st)
			if s.Rule == "" {
				for i := range x.Records {
					if v, err := l.Verify(testCtx(t), int64(i)); err != nil || !passes(v) {
						t.Errorf("Verify(%d) = %+v, %v; want verified", i, v, err)
					}
				}
				return
			}
			i := s.FailIndex()
			v, err := l.Verify(testCtx(t), i)
			switch {
			case err != nil:
				t.Errorf("Verify(%d) = %v, want a reported problem", i, err)
			case v.Verified || len(v.Problems) == 0:
				t.Errorf("Verify(%d) = %+v, want a problem (the record breaks %s)", i, v, s.Rule)
			}
		})
	}
}

// passes reports whether v passed every check. A record signed by a key
// later declared compromised from its index or earlier (valid-control's
// record 6) is a valid record that Verify reports as suspect, with that
// one problem.
func passes(v *ledger.Verification) bool {
	c := v.Checks
	checks := c.Signature && c.RecordHash && c.ChainLink && c.Inclusion
	return v.Verified || checks && v.Suspect && len(v.Problems) == 1
}

func build(t *testing.T, s vectors.Scenario) *vectors.Export {
	x, err := s.Build()
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// vectorKeys are the vectors' log signer and verifier.
func vectorKeys() (note.Signer, note.Verifier) {
	skey := vectors.LogPrivateKey()
	s, err := note.NewSigner(skey)
	if err != nil {
		panic(err)
	}
	vkey, err := ledger.VerifierKey(skey)
	if err != nil {
		panic(err)
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		panic(err)
	}
	return s, v
}

func vectorCheckpoint(msg string) (*ledger.Checkpoint, error) {
	_, v := vectorKeys()
	return ledger.OpenCheckpoint([]byte(msg), vectors.Origin, v)
}

// vectorLedger opens a Log on st as the vectors' log.
func vectorLedger(t *testing.T, st ledger.Store) *ledger.Log {
	s, v := vectorKeys()
	l, err := ledger.Open(testCtx(t), ledger.Config{Store: st, Signer: s, Verifier: v, Origin: vectors.Origin})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(l.Close)
	return l
}

// importPrefix imports x's first k records, which keep every rule, with
// a checkpoint of them.
func importPrefix(t *testing.T, st ledger.Store, x *vectors.Export, k int) {
	t.Helper()
	if k == 0 {
		return
	}
	s, _ := vectorKeys()
	cp, err := vectorCheckpoint(vectors.Checkpoint(s, k, x.Root(k)))
	if err != nil {
		t.Fatal(err)
	}
	recs := x.Records[:k]
	next := func() (*ledger.Record, error) {
		if len(recs) == 0 {
			return nil, io.EOF
		}
		r := recs[0]
		recs = recs[1:]
		return r, nil
	}
	if _, err := ledger.Import(testCtx(t), st, next, cp); err != nil {
		t.Fatalf("importing the valid records 0 to %d: %v", k-1, err)
	}
}

// writeUnchecked appends recs to st as they are, one transaction each,
// with their tree hashes and a head carrying checkpoint, and no registry
// change: what anyone with write access to the database could do behind
// the log's back.
func writeUnchecked(ctx context.Context, st ledger.Store, recs []*ledger.Record, checkpoint string) error {
	for _, r := range recs {
		if j, err := r.JWS(); err == nil {
			r.Nonce = j.Header.Nonce
		}
		err := st.Sequence(ctx, func(ctx context.Context, tx ledger.Tx) error {
			snap, err := tx.Snapshot(ctx, ledger.SnapshotQuery{HashesFor: -1})
			if err != nil {
				return err
			}
			n := snap.Head.Size
			read := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) { return tx.ReadHashes(ctx, idx) })
			sh, err := tlog.StoredHashesForRecordHash(n, ledger.LeafHash(r.Hash), read)
			if err != nil {
				return err
			}
			b := &ledger.Batch{Records: []*ledger.Record{r}, Head: ledger.Head{Size: n + 1, Hash: r.Hash, Checkpoint: []byte(checkpoint)}}
			for i, h := range sh {
				b.Hashes = append(b.Hashes, ledger.StoredHash{Index: tlog.StoredHashIndex(0, n) + int64(i), Hash: h})
			}
			return tx.Write(ctx, b)
		})
		if err != nil {
			return err
		}
	}
	return nil
}
