package ledger

import (
	"context"
	"errors"
	"fmt"

	"github.com/signet-ledger/signet"
	"github.com/signet-ledger/signet/registry"
	"golang.org/x/mod/sumdb/tlog"
	"golang.org/x/sync/errgroup"
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
	// The record and its two neighbours, in one read, beside the proof's
	// hashes: the store's reads for one verification go in two rounds, the
	// second of which needs the record.
	var recs []*Record
	var inc inclusionReads
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) {
		recs, err = l.store.Records(gctx, Query{After: i - 2, Limit: 3})
		return err
	})
	g.Go(func() error {
		inc = l.readInclusion(gctx, i, head)
		return inc.fatal()
	})
	if err := g.Wait(); err != nil {
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
	var sig signatureReads
	var nonce nonceRead
	g, gctx = errgroup.WithContext(ctx)
	g.Go(func() (err error) {
		sig, err = l.readSignature(gctx, rec, e, decodeErr, head)
		return err
	})
	g.Go(func() (err error) {
		nonce, err = l.readNonce(gctx, e)
		return err
	})
	if err := g.Wait(); err != nil {
		return nil, err
	}
	v.Checks.Signature = l.checkSignature(v, rec, e, decodeErr, sig)
	v.checkNonce(rec, nonce)
	v.Checks.Inclusion = v.checkInclusion(rec, inc)
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

// signatureReads are what the store holds about the key that signed a
// record, read for [Log.checkSignature]: its key as the replay of the log's
// key records has it, the registry tables' row of it, and the record that
// added it.
type signatureReads struct {
	key      registry.Key
	found    bool         // the replay holds the record's kid
	replay   error        // the log's key records cannot be replayed (ErrCorrupt)
	row      registry.Key // the registry tables' row
	rowErr   error        // ErrNotFound or ErrCorrupt
	added    *Record
	addedErr error // ErrNotFound
}

// readSignature reads what [Log.checkSignature] checks, the table row and
// the adding record at once. Its error is the store's, for a read that
// failed otherwise than by finding the log tampered with.
func (l *Log) readSignature(ctx context.Context, rec *Record, e *signet.Event, decodeErr error, head Head) (signatureReads, error) {
	var r signatureReads
	if decodeErr != nil {
		return r, nil
	}
	var err error
	r.key, r.found, err = l.reg.key(ctx, rec.KID, head.Size)
	if errors.Is(err, ErrCorrupt) {
		r.replay = err
		return r, nil
	}
	if err != nil || e.Operator() || !r.found {
		return r, err
	}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		r.row, r.rowErr = l.store.Key(gctx, r.key.KID)
		if errors.Is(r.rowErr, ErrNotFound) || errors.Is(r.rowErr, ErrCorrupt) {
			return nil
		}
		return r.rowErr
	})
	g.Go(func() error {
		r.added, r.addedErr = l.store.Record(gctx, r.key.AddedAt)
		if errors.Is(r.addedErr, ErrNotFound) {
			return nil
		}
		return r.addedErr
	})
	return r, g.Wait()
}

// checkSignature applies the log's rules to rec as it stands ([signet.DecodeRecord],
// [signet.Event.SigningKey], [signet.Event.Verify]) with the registry the
// log's key records make, and reports the key's history. Every record,
// the operator's included, is checked against the replay of the log's key
// records ([signet.Check] on each), which fails if any of them breaks a
// rule. The store's registry tables are compared with it, not trusted,
// and the record that added the key is read again.
func (l *Log) checkSignature(v *Verification, rec *Record, e *signet.Event, decodeErr error, r signatureReads) bool {
	if decodeErr != nil {
		v.problem("%v", decodeErr)
		return false
	}
	if r.replay != nil {
		v.problem("the log's key records cannot be replayed: %v", r.replay)
		return false
	}
	if e.Operator() { // R16 and R21 are applied by the replay of the key records
		v.KeyStatus = StatusOperator
		return true
	}
	if r.found {
		k := r.key
		v.KeyStatus = k.Status()
		if rv := k.Revocation; rv != nil {
			v.RevokedAt = &rv.At
			v.Suspect = k.Suspect(rec.Index)
			if v.Suspect {
				v.problem("key %s was declared compromised from log index %d", k.KID, *rv.CompromisedSince)
			}
		}
		if !v.compareTable(k, r.row, r.rowErr) || !v.checkAddedBy(k, r.added, r.addedErr) {
			return false
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
		return false
	}
	return true
}

// nonceRead is the record the store finds under a record's nonce, for
// [Verification.checkNonce]; checked is false for a record without one.
type nonceRead struct {
	checked bool
	rec     *Record
	err     error // ErrNotFound
}

func (l *Log) readNonce(ctx context.Context, e *signet.Event) (nonceRead, error) {
	if e == nil || e.Nonce == "" {
		return nonceRead{}, nil
	}
	ex, err := l.store.RecordByNonce(ctx, e.Nonce)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return nonceRead{}, err
	}
	return nonceRead{checked: true, rec: ex, err: err}, nil
}

