package signet

import (
	"crypto/sha256"
	"errors"
	"sync"

	"github.com/signet-ledger/signet/keys"
	"github.com/signet-ledger/signet/registry"
)

// Replay is the state of a log read from index 0 by a verifier: the
// registry its key records made, the last record's index and hash, and
// the nonces used. Its [Replay.Next] applies to each record in turn every
// rule a record must keep (R4 to R6, R2, R8 to R22): what the server
// checked at admission and sequencing, and what an import or audit checks
// again.
//
// A Replay holds the registry and 24 bytes per nonce; nothing else grows
// with the log. Next is not safe for concurrent use; [Replay.UseNonce] is.
type Replay struct {
	Registry *registry.State
	next     int64
	prev     Hash

	mu     sync.Mutex
	nonces map[[16]byte]int64
}

// NewReplay returns the state of an empty log.
func NewReplay() *Replay {
	return &Replay{Registry: registry.NewState(), nonces: map[[16]byte]int64{}}
}

// Size returns the number of records accepted so far.
func (r *Replay) Size() int64 { return r.next }

// Next checks rec as the log's next record and applies it. It returns the
// registry change, or the first broken rule as a [*RuleError], in which
// case the state is unchanged and rec is not counted.
func (r *Replay) Next(rec *Record) (Change, error) {
	if err := r.link(rec); err != nil {
		return Change{}, err
	}
	ch, err := check(r.Registry, rec, func(nonce string) error {
		if other, ok := r.UseNonce(nonce, rec.Index); !ok {
			return nonceReused(rec.Index, other)
		}
		return nil
	})
	if err != nil {
		return Change{}, err
	}
	r.advance(rec)
	return ch, nil
}

// NextDeferred is [Replay.Next] with an entry's stateless rules,
// signature and nonce split off as d (see [CheckDeferred]), which
// [Replay.CheckDeferred] checks later, on any goroutine. The records are
// counted at once.
func (r *Replay) NextDeferred(rec *Record) (d *Deferred, ch Change, err error) {
	if err := r.link(rec); err != nil {
		return nil, Change{}, err
	}
	if rec.Kind != KindEntry || rec.Signature == "" {
		ch, err := r.Next(rec)
		return nil, ch, err
	}
	d, _, err = CheckDeferred(r.Registry, rec)
	if err != nil {
		return nil, Change{}, err
	}
	r.advance(rec)
	return d, Change{}, nil
}

// CheckDeferred checks the rules NextDeferred left in ds, as
// [CheckDeferredBatch] does, and records each entry's nonce with
// [Replay.UseNonce] (R22). It returns, for each of ds, the first rule the
// record breaks, or nil. It is safe for concurrent use.
func (r *Replay) CheckDeferred(ds []*Deferred, cache *keys.BatchKeyCache) []error {
	nonces, errs := CheckDeferredBatch(ds, cache)
	for i, d := range ds {
		if errs[i] != nil {
			continue
		}
		if other, ok := r.UseNonce(nonces[i], d.Index()); !ok {
			errs[i] = nonceReused(max(d.Index(), other), min(d.Index(), other))
		}
	}
	return errs
}

// NextAll applies recs, the log's next records in order, as [Replay.Next]
// applies each, and returns the change of each record applied. On the
// first record that breaks a rule it stops and also returns that
// record's position in recs and the error Next would have returned for
// it (n = len(recs) when every record kept every rule); after an error
// the Replay must not be used again, for it may hold records after that
// one. The entries' rules are checked with [Replay.CheckDeferred], their
// signatures together, on up to workers goroutines.
func (r *Replay) NextAll(recs []*Record, workers int, cache *keys.BatchKeyCache) (changes []Change, n int, err error) {
	changes = make([]Change, 0, len(recs))
	var ds []*Deferred
	var at []int // position in recs of each of ds
	n = len(recs)
	for i, rec := range recs {
		d, ch, derr := r.NextDeferred(rec)
		if derr != nil {
			n, err = i, derr
			break
		}
		changes = append(changes, ch)
		if d != nil {
			ds, at = append(ds, d), append(at, i)
		}
	}
	errs := make([]error, len(ds))
	chunk := max(deferredGroup, (len(ds)+workers-1)/max(workers, 1))
	var wg sync.WaitGroup
	for lo := 0; lo < len(ds); lo += chunk {
		hi := min(lo+chunk, len(ds))
		wg.Go(func() { copy(errs[lo:hi], r.CheckDeferred(ds[lo:hi], cache)) })
	}
	wg.Wait()
	for j, e := range errs {
		pos := at[j]
		var ie *IndexedError
		if errors.As(e, &ie) { // a reused nonce belongs to the later record
			pos = int(ie.Index - recs[0].Index)
		}
		if e != nil && pos < n {
			n, err = pos, e
		}
	}
	return changes[:n], n, err
}

