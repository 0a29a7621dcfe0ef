package signet

import (
	"errors"
	"fmt"

	"github.com/signet-ledger/signet/keys"
	"github.com/signet-ledger/signet/registry"
	"golang.org/x/mod/sumdb/tlog"
)

// ReceiptCheck names one check of [Receipt.Verify].
type ReceiptCheck string

// The checks of a receipt, in the order Verify makes and reports them.
const (
	ReceiptCheckpoint ReceiptCheck = "checkpoint"  // the checkpoint is signed by the log's key
	ReceiptWitnesses  ReceiptCheck = "witnesses"   // its cosignatures meet the policy's quorum
	ReceiptIndex      ReceiptCheck = "index"       // the proof's index is the record's
	ReceiptRecordHash ReceiptCheck = "record_hash" // the record's hash is the hash of its fields
	ReceiptPayload    ReceiptCheck = "payload"     // the payload shown is the payload signed (R7)
	ReceiptKey        ReceiptCheck = "key"         // the key record adds the signing key, before the record, in the checkpoint
	ReceiptSignature  ReceiptCheck = "signature"   // the record keeps R8 to R16 and its signature verifies (R18)
	ReceiptInclusion  ReceiptCheck = "inclusion"   // the record's leaf is in the checkpoint's tree
)

// ReceiptChecks lists every check in order.
var ReceiptChecks = []ReceiptCheck{ReceiptCheckpoint, ReceiptWitnesses, ReceiptIndex, ReceiptRecordHash,
	ReceiptPayload, ReceiptKey, ReceiptSignature, ReceiptInclusion}

// ReceiptError is a failed check of a receipt.
type ReceiptError struct {
	Check ReceiptCheck
	Err   error
}

func (e *ReceiptError) Error() string { return fmt.Sprintf("signet: receipt: %s: %v", e.Check, e.Err) }
func (e *ReceiptError) Unwrap() error { return e.Err }

// ReceiptVerification is what [Receipt.Verify] found.
type ReceiptVerification struct {
	// Checkpoint is the receipt's checkpoint: verified with the log key
	// if the checkpoint check passed, only parsed otherwise.
	Checkpoint *Checkpoint
	// Cosigners are the policy's witnesses that cosigned it.
	Cosigners []string
	// Results has every check made: nil for a pass. A check that does not
	// apply (witnesses without a policy; key for a registration or an
	// operator's record; signature for an operator's record) is absent.
	Results map[ReceiptCheck]error
	// KeyStatus says what the receipt shows of the signing key at the
	// record's index: "registered by this record", "added at log index N",
	// "operator (no signature)", and ", revoked at log index M" when the
	// receipt carries the key's revocation.
	KeyStatus string
}

// Failures returns the failed checks in order.
func (v *ReceiptVerification) Failures() []*ReceiptError {
	var out []*ReceiptError
	for _, c := range ReceiptChecks {
		if err := v.Results[c]; err != nil {
			out = append(out, &ReceiptError{c, err})
		}
	}
	return out
}

// Verify checks the receipt with no network: the checkpoint's signature
// with the log's key (logKey, or the policy's log line for its origin,
// which must then be logKey: [Policy.LogKey]); the policy's quorum of
// cosignatures, if p is not nil ([Policy.Check]); that the proof is of
// the record's index; the record's hash ([RecordHash]) and shown payload
// ([CheckShownPayload]); the key record's own hash, inclusion and that it
// added the record's key to the record's signer at or before the
// record's index, not revoked before it by a revocation the receipt
// carries ([registry.ActiveAt], R17), and not declared compromised from
// an index at or before it; the record's stateless rules and its
// signature with that key ([DecodeRecord], [Event.Verify], R8 to R18:
// the server's code); and the record's inclusion in the checkpoint's
// tree ([tlog.CheckRecord]). It makes every check whatever another's
// outcome, and returns them all, with the first failure as a
// [*ReceiptError] (nil if the receipt verifies).
func (r *Receipt) Verify(logKey string, p *Policy) (*ReceiptVerification, error) {
	v := &ReceiptVerification{Results: map[ReceiptCheck]error{}}
	v.Checkpoint, v.Results[ReceiptCheckpoint] = r.openCheckpoint(logKey, p)
	if p != nil {
		v.Results[ReceiptWitnesses] = p.Check(r.Checkpoint)
		v.Cosigners = p.Cosigners(r.Checkpoint)
	}
	rec, err := r.Record.Record()
	if err != nil {
		v.Results[ReceiptRecordHash] = err
		return v.first()
	}
	if rec.Index != r.Index {
		v.Results[ReceiptIndex] = fmt.Errorf("the proof is of index %d, the record is record %d", r.Index, rec.Index)
	} else {
		v.Results[ReceiptIndex] = nil
	}
	v.Results[ReceiptRecordHash] = checkHash(rec)
	v.Results[ReceiptPayload] = CheckShownPayload(r.Record.Payload, r.Record.JWS.Payload)
	r.checkSignature(v, rec)
	if v.Checkpoint != nil {
		leaf := LeafHash(RecordHash(rec))
		if err := tlog.CheckRecord(r.Proof, v.Checkpoint.Size, v.Checkpoint.Root, r.Index, leaf); err != nil {
			v.Results[ReceiptInclusion] = fmt.Errorf("the proof does not put record %d's leaf in the tree of %d records: %w", r.Index, v.Checkpoint.Size, err)
		} else {
			v.Results[ReceiptInclusion] = nil
		}
	}
	return v.first()
}

