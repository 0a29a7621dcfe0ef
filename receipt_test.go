package signet_test

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	signet "github.com/signet-ledger/signet"
	"github.com/signet-ledger/signet/internal/signettest"
	"github.com/signet-ledger/signet/internal/vectors"
	"github.com/transparency-dev/formats/proof"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// vectorLog is the conformance vectors' valid export: its records, their
// tree and its checkpoint.
type vectorLog struct {
	wire       []*signet.WireRecord
	recs       []*signet.Record
	hashes     map[int64]tlog.Hash
	checkpoint []byte
}

func readVectorLog(t testing.TB) *vectorLog {
	t.Helper()
	f, err := os.Open("testdata/vectors/valid-control.ndjson")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	l := &vectorLog{hashes: map[int64]tlog.Hash{}}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		w, end, err := signet.ParseExportLine(sc.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		if end != nil {
			l.checkpoint = []byte(end.Checkpoint)
			continue
		}
		rec, err := w.Record()
		if err != nil {
			t.Fatal(err)
		}
		sh, err := tlog.StoredHashes(rec.Index, rec.Hash[:], l)
		if err != nil {
			t.Fatal(err)
		}
		for k, h := range sh {
			l.hashes[tlog.StoredHashIndex(0, rec.Index)+int64(k)] = h
		}
		l.wire, l.recs = append(l.wire, w), append(l.recs, rec)
	}
	return l
}

// ReadHashes makes a vectorLog a [tlog.HashReader].
func (l *vectorLog) ReadHashes(idx []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(idx))
	for i, x := range idx {
		h, ok := l.hashes[x]
		if !ok {
			return nil, fmt.Errorf("no stored hash %d", x)
		}
		out[i] = h
	}
	return out, nil
}

func (l *vectorLog) proved(t testing.TB, i int64) *signet.ReceiptRecord {
	t.Helper()
	p, err := tlog.ProveRecord(int64(len(l.recs)), i, l)
	if err != nil {
		t.Fatal(err)
	}
	return &signet.ReceiptRecord{Record: l.wire[i], Inclusion: p}
}

// receipt is the receipt of record i in the export's checkpoint, with
// the key records the log holds for its key, found by replaying it.
func (l *vectorLog) receipt(t testing.TB, i int64) *signet.Receipt {
	t.Helper()
	me := l.proved(t, i)
	r := &signet.Receipt{Index: i, Record: me.Record, Proof: me.Inclusion, Checkpoint: l.checkpoint}
	rec := l.recs[i]
	if rec.Kind == signet.KindRegistered || rec.KID == "" {
		return r
	}
	for _, other := range l.recs {
		e, err := signet.DecodeRecord(other)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case e.NewKey != nil && e.NewKey.Thumbprint() == rec.KID:
			r.Key = l.proved(t, other.Index)
		case e.Revoke != nil && e.Revoke.KID == rec.KID:
			r.Revocation = l.proved(t, other.Index)
		}
	}
	return r
}

func TestReceiptVerifies(t *testing.T) {
	l := readVectorLog(t)
	w := signettest.NewWitness(t, "witness.example/w1")
	policy, err := signet.ParsePolicy([]byte(fmt.Sprintf("log %s\nwitness W1 %s\nquorum W1\n", vectors.LogKey(), w.VKey)))
	if err != nil {
		t.Fatal(err)
	}
	cosigned := w.Cosign(t, l.checkpoint)
	for i := range int64(len(l.recs)) {
		r := l.receipt(t, i)
		r.Checkpoint = cosigned
		b, err := r.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		parsed, err := signet.ParseReceipt(b)
		if err != nil {
			t.Fatalf("ParseReceipt(receipt of record %d) = %v", i, err)
		}
		v, err := parsed.Verify("", policy)
		if i == 6 { // signed by bob's first key, declared compromised from 6 by record 7
			if !isCheck(err, signet.ReceiptKey) || !strings.Contains(err.Error(), "compromised from log index 6") {
				t.Errorf("Verify(receipt of record 6) = %v, want the key check to fail", err)
			}
			continue
		}
		if err != nil {
			t.Errorf("Verify(receipt of record %d) = %v", i, err)
			continue
		}
		if len(v.Cosigners) != 1 || v.KeyStatus == "" {
			t.Errorf("Verify(receipt of record %d) = %+v", i, v)
		}
		if _, err := parsed.Verify(vectors.LogKey(), nil); err != nil {
			t.Errorf("Verify(receipt of record %d, no policy) = %v", i, err)
		}
	}
}

