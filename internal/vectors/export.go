package vectors

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"time"

	"github.com/signet-ledger/signet"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// Export is a scenario's log while it is written out: the sequenced
// records, then the export's lines. A scenario's hooks change it.
type Export struct {
	Records []*signet.Record
	Nonces  []string // the nonce each step was signed with

	// Set by a Records hook, read when the lines are written.
	Times map[int]string          // integrated_time text instead of the canonical one
	Shown map[int]json.RawMessage // payload shown instead of the signed one

	// Set when the lines are written; a Finish hook may change them.
	Lines    [][]byte // record lines, without newlines
	End      signet.WireExportEnd
	NoEnd    bool     // leave the end line out
	After    [][]byte // lines after the end line
	External []byte   // a checkpoint held apart, written as <name>.checkpoint
}

// epoch is the integrated time of record 0; record i is i seconds and
// i*1001 microseconds later.
var epoch = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// timeOf is the integrated time of record i.
func timeOf(i int) time.Time {
	return epoch.Add(time.Duration(i)*time.Second + time.Duration(i)*1001*time.Microsecond)
}

// nonceOf is the nonce of the step that writes record i.
func nonceOf(i int) string { return fmt.Sprintf("vectors-nonce-%03d", i) }

// sequence builds each step's request for [BaseURL] and sequences the
// records as the log would.
func sequence(steps []Step) (*Export, error) {
	x := &Export{Times: map[int]string{}, Shown: map[int]json.RawMessage{}}
	last := ""
	for i := range steps {
		s := &steps[i]
		nonce := nonceOf(i)
		if s.ReuseNonce {
			nonce = last
		}
		req, err := s.Request(BaseURL, nonce)
		if err != nil {
			return nil, fmt.Errorf("step %d: %w", i, err)
		}
		rec, err := s.record(req)
		if err != nil {
			return nil, fmt.Errorf("step %d: %w", i, err)
		}
		if !s.Operator && !s.NoNonce {
			last = nonce
		}
		rec.Index, rec.IntegratedTime = int64(i), timeOf(i)
		x.Records = append(x.Records, rec)
		x.Nonces = append(x.Nonces, req.Nonce)
	}
	x.Reseal(0)
	return x, nil
}

// Reseal recomputes the chain link and hash of every record from index
// from on, as the log would have written them after a change.
func (x *Export) Reseal(from int) {
	for i := from; i < len(x.Records); i++ {
		r := x.Records[i]
		r.PrevHash = signet.Hash{}
		if i > 0 {
			r.PrevHash = x.Records[i-1].Hash
		}
		r.Hash = signet.RecordHash(r)
	}
}

// Root returns the Merkle tree hash of the first n records' stated
// hashes.
func (x *Export) Root(n int) tlog.Hash {
	leaves := make([]tlog.Hash, n)
	for i := range leaves {
		leaves[i] = signet.LeafHash(x.Records[i].Hash)
	}
	return treeHash(leaves)
}

// treeHash is the RFC 6962 tree hash of leaves.
func treeHash(leaves []tlog.Hash) tlog.Hash {
	switch len(leaves) {
	case 0:
		return tlog.Hash{}
	case 1:
		return leaves[0]
	}
	k := 1
	for k*2 < len(leaves) {
		k *= 2
	}
	return tlog.NodeHash(treeHash(leaves[:k]), treeHash(leaves[k:]))
}

// Checkpoint returns the checkpoint of size records with root, signed by
// s.
func Checkpoint(s note.Signer, size int, root tlog.Hash) string {
	cp, err := signet.SignCheckpoint(s, Origin, int64(size), root)
	if err != nil {
		panic(err) // an Ed25519 note signer does not fail
	}
	return string(cp)
}

// writeLines fills the lines and the end line from the records.
func (x *Export) writeLines() error {
	for i, r := range x.Records {
		b, err := json.Marshal(x.wire(i, r))
		if err != nil {
			return fmt.Errorf("record %d: %w", i, err)
		}
		x.Lines = append(x.Lines, b)
	}
	s, _ := noteKey("log")
	n := len(x.Records)
	x.End = signet.WireExportEnd{TreeSize: int64(n), Checkpoint: Checkpoint(s, n, x.Root(n)), Consistency: []tlog.Hash{}}
	return nil
}

// wire is record i as its export line shows it.
func (x *Export) wire(i int, r *signet.Record) *signet.WireRecord {
	shown, ok := x.Shown[i]
	if !ok {
		p, _ := base64.RawURLEncoding.DecodeString(r.Payload)
		if shown = p; !json.Valid(p) {
			shown = json.RawMessage("null")
		}
	}
	t, ok := x.Times[i]
	if !ok {
		t = r.IntegratedTime.Format(time.RFC3339Nano)
	}
	return &signet.WireRecord{Index: r.Index, Kind: string(r.Kind), Signer: r.Signer, KID: r.KID,
		IntegratedTime: t, Hash: r.Hash.String(), PrevHash: r.PrevHash.String(), Payload: shown,
		JWS: &signet.WireJWS{Protected: r.Protected, Payload: r.Payload, Signature: r.Signature}}
}

// Bytes returns the export as NDJSON.
func (x *Export) Bytes() []byte {
	var b bytes.Buffer
	for _, l := range x.Lines {
		b.Write(l)
		b.WriteByte('\n')
	}
	if !x.NoEnd {
		end, _ := json.Marshal(x.End)
		b.Write(end)
		b.WriteByte('\n')
	}
	for _, l := range x.After {
		b.Write(l)
		b.WriteByte('\n')
	}
	return b.Bytes()
}
