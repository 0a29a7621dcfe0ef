package ledger

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/signet-ledger/signet/keys"
	"github.com/signet-ledger/signet/registry"
	"golang.org/x/mod/sumdb/tlog"
)

// Verification is the result of [Log.Verify]: each check, who signed, and
// in words what failed.
type Verification struct {
	Index    int64
	Verified bool    // every check passed
	Record   *Record // nil if the record is missing
	Signer   string
	KID      string
	// KeyStatus is the signing key's status at the head of the log; for an
	// operator record it is "operator".
	KeyStatus registry.Status
	// RevokedAt is the index of the key's revocation, if revoked.
	RevokedAt *int64
	// Suspect is true when the key was later declared compromised from an
	// index at or before this record's.
	Suspect  bool
	Checks   Checks
	Problems []string
}

// Checks are the independent checks of one record.
type Checks struct {
	Signature  bool // the JWS verifies with the key the log says kid held at the index
	RecordHash bool // the hash recomputed from the stored fields equals the stored hash
	ChainLink  bool // prev_hash equals the predecessor's hash, and the successor links to this one
	Inclusion  bool // the record's leaf is in the latest checkpoint's tree
}

// StatusOperator is the KeyStatus of a record the operator made.
const StatusOperator registry.Status = "operator"

// Verify recomputes and checks the record at index i against its
// neighbours, its key's history in the log and the latest checkpoint.
// A record that should exist but does not is reported, not an error.
func (l *Log) Verify(ctx context.Context, i int64) (*Verification, error) {
	head, err := l.store.Head(ctx)
	if err != nil {
		return nil, err
	}
	if i < 0 || i >= head.Size {
		return nil, fmt.Errorf("%w: the log has %d records; there is no record %d", ErrNotFound, head.Size, i)
	}
	v := &Verification{Index: i}
	// The record and its two neighbours, in one read.
	recs, err := l.store.Records(ctx, Query{After: i - 2, Limit: 3})
	if err != nil {
		return nil, err
	}
	near := make(map[int64]*Record, 3)
	for _, r := range recs {
		near[r.Index] = r
	}
	rec := near[i]
	if rec == nil {
		v.problem("record %d is missing, though the log has %d records", i, head.Size)
		return v, nil
	}
	v.Record, v.Signer, v.KID = rec, rec.Signer, rec.KID
	v.Checks.RecordHash = v.checkHash(rec, i)
	v.Checks.ChainLink = v.checkLinks(rec, near, head)
	if v.Checks.Signature, err = l.checkSignature(ctx, v, rec); err != nil {
		return nil, err
	}
	if v.Checks.Inclusion, err = l.checkInclusion(ctx, v, rec, head); err != nil {
		return nil, err
	}
	c := v.Checks
	v.Verified = c.Signature && c.RecordHash && c.ChainLink && c.Inclusion && len(v.Problems) == 0
	return v, nil
}

func (v *Verification) problem(format string, args ...any) {
	v.Problems = append(v.Problems, fmt.Sprintf(format, args...))
}

func (v *Verification) checkHash(rec *Record, i int64) bool {
	if rec.Index != i {
		v.problem("the record stored at %d says its index is %d", i, rec.Index)
		return false
	}
	if RecordHash(rec) != rec.Hash {
		v.problem("the record's hash does not match its contents: a stored field was changed")
		return false
	}
	return true
}

func (v *Verification) checkLinks(rec *Record, near map[int64]*Record, head Head) bool {
	ok := true
	if rec.Index == 0 {
		if rec.PrevHash != (Hash{}) {
			v.problem("record 0 must have a zero prev_hash")
			ok = false
		}
	} else if prev := v.neighbour(near, rec.Index-1); prev == nil || prev.Hash != rec.PrevHash {
		if prev != nil {
			v.problem("prev_hash does not equal the hash of record %d", rec.Index-1)
		}
		ok = false
	}
	if rec.Index == head.Size-1 {
		if head.Hash != rec.Hash {
			v.problem("the record's hash is not the hash the log head holds")
			ok = false
		}
	} else if next := v.neighbour(near, rec.Index+1); next == nil || next.PrevHash != rec.Hash {
		if next != nil {
			v.problem("record %d's prev_hash does not equal this record's hash", rec.Index+1)
		}
		ok = false
	}
	return ok
}