// TestReceiptTampered changes one part of a valid receipt at a time and
// expects the check that covers it, and only the checks that depend on
// it, to fail.
func TestReceiptTampered(t *testing.T) {
	l := readVectorLog(t)
	w1, w2 := signettest.NewWitness(t, "witness.example/w1"), signettest.NewWitness(t, "witness.example/w2")
	policyText := fmt.Sprintf("log %s\nwitness W1 %s\nwitness W2 %s\ngroup G all W1 W2\nquorum G\n", vectors.LogKey(), w1.VKey, w2.VKey)
	policy, err := signet.ParsePolicy([]byte(policyText))
	if err != nil {
		t.Fatal(err)
	}
	cosigned := w2.Cosign(t, w1.Cosign(t, l.checkpoint))
	// Record 4 is an entry signed by alice's second key, added by record 3.
	valid := func() *signet.Receipt {
		r := l.receipt(t, 4)
		r.Checkpoint = cosigned
		return r
	}
	if _, err := valid().Verify("", policy); err != nil {
		t.Fatalf("the untampered receipt: %v", err)
	}
	_, otherKey, err := note.GenerateKey(rand.Reader, vectors.Origin) // a key named for the log, not its
	if err != nil {
		t.Fatal(err)
	}
	root := func(cp []byte, h tlog.Hash) []byte {
		lines := strings.SplitN(string(cp), "\n", 4)
		lines[2] = h.String()
		return []byte(strings.Join(lines, "\n"))
	}
	for _, tc := range []struct {
		name   string
		edit   func(r *signet.Receipt)
		logKey string
		policy string // replaces the policy when set
		want   []signet.ReceiptCheck
	}{
		{name: "payload", edit: func(r *signet.Receipt) {
			w := *r.Record
			w.JWS = &signet.WireJWS{Protected: w.JWS.Protected, Payload: base64.RawURLEncoding.EncodeToString([]byte(`{"amount":"1000000.00"}`)), Signature: w.JWS.Signature}
			w.Payload = []byte(`{"amount":"1000000.00"}`)
			r.Record = &w
		}, want: []signet.ReceiptCheck{signet.ReceiptRecordHash, signet.ReceiptSignature, signet.ReceiptInclusion}},
		{name: "shown payload", edit: func(r *signet.Receipt) {
			w := *r.Record
			w.Payload = []byte(`{"amount":"1000000.00"}`)
			r.Record = &w
		}, want: []signet.ReceiptCheck{signet.ReceiptPayload}},
		{name: "proof hash", edit: func(r *signet.Receipt) {
			r.Proof = append([]tlog.Hash{}, r.Proof...)
			r.Proof[1][0] ^= 1
		}, want: []signet.ReceiptCheck{signet.ReceiptInclusion}},
		{name: "index", edit: func(r *signet.Receipt) { r.Index = 5 },
			want: []signet.ReceiptCheck{signet.ReceiptIndex, signet.ReceiptInclusion}},
		{name: "root", edit: func(r *signet.Receipt) { r.Checkpoint = root(r.Checkpoint, tlog.Hash{1}) },
			want: []signet.ReceiptCheck{signet.ReceiptCheckpoint, signet.ReceiptWitnesses, signet.ReceiptKey, signet.ReceiptInclusion}},
		{name: "cosignature removed", edit: func(r *signet.Receipt) { r.Checkpoint = w1.Cosign(t, l.checkpoint) },
			want: []signet.ReceiptCheck{signet.ReceiptWitnesses}},
		{name: "key record", edit: func(r *signet.Receipt) { r.Key = l.proved(t, 0) },
			want: []signet.ReceiptCheck{signet.ReceiptKey}},
		{name: "key record's proof", edit: func(r *signet.Receipt) {
			k := *r.Key
			k.Inclusion = append([]tlog.Hash{}, k.Inclusion...)
			k.Inclusion[0][31] ^= 0x80
			r.Key = &k
		}, want: []signet.ReceiptCheck{signet.ReceiptKey}},
		{name: "no key record", edit: func(r *signet.Receipt) { r.Key = nil },
			want: []signet.ReceiptCheck{signet.ReceiptKey}},
		{name: "wrong log key in the policy", policy: fmt.Sprintf("log %s\nquorum none\n", otherKey),
			want: []signet.ReceiptCheck{signet.ReceiptCheckpoint}},
		{name: "policy and given log key differ", logKey: otherKey,
			want: []signet.ReceiptCheck{signet.ReceiptCheckpoint}},
		{name: "wrong log key given", logKey: otherKey, policy: "quorum none\n",
			want: []signet.ReceiptCheck{signet.ReceiptCheckpoint}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := valid()
			if tc.edit != nil {
				tc.edit(r)
			}
			p := policy
			if tc.policy != "" {
				if p, err = signet.ParsePolicy([]byte(tc.policy)); err != nil {
					t.Fatal(err)
				}
			}
			b, err := r.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			if r, err = signet.ParseReceipt(b); err != nil {
				t.Fatalf("ParseReceipt = %v", err)
			}
			v, err := r.Verify(tc.logKey, p)
			var got []signet.ReceiptCheck
			for _, f := range v.Failures() {
				got = append(got, f.Check)
			}
			var re *signet.ReceiptError
			if !errors.As(err, &re) || fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("Verify = %v; failed checks %v, want %v", err, got, tc.want)
			}
		})
	}
}

