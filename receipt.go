package signet

import (
	"bytes"
	stdjson "encoding/json"
	"fmt"
	"math"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/transparency-dev/formats/proof"
	"golang.org/x/mod/sumdb/tlog"
)

// A Receipt is a self-contained, offline-checkable proof that a record is
// in the log: a c2sp.org/tlog-proof@v1 proof ([ParseTLogProof]) of the
// record's leaf in a checkpoint that carries its witnesses'
// cosignatures, whose extra data holds the record itself and the key
// record that makes its signature checkable. docs/PROTOCOL.md ("Receipts")
// specifies the file; [Receipt.Verify] checks one.
//
// The extra data is one JSON object, compact, with the members in this
// order:
//
//	{"record": <export line>,
//	 "key": {"record": <export line>, "inclusion": [<base64 hash>, ...]},
//	 "revocation": {"record": <export line>, "inclusion": [...]}}
//
// record is the record as an export line holds it ([WireRecord], jws
// always present). key, absent for a registration (which carries its own
// key) and for the operator's records (which have no signature), is the
// registration or key change that added the key that signed record, with
// its inclusion proof in the same checkpoint. revocation, optional, is a
// revocation of that key in the checkpoint.
type Receipt struct {
	// Index is the proof's index line: the leaf Proof proves. It must be
	// Record.Index.
	Index      int64
	Record     *WireRecord
	Key        *ReceiptRecord // Optional: see the type's documentation.
	Revocation *ReceiptRecord // Optional.
	Proof      []tlog.Hash    // Record's inclusion proof in Checkpoint
	// Checkpoint is the log's checkpoint note, verbatim, with every
	// cosignature line the receipt's maker had for it.
	Checkpoint []byte
}

// ReceiptRecord is a key record a receipt carries, with its inclusion
// proof in the receipt's checkpoint.
type ReceiptRecord struct {
	Record    *WireRecord `json:"record"`
	Inclusion []tlog.Hash `json:"inclusion"`
}

// receiptExtra is the JSON of a receipt's extra data, as written.
type receiptExtra struct {
	Record     *WireRecord    `json:"record"`
	Key        *ReceiptRecord `json:"key,omitempty"`
	Revocation *ReceiptRecord `json:"revocation,omitempty"`
}

// rawReceiptRecord is a [ReceiptRecord] as read, its record still JSON.
type rawReceiptRecord struct {
	Record    jsontext.Value `json:"record"`
	Inclusion []tlog.Hash    `json:"inclusion"`
}

// Marshal returns the receipt file: the tlog-proof that
// transparency-dev/formats' [proof.TLogProof.Marshal] writes, its extra
// data the receipt's JSON as encoding/json writes it (compact, "<", ">"
// and "&" escaped).
func (r *Receipt) Marshal() ([]byte, error) {
	x := receiptExtra{Record: r.Record, Key: nonNil(r.Key), Revocation: nonNil(r.Revocation)}
	extra, err := stdjson.Marshal(x)
	if err != nil {
		return nil, fmt.Errorf("signet: receipt: %w", err)
	}
	p := proof.TLogProof{Index: uint64(r.Index), Hashes: make([][32]byte, len(r.Proof)), Checkpoint: r.Checkpoint, ExtraData: extra}
	for i, h := range r.Proof {
		p.Hashes[i] = h
	}
	return p.Marshal(), nil
}

// nonNil gives a ReceiptRecord an empty, not null, inclusion proof.
func nonNil(r *ReceiptRecord) *ReceiptRecord {
	if r == nil || r.Inclusion != nil {
		return r
	}
	return &ReceiptRecord{Record: r.Record, Inclusion: []tlog.Hash{}}
}

// ParseReceipt parses a receipt file. It accepts exactly the bytes
// [Receipt.Marshal] writes for the result: the tlog-proof in its one
// form ([ParseTLogProof]), an extra line, the extra data one strict JSON
// object of the receipt's members (exact names, none twice, none other;
// key and revocation optional) in the spelling Marshal gives it, each
// record an export line of a record ([ParseExportLine]), and a checkpoint
// with the form of a signed checkpoint. It verifies nothing: see
// [Receipt.Verify]. Every error wraps [ErrBadProof].
func ParseReceipt(b []byte) (*Receipt, error) {
	bad := func(format string, args ...any) (*Receipt, error) {
		return nil, fmt.Errorf("%w: receipt: %s", ErrBadProof, fmt.Sprintf(format, args...))
	}
	p, err := ParseTLogProof(b)
	if err != nil {
		return nil, err
	}
	if p.ExtraData == nil {
		return bad("no extra line: a receipt carries its record there")
	}
	if p.Index > math.MaxInt64 {
		return bad("index %d is out of range", p.Index)
	}
	var x struct {
		Record     jsontext.Value    `json:"record"`
		Key        *rawReceiptRecord `json:"key"`
		Revocation *rawReceiptRecord `json:"revocation"`
	}
	if err := json.Unmarshal(p.ExtraData, &x, json.RejectUnknownMembers(true)); err != nil {
		return bad("the extra data is not the receipt's JSON object: %s", trunc(err.Error()))
	}
	r := &Receipt{Index: int64(p.Index), Proof: make([]tlog.Hash, len(p.Hashes)), Checkpoint: p.Checkpoint}
	for i, h := range p.Hashes {
		r.Proof[i] = h
	}
	if r.Record, err = receiptRecordLine(x.Record, "record"); err != nil {
		return bad("%v", err)
	}
	if r.Key, err = receiptKeyRecord(x.Key, "key"); err != nil {
		return bad("%v", err)
	}
	if r.Revocation, err = receiptKeyRecord(x.Revocation, "revocation"); err != nil {
		return bad("%v", err)
	}
	if _, err := SignatureLines(r.Checkpoint); err != nil {
		return bad("the checkpoint is not a signed note")
	}
	if _, err := ParseCheckpointUnverified(r.Checkpoint); err != nil {
		return bad("the checkpoint is not a checkpoint")
	}
	if again, err := r.Marshal(); err != nil || !bytes.Equal(again, b) {
		return bad("the extra data is not in the one spelling signet writes (compact JSON, members in order)")
	}
	return r, nil
}

// receiptRecordLine reads one record of a receipt: an export line.
func receiptRecordLine(v jsontext.Value, what string) (*WireRecord, error) {
	if v == nil {
		return nil, fmt.Errorf("no %s", what)
	}
	w, end, err := ParseExportLine(v)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if end != nil {
		return nil, fmt.Errorf("%s is an export's end line, not a record", what)
	}
	return w, nil
}

func receiptKeyRecord(raw *rawReceiptRecord, what string) (*ReceiptRecord, error) {
	if raw == nil {
		return nil, nil
	}
	w, err := receiptRecordLine(raw.Record, what+" record")
	if err != nil {
		return nil, err
	}
	if raw.Inclusion == nil {
		return nil, fmt.Errorf("%s has no inclusion proof", what)
	}
	if len(raw.Inclusion) > maxProofHashes {
		return nil, fmt.Errorf("%s has more than %d proof hashes", what, maxProofHashes)
	}
	return &ReceiptRecord{Record: w, Inclusion: raw.Inclusion}, nil
}
