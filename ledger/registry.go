package ledger

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/signet-ledger/signet"
	"github.com/signet-ledger/signet/keys"
	"github.com/signet-ledger/signet/registry"
	"golang.org/x/mod/sumdb/tlog"
)

// logRegistry is the registry as the log's own key records make it: every
// key record, read back from the store, is checked against its stored hash
// and tree leaf and replayed with [signet.Check]. Admission, the sequencer
// and verify take keys from here, never from the store's registry tables,
// so a row that the log does not back cannot make a key usable; the tables
// are a copy for reads, compared with this one before every append.
//
// It is safe for concurrent use.
type logRegistry struct {
	store Store

	mu   sync.RWMutex
	st   *registry.State
	size int64 // the records [0, size) are replayed
	// broken is set when a stored key record fails its checks: the log
	// can no longer say which keys are valid, so every append is refused.
	broken error

	// A kid the registry does not know sends it to the store, for key
	// records another process appended. Those trips are shared: a lookup
	// waits for a refresh that starts after it asked, joining one in
	// progress rather than starting its own, so a burst of unknown kids
	// (a batch of random ones) costs a couple of reads, not one each.
	fmu     sync.Mutex
	started uint64   // refreshes started so far
	fresh   uint64   // the latest refresh that succeeded
	flight  *refresh // the refresh in progress, if any
}

// refresh is one read of the store's head and catch-up to it.
type refresh struct {
	n    uint64
	done chan struct{}
	err  error
}

func newLogRegistry(store Store) *logRegistry {
	return &logRegistry{store: store, st: registry.NewState()}
}

// keyEventPage is how many key records one catch-up read fetches.
const keyEventPage = 1000

// catchUp replays the key records below head that it has not replayed yet.
func (r *logRegistry) catchUp(ctx context.Context, head int64) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.catchUpLocked(ctx, head)
}

func (r *logRegistry) catchUpLocked(ctx context.Context, head int64) error {
	for r.broken == nil && r.size < head {
		recs, err := r.store.Records(ctx, Query{KeyEvents: true, After: r.size - 1, Limit: keyEventPage})
		if err != nil {
			return err
		}
		n := 0
		for n < len(recs) && recs[n].Index < head {
			n++
		}
		if err := r.replay(ctx, recs[:n]); err != nil {
			if errors.Is(err, ErrCorrupt) {
				r.broken = err // only damage is permanent: a cancelled read is retried
			}
			return err
		}
		if n < keyEventPage {
			r.size = head
		} else {
			r.size = recs[n-1].Index + 1
		}
	}
	return r.broken
}

// replay checks and applies key records read from the store, in order.
func (r *logRegistry) replay(ctx context.Context, recs []*Record) error {
	if len(recs) == 0 {
		return nil
	}
	idx := make([]int64, len(recs))
	for i, rec := range recs {
		idx[i] = tlog.StoredHashIndex(0, rec.Index)
	}
	leaves, err := r.store.ReadHashes(ctx, idx)
	if err != nil {
		return fmt.Errorf("ledger: reading the tree leaves of key records: %w", err)
	}
	for i, rec := range recs {
		if signet.RecordHash(rec) != rec.Hash || signet.LeafHash(rec.Hash) != leaves[i] {
			return fmt.Errorf("%w: key record %d does not match its hash and tree leaf; refusing to use the registry", ErrCorrupt, rec.Index)
		}
		if _, err := signet.Check(r.st, rec); err != nil {
			return fmt.Errorf("%w: key record %d breaks the log's rules (%w); refusing to use the registry", ErrCorrupt, rec.Index, err)
		}
	}
	return nil
}

// signingKey applies [signet.Event.SigningKey] to a request at admission,
// against the registry at the head, and returns the key. An entry is
// bound to its key's signer first. A kid it does not know sends it to the
// store for key records another process appended.
func (r *logRegistry) signingKey(ctx context.Context, e *signet.Event) (keys.PublicKey, error) {
	pub, err := r.tryKey(e)
	if !errors.Is(err, registry.ErrUnknownKey) {
		return pub, err
	}
	if err := r.refresh(ctx, r.ticket()); err != nil {
		return pub, err
	}
	return r.tryKey(e)
}

// ticket returns the number of the first refresh that starts from now on.
func (r *logRegistry) ticket() uint64 {
	r.fmu.Lock()
	defer r.fmu.Unlock()
	return r.started + 1
}

// refresh returns once a refresh numbered want or later has caught the
// registry up to the store's head: it joins one in progress, or starts one.
func (r *logRegistry) refresh(ctx context.Context, want uint64) error {
	for {
		r.fmu.Lock()
		if r.fresh >= want {
			r.fmu.Unlock()
			return nil
		}
		if f := r.flight; f != nil {
			r.fmu.Unlock()
			select {
			case <-f.done:
			case <-ctx.Done():
				return ctx.Err()
			}
			continue // it succeeded (and may be late enough) or failed: look again
		}
		r.started++
		f := &refresh{n: r.started, done: make(chan struct{})}
		r.flight = f
		r.fmu.Unlock()

		h, err := r.store.Head(ctx)
		if err == nil {
			err = r.catchUp(ctx, h.Size)
		}
		r.fmu.Lock()
		r.flight = nil
		if err == nil && f.n > r.fresh {
			r.fresh = f.n
		}
		r.fmu.Unlock()
		f.err = err
		close(f.done)
		return err
	}
}

// tryKey is signingKey without the catch-up.
func (r *logRegistry) tryKey(e *signet.Event) (keys.PublicKey, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.broken != nil {
		return keys.PublicKey{}, r.broken
	}
	if k, ok := r.st.Key(e.KID); ok && e.Kind == KindEntry {
		e.Bind(k.Signer)
	}
	return e.SigningKey(r.st, r.size)
}

// key returns the key kid as the log made it, after catching up to head.
func (r *logRegistry) key(ctx context.Context, kid string, head int64) (registry.Key, bool, error) {
	if err := r.catchUp(ctx, head); err != nil {
		return registry.Key{}, false, err
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	k, ok := r.st.Key(kid)
	return k, ok, nil
}

// subset returns a registry holding the signers named and the owners of
// the kids named, with all their keys, for the sequencer to apply a batch
// to. The caller holds the store's lock and caught up to its head.
func (r *logRegistry) subset(signers, kids []string) *registry.State {
	r.mu.RLock()
	defer r.mu.RUnlock()
	sub := registry.NewState()
	for _, kid := range kids {
		if k, ok := r.st.Key(kid); ok {
			signers = append(signers, k.Signer)
		}
	}
	for _, id := range signers {
		if s, ok := r.st.Signer(id); ok {
			sub.Load(s)
		}
	}
	return sub
}

// committed records a batch the sequencer committed on top of the head it
// caught up to: sub holds the batch's signers after it, size the new head.
func (r *logRegistry) committed(from, size int64, sub *registry.State) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.size != from || r.broken != nil {
		return // another catch-up will read the batch from the store
	}
	r.st.Load(sub.Signers()...)
	r.size = size
}