// TestReceiptRevokedKey: a receipt carrying the key's revocation before
// the record, or one declaring it compromised from before it, fails the
// key check; one after the record does not.
func TestReceiptRevokedKey(t *testing.T) {
	l := readVectorLog(t)
	r := l.receipt(t, 2) // signed by alice's first key, revoked by record 5
	if r.Revocation == nil || r.Revocation.Record.Index != 5 {
		t.Fatalf("the receipt of record 2 carries revocation %+v, want record 5", r.Revocation)
	}
	v, err := r.Verify(vectors.LogKey(), nil)
	if err != nil || !strings.Contains(v.KeyStatus, "revoked at log index 5") {
		t.Fatalf("Verify = %+v, %v", v, err)
	}
	// Record 5 presented as revoking the key that signs record 8, bob's,
	// is not a revocation of that key.
	r8 := l.receipt(t, 8)
	r8.Revocation = l.proved(t, 5)
	if _, err := r8.Verify(vectors.LogKey(), nil); !isCheck(err, signet.ReceiptKey) {
		t.Errorf("Verify(a revocation of another key) = %v, want the key check to fail", err)
	}
}

func isCheck(err error, c signet.ReceiptCheck) bool {
	var re *signet.ReceiptError
	return errors.As(err, &re) && re.Check == c
}

func TestParseReceiptRefuses(t *testing.T) {
	l := readVectorLog(t)
	good, err := l.receipt(t, 4).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := signet.ParseReceipt(good); err != nil {
		t.Fatal(err)
	}
	p, _ := signet.ParseTLogProof(good)
	extra := func(s string) string {
		q := *p
		q.ExtraData = []byte(s)
		return string(q.Marshal())
	}
	g := string(good)
	h0 := base64.StdEncoding.EncodeToString(p.Hashes[0][:])
	if h0[42] == 'B' {
		t.Fatalf("pick another hash: %s", h0)
	}
	for name, b := range map[string]string{
		"crlf":                strings.ReplaceAll(g, "\n", "\r\n"),
		"no final newline":    strings.TrimSuffix(g, "\n"),
		"leading zero":        strings.Replace(g, "\nindex 4\n", "\nindex 04\n", 1),
		"no index":            strings.Replace(g, "\nindex 4\n", "\n", 1),
		"other header":        strings.Replace(g, "c2sp.org/tlog-proof@v1", "c2sp.org/tlog-proof@v2", 1),
		"no extra":            string(proof.TLogProof{Index: p.Index, Hashes: p.Hashes, Checkpoint: p.Checkpoint}.Marshal()),
		"no checkpoint":       g[:strings.Index(g, "\n\n")+2],
		"extra not JSON":      extra("not json"),
		"unknown member":      extra(`{"record":` + string(mustJSON(t, l.wire[4])) + `,"x":1}`),
		"spaces in the extra": extra(`{"record": ` + string(mustJSON(t, l.wire[4])) + `}`),
		"end line as record":  extra(`{"record":{"tree_size":1,"checkpoint":"x","consistency":[]}}`),
		"non-canonical hash":  strings.Replace(g, h0, h0[:42]+"B=", 1),
	} {
		if _, err := signet.ParseReceipt([]byte(b)); !errors.Is(err, signet.ErrBadProof) {
			t.Errorf("ParseReceipt(%s) = %v, want ErrBadProof", name, err)
		}
	}
}

func mustJSON(t *testing.T, w *signet.WireRecord) []byte {
	r := &signet.Receipt{Record: w, Checkpoint: []byte("x\n")}
	b, err := r.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	p, err := signet.ParseTLogProof(b)
	if err != nil {
		t.Fatal(err)
	}
	s := string(p.ExtraData)
	return []byte(strings.TrimSuffix(strings.TrimPrefix(s, `{"record":`), "}"))
}

// FuzzReceipt: a receipt that parses re-encodes to the same bytes; its
// tlog-proof reads the same with transparency-dev/formats' own parser;
// and verifying it does not panic.
func FuzzReceipt(f *testing.F) {
	l := readVectorLog(f)
	for _, i := range []int64{0, 2, 4, 7} {
		b, err := l.receipt(f, i).Marshal()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("c2sp.org/tlog-proof@v1\nindex 0\n\nx\n1\nAAAA\n\n— x AAAA\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := signet.ParseTLogProof(b)
		if err != nil {
			return
		}
		if again := p.Marshal(); !bytes.Equal(again, b) {
			t.Fatalf("ParseTLogProof(%q).Marshal() = %q", b, again)
		}
		var oracle proof.TLogProof
		if err := oracle.Unmarshal(b); err == nil {
			if !bytes.Equal(oracle.Marshal(), b) {
				t.Fatalf("formats' parser reads %q as %+v", b, oracle)
			}
		} else if !strings.Contains(err.Error(), "token too long") {
			t.Fatalf("formats' parser refuses %q, which ParseTLogProof accepts: %v", b, err)
		}
		r, err := signet.ParseReceipt(b)
		if err != nil {
			return
		}
		if again, err := r.Marshal(); err != nil || !bytes.Equal(again, b) {
			t.Fatalf("ParseReceipt(%q).Marshal() = %q, %v", b, again, err)
		}
		r.Verify(vectors.LogKey(), nil)
	})
}