// neighbour returns record i from near, reporting it as a problem if missing.
func (v *Verification) neighbour(near map[int64]*Record, i int64) *Record {
	r := near[i]
	if r == nil {
		v.problem("record %d is missing", i)
	}
	return r
}

func (l *Log) checkSignature(ctx context.Context, v *Verification, rec *Record) (bool, error) {
	if rec.Kind == KindKeyRevoked && rec.Signature == "" && rec.KID == "" && rec.Protected == "" {
		v.KeyStatus = StatusOperator
		return true, nil
	}
	j, err := rec.JWS()
	if err != nil {
		v.problem("the stored JWS does not parse: %v", err)
		return false, nil
	}
	pub, ok, err := l.keyAt(ctx, v, rec, j)
	if err != nil || !ok {
		return false, err
	}
	if err := j.Verify(pub); err != nil {
		v.problem("the signature does not verify with key %s", rec.KID)
		return false, nil
	}
	return true, nil
}

// keyAt finds the public key that the log says rec.KID held at rec.Index:
// the key carried by the record that added it, not the registry's copy.
func (l *Log) keyAt(ctx context.Context, v *Verification, rec *Record, j *keys.JWS) (keys.PublicKey, bool, error) {
	k, err := l.store.Key(ctx, rec.KID)
	if errors.Is(err, ErrNotFound) {
		v.problem("no registered key has kid %q", rec.KID)
		return keys.PublicKey{}, false, nil
	}
	if errors.Is(err, ErrCorrupt) {
		v.problem("the registry's copy of key %s is damaged", rec.KID)
		return keys.PublicKey{}, false, nil
	}
	if err != nil {
		return keys.PublicKey{}, false, err
	}
	if ok, err := l.revocationFromLog(ctx, v, &k); err != nil || !ok {
		return keys.PublicKey{}, false, err
	}
	v.KeyStatus = k.Status()
	if r := k.Revocation; r != nil {
		v.RevokedAt = &r.At
		v.Suspect = k.Suspect(rec.Index)
		if v.Suspect {
			v.problem("key %s was declared compromised from log index %d", k.KID, *r.CompromisedSince)
		}
	}
	if k.Signer != rec.Signer {
		v.problem("key %s belongs to signer %q, not %q", k.KID, k.Signer, rec.Signer)
		return keys.PublicKey{}, false, nil
	}
	if !k.ActiveAt(rec.Index) {
		v.problem("key %s was not active at index %d", k.KID, rec.Index)
		return keys.PublicKey{}, false, nil
	}
	if rec.Kind != KindRegistered && j.Header.Kid != rec.KID {
		v.problem("the JWS's protected kid is not the record's kid")
		return keys.PublicKey{}, false, nil
	}
	src := rec
	if k.AddedAt != rec.Index {
		if src, err = l.store.Record(ctx, k.AddedAt); errors.Is(err, ErrNotFound) {
			v.problem("the record that added key %s (index %d) is missing", k.KID, k.AddedAt)
			return keys.PublicKey{}, false, nil
		} else if err != nil {
			return keys.PublicKey{}, false, err
		}
	}
	pub, err := addedKey(src)
	if err != nil || pub.Thumbprint() != rec.KID || RecordHash(src) != src.Hash {
		v.problem("the log record %d that added key %s does not carry that key intact", k.AddedAt, k.KID)
		return keys.PublicKey{}, false, nil
	}
	return pub, true, nil
}

