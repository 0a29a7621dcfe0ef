package ledger

import (
	"context"
	"errors"
	"fmt"

	"github.com/signet-ledger/signet"
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
	v, err := l.verifyRecord(ctx, i)
	if err == nil {
		l.cfg.Observer.Verified(v)
	}
	return v, err
}

func (l *Log) verifyRecord(ctx context.Context, i int64) (*Verification, error) {
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
	e, decodeErr := signet.DecodeRecord(rec)
	if v.Checks.Signature, err = l.checkSignature(ctx, v, rec, e, decodeErr, head); err != nil {
		return nil, err
	}
	if err := l.checkNonce(ctx, v, rec, e); err != nil {
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

// checkSignature applies the log's rules to rec as it stands ([signet.DecodeRecord],
// [signet.Event.SigningKey], [signet.Event.Verify]) with the registry the
// log's key records make, and reports the key's history. Every record,
// the operator's included, is checked against the replay of the log's key
// records ([signet.Check] on each), which fails if any of them breaks a
// rule. The store's
// registry tables are compared with it, not trusted.
func (l *Log) checkSignature(ctx context.Context, v *Verification, rec *Record, e *signet.Event, decodeErr error, head Head) (bool, error) {
	if decodeErr != nil {
		v.problem("%v", decodeErr)
		return false, nil
	}
	k, ok, err := l.reg.key(ctx, rec.KID, head.Size)
	if errors.Is(err, ErrCorrupt) {
		v.problem("the log's key records cannot be replayed: %v", err)
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if e.Operator() { // R16 and R21 are applied by the replay of the key records
		v.KeyStatus = StatusOperator
		return true, nil
	}
	if ok {
		v.KeyStatus = k.Status()
		if r := k.Revocation; r != nil {
			v.RevokedAt = &r.At
			v.Suspect = k.Suspect(rec.Index)
			if v.Suspect {
				v.problem("key %s was declared compromised from log index %d", k.KID, *r.CompromisedSince)
			}
		}
		if ok, err := l.compareTable(ctx, v, k); err != nil || !ok {
			return false, err
		}
		if ok, err := l.checkAddedBy(ctx, v, k); err != nil || !ok {
			return false, err
		}
	}
	l.reg.mu.RLock()
	pub, err := e.SigningKey(l.reg.st, rec.Index)
	l.reg.mu.RUnlock()
	if err == nil {
		err = e.Verify(pub)
	}
	if err != nil {
		v.problem("%v", err)
		return false, nil
	}
	return true, nil
}

// checkNonce applies R22: no other record carries rec's nonce. The
// store's unique index on nonces enforces it; this finds a duplicate that
// someone with write access to the database stored behind that index's
// back (and, should the index be gone, the record the store finds first).
func (l *Log) checkNonce(ctx context.Context, v *Verification, rec *Record, e *signet.Event) error {
	if e == nil || e.Nonce == "" {
		return nil
	}
	ex, err := l.store.RecordByNonce(ctx, e.Nonce)
	switch {
	case errors.Is(err, ErrNotFound):
		v.problem("%s %s: the store has no record under this record's nonce: its nonce column was changed", signet.RuleNonceUnique, signet.RuleNonceUnique.Name())
	case err != nil:
		return err
	case ex.Index != rec.Index:
		v.problem("%s %s: record %d carries the same nonce: a nonce works once", signet.RuleNonceUnique, signet.RuleNonceUnique.Name(), ex.Index)
	}
	return nil
}

// compareTable reports a store registry row of key k that disagrees with
// the log's key records.
func (l *Log) compareTable(ctx context.Context, v *Verification, k registry.Key) (bool, error) {
	t, err := l.store.Key(ctx, k.KID)
	if errors.Is(err, ErrNotFound) || errors.Is(err, ErrCorrupt) {
		v.problem("the registry tables have no intact row for key %s, which log record %d added: they disagree with the log", k.KID, k.AddedAt)
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if d := keysDrift([]registry.Key{k}, []registry.Key{t}); d != "" {
		v.problem("the registry tables' row of key %s disagrees with the log's key records: %s", k.KID, d)
		return false, nil
	}
	return true, nil
}

// checkAddedBy reads the record that added key k again: the registry was
// replayed from it earlier, and it must still carry the key intact.
func (l *Log) checkAddedBy(ctx context.Context, v *Verification, k registry.Key) (bool, error) {
	src, err := l.store.Record(ctx, k.AddedAt)
	if errors.Is(err, ErrNotFound) {
		v.problem("the record that added key %s (index %d) is missing", k.KID, k.AddedAt)
		return false, nil
	}
	if err != nil {
		return false, err
	}
	e, err := signet.DecodeRecord(src)
	if err != nil || e.NewKey == nil || *e.NewKey != k.PublicKey || RecordHash(src) != src.Hash {
		v.problem("the log record %d that added key %s does not carry that key intact", k.AddedAt, k.KID)
		return false, nil
	}
	return true, nil
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