func (v *ReceiptVerification) first() (*ReceiptVerification, error) {
	if f := v.Failures(); len(f) > 0 {
		return v, f[0]
	}
	return v, nil
}

// openCheckpoint verifies the checkpoint's signature; failing that, it
// parses it, so that inclusion can still be reported.
func (r *Receipt) openCheckpoint(logKey string, p *Policy) (*Checkpoint, error) {
	origin := CheckpointOrigin(r.Checkpoint)
	var err error
	if p != nil {
		logKey, err = p.LogKey(origin, logKey)
	}
	if err == nil && logKey == "" {
		err = fmt.Errorf("no log key to check it with for log %q", origin)
	}
	if err == nil {
		var cp *Checkpoint
		if cp, err = OpenCheckpointKey(r.Checkpoint, logKey, origin); err == nil {
			return cp, nil
		}
	}
	cp, perr := ParseCheckpointUnverified(r.Checkpoint)
	if perr != nil {
		return nil, perr
	}
	return cp, err
}

func checkHash(rec *Record) error {
	if got := RecordHash(rec); got != rec.Hash {
		return fmt.Errorf("the hash of record %d's fields is %s, not the stated %s", rec.Index, got, rec.Hash)
	}
	return nil
}

// checkSignature sets the key and signature checks.
func (r *Receipt) checkSignature(v *ReceiptVerification, rec *Record) {
	e, err := DecodeRecord(rec)
	switch {
	case err != nil:
		v.Results[ReceiptSignature] = err
		return
	case e.Operator():
		v.KeyStatus = "operator (no signature)"
		return
	}
	var pub keys.PublicKey
	if rec.Kind == KindRegistered {
		pub, v.KeyStatus = *e.NewKey, "registered by this record"
	} else {
		k, err := r.signingKey(v.Checkpoint, rec)
		v.Results[ReceiptKey] = err
		if err != nil {
			return
		}
		pub, v.KeyStatus = k.PublicKey, fmt.Sprintf("added at log index %d", k.AddedAt)
		if k.Revocation != nil {
			v.KeyStatus += fmt.Sprintf(", revoked at log index %d", k.Revocation.At)
		}
	}
	v.Results[ReceiptSignature] = e.Verify(pub)
}

// signingKey returns the key that signed rec as the receipt's key records
// show it, each checked and proved in cp.
func (r *Receipt) signingKey(cp *Checkpoint, rec *Record) (registry.Key, error) {
	if r.Key == nil {
		return registry.Key{}, fmt.Errorf("the receipt carries no record adding key %s", rec.KID)
	}
	kr, ke, err := r.Key.open(cp, "key record")
	if err != nil {
		return registry.Key{}, err
	}
	switch {
	case ke.NewKey == nil:
		return registry.Key{}, fmt.Errorf("key record %d is a %s, which adds no key", kr.Index, kr.Kind)
	case ke.NewKey.Thumbprint() != rec.KID:
		return registry.Key{}, fmt.Errorf("key record %d adds key %s, not the record's key %s", kr.Index, ke.NewKey.Thumbprint(), rec.KID)
	case kr.Signer != rec.Signer:
		return registry.Key{}, fmt.Errorf("key record %d adds the key to signer %q, not the record's signer %q", kr.Index, kr.Signer, rec.Signer)
	}
	k := registry.Key{KID: rec.KID, Signer: kr.Signer, PublicKey: *ke.NewKey, AddedAt: kr.Index}
	if r.Revocation != nil {
		vr, ve, err := r.Revocation.open(cp, "revocation record")
		if err != nil {
			return registry.Key{}, err
		}
		if ve.Revoke == nil || ve.Revoke.KID != rec.KID || vr.Signer != rec.Signer {
			return registry.Key{}, fmt.Errorf("record %d does not revoke key %s of signer %q", vr.Index, rec.KID, rec.Signer)
		}
		k.Revocation = &registry.Revocation{At: vr.Index, CompromisedSince: ve.Revoke.CompromisedSince}
	}
	switch {
	case !k.ActiveAt(rec.Index) && k.AddedAt > rec.Index:
		return registry.Key{}, broke(RuleKeyState, registry.ErrUnknownKey, "key %s was added at log index %d, after the record", rec.KID, k.AddedAt)
	case !k.ActiveAt(rec.Index):
		return registry.Key{}, broke(RuleKeyState, registry.ErrRevokedKey, "key %s was revoked at log index %d, before the record", rec.KID, k.Revocation.At)
	case k.Suspect(rec.Index):
		return registry.Key{}, fmt.Errorf("key %s was declared compromised from log index %d, at or before the record", rec.KID, *k.Revocation.CompromisedSince)
	}
	return k, nil
}

// open parses a receipt's key record and checks its hash, its stateless
// rules and its inclusion in cp.
func (kr *ReceiptRecord) open(cp *Checkpoint, what string) (*Record, *Event, error) {
	rec, err := kr.Record.Record()
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", what, err)
	}
	if err := checkHash(rec); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", what, err)
	}
	e, err := DecodeRecord(rec)
	if err != nil {
		return nil, nil, fmt.Errorf("%s %d: %w", what, rec.Index, err)
	}
	if cp == nil {
		return nil, nil, errors.New("no checkpoint to prove it in")
	}
	if err := tlog.CheckRecord(kr.Inclusion, cp.Size, cp.Root, rec.Index, LeafHash(rec.Hash)); err != nil {
		return nil, nil, fmt.Errorf("%s %d is not in the tree of %d records: %w", what, rec.Index, cp.Size, err)
	}
	return rec, e, nil
}