// revocationFromLog replaces k's revocation, as the registry table holds
// it, with the one the log's records say; a disagreement is a problem.
func (l *Log) revocationFromLog(ctx context.Context, v *Verification, k *registry.Key) (bool, error) {
	recs, err := l.store.Records(ctx, Query{Signer: k.Signer, Kind: KindKeyRevoked, After: k.AddedAt, Limit: 1000})
	if err != nil {
		return false, err
	}
	var fromLog *registry.Revocation
	for _, r := range recs {
		if kid, rev, ok := revocation(r); ok && kid == k.KID {
			fromLog = &rev
			break
		}
	}
	table := k.Revocation
	if (fromLog == nil) != (table == nil) || fromLog != nil && fromLog.At != table.At {
		v.problem("the registry's record of key %s's revocation disagrees with the log's key records", k.KID)
		return false, nil
	}
	k.Revocation = fromLog
	return true, nil
}

// revocation returns the kid a signer.key_revoked record revokes and how.
func revocation(r *Record) (string, registry.Revocation, bool) {
	var o revokeOp
	if r.Signature == "" {
		p, err := r.PayloadJSON()
		var op OperatorRevocation
		if err != nil || json.Unmarshal(p, &op) != nil {
			return "", registry.Revocation{}, false
		}
		o = revokeOp{kid: op.KID, reason: op.Reason, compromisedSince: op.CompromisedSince}
	} else {
		j, err := r.JWS()
		if err != nil {
			return "", registry.Revocation{}, false
		}
		op, _, err := recordOp(r, j)
		ro, ok := op.(revokeOp)
		if err != nil || !ok {
			return "", registry.Revocation{}, false
		}
		o = ro
	}
	by := r.KID
	if by == "" {
		by = registry.Operator
	}
	return o.kid, registry.Revocation{At: r.Index, Time: r.IntegratedTime, By: by, Reason: o.reason, CompromisedSince: o.compromisedSince}, true
}

// addedKey returns the key a signer.registered or signer.key_added record adds.
func addedKey(rec *Record) (keys.PublicKey, error) {
	j, err := rec.JWS()
	if err != nil {
		return keys.PublicKey{}, err
	}
	o, _, err := recordOp(rec, j)
	if err != nil {
		return keys.PublicKey{}, err
	}
	switch o := o.(type) {
	case registerOp:
		return o.pub, nil
	case addKeyOp:
		return o.pub, nil
	}
	return keys.PublicKey{}, fmt.Errorf("ledger: record %d adds no key", rec.Index)
}

func (l *Log) checkInclusion(ctx context.Context, v *Verification, rec *Record, head Head) (bool, error) {
	cp, err := OpenCheckpoint(head.Checkpoint, l.cfg.Origin, l.cfg.Verifier)
	if err != nil {
		v.problem("the latest checkpoint does not verify with the log's key")
		return false, nil
	}
	if cp.Size != head.Size {
		v.problem("the latest checkpoint covers %d records, but the log head says %d", cp.Size, head.Size)
	}
	// The proof never reads the record's own leaf, but proofs of its
	// neighbours and the proof endpoints do: it must be this record's. It
	// is read with the proof's hashes, in one query.
	leafIdx := tlog.StoredHashIndex(0, rec.Index)
	var stored []tlog.Hash
	read := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		hs, err := l.store.ReadHashes(ctx, append(idx[:len(idx):len(idx)], leafIdx))
		if err != nil {
			return nil, err
		}
		stored = hs[len(hs)-1:]
		return hs[:len(hs)-1], nil
	})
	proof, err := tlog.ProveRecord(cp.Size, rec.Index, read)
	if err == nil && stored == nil { // a one-record tree needs no proof hashes
		stored, err = l.store.ReadHashes(ctx, []int64{leafIdx})
	}
	if errors.Is(err, ErrUnavailable) {
		return false, err
	}
	leaf := LeafHash(RecordHash(rec))
	if err != nil || tlog.CheckRecord(proof, cp.Size, cp.Root, rec.Index, leaf) != nil {
		v.problem("the record is not included in the latest checkpoint's tree")
		return false, nil
	}
	if stored[0] != leaf {
		v.problem("the Merkle tree's stored leaf hash of this record is not the record's leaf hash")
		return false, nil
	}
	return true, nil
}