// checkNonce applies R22: no other record carries rec's nonce. The
// store's unique index on nonces enforces it; this finds a duplicate that
// someone with write access to the database stored behind that index's
// back (and, should the index be gone, the record the store finds first).
func (v *Verification) checkNonce(rec *Record, r nonceRead) {
	switch {
	case !r.checked:
	case r.err != nil:
		v.problem("%s %s: the store has no record under this record's nonce: its nonce column was changed", signet.RuleNonceUnique, signet.RuleNonceUnique.Name())
	case r.rec.Index != rec.Index:
		v.problem("%s %s: record %d carries the same nonce: a nonce works once", signet.RuleNonceUnique, signet.RuleNonceUnique.Name(), r.rec.Index)
	}
}

// compareTable reports a store registry row of key k (t, or the error
// reading it) that disagrees with the log's key records.
func (v *Verification) compareTable(k registry.Key, t registry.Key, err error) bool {
	if err != nil {
		v.problem("the registry tables have no intact row for key %s, which log record %d added: they disagree with the log", k.KID, k.AddedAt)
		return false
	}
	if d := keysDrift([]registry.Key{k}, []registry.Key{t}); d != "" {
		v.problem("the registry tables' row of key %s disagrees with the log's key records: %s", k.KID, d)
		return false
	}
	return true
}

// checkAddedBy checks the record that added key k, read again (src, or
// the error reading it): the registry was replayed from it earlier, and it
// must still carry the key intact.
func (v *Verification) checkAddedBy(k registry.Key, src *Record, err error) bool {
	if err != nil {
		v.problem("the record that added key %s (index %d) is missing", k.KID, k.AddedAt)
		return false
	}
	e, err := signet.DecodeRecord(src)
	if err != nil || e.NewKey == nil || *e.NewKey != k.PublicKey || RecordHash(src) != src.Hash {
		v.problem("the log record %d that added key %s does not carry that key intact", k.AddedAt, k.KID)
		return false
	}
	return true
}

// inclusionReads are the latest checkpoint, opened, and the proof of a
// record in its tree with the record's stored leaf hash, read for
// [Verification.checkInclusion].
type inclusionReads struct {
	head   int64 // the head's size
	cp     *signet.Checkpoint
	cpErr  error // the checkpoint does not verify
	proof  tlog.RecordProof
	leaf   tlog.Hash
	proved error // the proof could not be made from the stored hashes
}

// fatal is the error of a read that failed otherwise than by finding the
// log tampered with: the store is unavailable.
func (r *inclusionReads) fatal() error {
	if errors.Is(r.proved, ErrUnavailable) {
		return r.proved
	}
	return nil
}

// readInclusion opens the checkpoint of head and proves record i in its
// tree.
func (l *Log) readInclusion(ctx context.Context, i int64, head Head) inclusionReads {
	r := inclusionReads{head: head.Size}
	if r.cp, r.cpErr = l.openHead(head); r.cpErr != nil {
		return r
	}
	r.proof, r.leaf, r.proved = l.proveRecord(ctx, r.cp.Size, i)
	return r
}

func (v *Verification) checkInclusion(rec *Record, r inclusionReads) bool {
	if r.cpErr != nil {
		v.problem("the latest checkpoint does not verify with the log's key")
		return false
	}
	cp := r.cp
	if cp.Size != r.head {
		v.problem("the latest checkpoint covers %d records, but the log head says %d", cp.Size, r.head)
	}
	leaf := LeafHash(RecordHash(rec))
	if r.proved != nil || tlog.CheckRecord(r.proof, cp.Size, cp.Root, rec.Index, leaf) != nil {
		v.problem("the record is not included in the latest checkpoint's tree")
		return false
	}
	if r.leaf != leaf {
		v.problem("the Merkle tree's stored leaf hash of this record is not the record's leaf hash")
		return false
	}
	return true
}