// link applies R4, R5 and R6: rec is the next index, links to its
// predecessor, and its hash is [RecordHash] of its fields.
func (r *Replay) link(rec *Record) error {
	switch {
	case rec.Index != r.next:
		return broke(RuleIndex, ErrMalformed, "expected record %d, found record %d: a record is missing, repeated or out of place", r.next, rec.Index)
	case rec.PrevHash != r.prev:
		return broke(RuleChain, ErrMalformed, "prev_hash %s is not the hash of record %d, %s", rec.PrevHash, r.next-1, r.prev)
	}
	if h := RecordHash(rec); h != rec.Hash {
		return broke(RuleHash, ErrMalformed, "the hash of the record's fields is %s, not the stated %s", h, rec.Hash)
	}
	return nil
}

func (r *Replay) advance(rec *Record) { r.next, r.prev = rec.Index+1, rec.Hash }

// Resync makes the record at index next, linked to prev, the one the
// replay expects next, without checking or applying anything. An auditor
// that reports every broken rule calls it to go on after one: with a
// record's own index and prev_hash after it broke R4 or R5, so that one
// missing or moved record is not reported again at every later index;
// and with its index + 1 and stated hash after it broke any other rule,
// so that the records after it are checked against it but the registry
// does not contain its change. A replay that was resynced has not
// verified the log: it only locates further breaks.
func (r *Replay) Resync(next int64, prev Hash) { r.next, r.prev = next, prev }

// UseNonce records that the record at index carries nonce (R22). It
// reports false, with the index of the other record, if another record
// carries it too; the smaller index is kept, so the answer does not depend
// on the order of the calls.
func (r *Replay) UseNonce(nonce string, index int64) (other int64, ok bool) {
	k := nonceKey(nonce)
	r.mu.Lock()
	defer r.mu.Unlock()
	if o, seen := r.nonces[k]; seen && o != index {
		if index < o {
			r.nonces[k] = index
		}
		return o, false
	}
	r.nonces[k] = index
	return 0, true
}

// nonceKey is the first 16 bytes of the nonce's SHA-256: enough to tell
// nonces apart, in fewer bytes than the nonce.
func nonceKey(nonce string) [16]byte {
	h := sha256.Sum256([]byte(nonce))
	return [16]byte(h[:16])
}

// nonceReused is the R22 error of record index, whose nonce record other
// carries too.
func nonceReused(index, other int64) error {
	return &IndexedError{Index: index, Err: broke(RuleNonceUnique, ErrBadNonce, "the nonce was already used by log record %d", other)}
}

// IndexedError is a rule error that belongs to another record than the
// one being checked: a reused nonce found while verifying the earlier of
// its two records belongs to the later.
type IndexedError struct {
	Index int64
	Err   error
}

func (e *IndexedError) Error() string { return e.Err.Error() }
func (e *IndexedError) Unwrap() error { return e.Err }

// ResumeReplay returns the state of a log's first size records, the last
// of which has hash prev, rebuilt from the key records among them alone:
// what a verifier that read those records earlier keeps, so that it can
// go on from index size with [Replay.Next] without reading them again.
// Entries never change the registry, so the key records, in index order,
// are all it needs; each is checked again with [RecordHash] and [Check],
// and a key record that breaks a rule, or is out of order or at or
// beyond size, is an error. The nonces of the records before size are not kept: the
// resumed replay checks R22 only among the records after them.
func ResumeReplay(keyRecords []*Record, size int64, prev Hash) (*Replay, error) {
	r := NewReplay()
	last := int64(-1)
	for _, rec := range keyRecords {
		switch {
		case rec.Index <= last || rec.Index >= size:
			return nil, broke(RuleIndex, ErrMalformed, "key record %d is out of order, or not among the first %d records", rec.Index, size)
		case rec.Kind == KindEntry:
			return nil, broke(RuleKind, ErrMalformed, "record %d is an entry, not a key record", rec.Index)
		case RecordHash(rec) != rec.Hash:
			return nil, broke(RuleHash, ErrMalformed, "key record %d: the hash of its fields is not the stated %s", rec.Index, rec.Hash)
		}
		if _, err := Check(r.Registry, rec); err != nil {
			return nil, err
		}
		last = rec.Index
	}
	r.Resync(size, prev)
	return r, nil
}
