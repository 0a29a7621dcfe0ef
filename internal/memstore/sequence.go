package memstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/signet-ledger/signet/ledger"
	"golang.org/x/mod/sumdb/tlog"
)

// Sequence runs f holding the DB's write lock, with what f writes staged
// apart, and commits it if f returns nil and the context has not ended.
func (s *Store) Sequence(ctx context.Context, f func(context.Context, ledger.Tx) error) error {
	if err := s.enter(ctx, OpBegin); err != nil {
		return err
	}
	select {
	case s.db.lock <- struct{}{}:
	case <-ctx.Done():
		return ctxErr(ctx)
	}
	defer func() { <-s.db.lock }()
	t := &seqTx{s: s, staged: []*tables{}}
	defer func() { t.done = true }()
	if err := f(ctx, t); err != nil {
		return err
	}
	if err := t.usable(); err != nil {
		return err
	}
	if err := s.enter(ctx, OpCommit); err != nil {
		return err
	}
	s.db.mu.Lock()
	defer s.db.mu.Unlock()
	for _, l := range t.staged {
		s.db.committed.merge(l)
	}
	return nil
}

// seqTx is the transaction of Sequence: the layers its Writes staged, in
// order, above the committed state.
type seqTx struct {
	s      *Store
	staged []*tables
	locked bool  // Snapshot ran
	size   int64 // head size read in Snapshot, then moved by each Write
	failed error // the Write that aborted the transaction
	done   bool  // Sequence returned
}

var _ ledger.Tx = (*seqTx)(nil)

var errDone = errors.New("memstore: the transaction is over: Sequence returned")

func (t *seqTx) usable() error {
	switch {
	case t.done:
		return errDone
	case t.failed != nil:
		return fmt.Errorf("memstore: the transaction was aborted by an earlier error: %w", t.failed)
	}
	return nil
}

// read runs f on the transaction's view, as op, under the readers' lock
// (which keeps out [DB.Tamper]; no writer can run, t holds the lock).
func (t *seqTx) read(ctx context.Context, op Op, f func(v view) error) error {
	if err := t.usable(); err != nil {
		return err
	}
	if err := t.s.enter(ctx, op); err != nil {
		return err
	}
	t.s.db.mu.RLock()
	defer t.s.db.mu.RUnlock()
	return f(append(view{t.s.db.committed}, t.staged...))
}

// Snapshot reads the head, the registry the batch touches, the records
// that used its nonces, and the guessed frontier hashes.
func (t *seqTx) Snapshot(ctx context.Context, q ledger.SnapshotQuery) (*ledger.Snapshot, error) {
	snap := &ledger.Snapshot{ByNonce: map[string]*ledger.Record{}, Spent: map[string]bool{}}
	err := t.read(ctx, OpSnapshot, func(v view) error {
		snap.Head = v.head().head()
		var err error
		if snap.Registry, err = v.signers(q.Signers, q.KIDs); err != nil {
			return err
		}
		for _, n := range q.Nonces {
			if r := v.byNonce(n); r != nil {
				snap.ByNonce[n] = r.record()
			}
			if v.spent(n) {
				snap.Spent[n] = true
			}
		}
		if q.HashesFor == snap.Head.Size && len(q.Hashes) > 0 {
			snap.Hashes, _ = v.readHashes(q.Hashes) // a missing hash is a wrong guess, as any other
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	t.locked, t.size = true, snap.Head.Size
	return snap, nil
}

// ReadHashes reads stored hashes, the transaction's own writes included.
func (t *seqTx) ReadHashes(ctx context.Context, indexes []int64) ([]tlog.Hash, error) {
	var hs []tlog.Hash
	err := t.read(ctx, OpRead, func(v view) (err error) {
		hs, err = v.readHashes(indexes)
		return err
	})
	return hs, err
}

// Write checks b against the constraints, then stages it as a new layer.
func (t *seqTx) Write(ctx context.Context, b *ledger.Batch) error {
	if err := t.usable(); err != nil {
		return err
	}
	if !t.locked {
		return errors.New("memstore: Write before Snapshot")
	}
	if err := t.s.enter(ctx, OpWrite); err != nil {
		return err
	}
	t.s.db.mu.RLock()
	v := append(view{t.s.db.committed}, t.staged...)
	layer := newTables(v.next())
	err := stage(append(v, layer), b, t.size)
	t.s.db.mu.RUnlock()
	if err != nil {
		t.failed = err
		return err
	}
	t.staged = append(t.staged, layer)
	if len(b.Records) > 0 {
		t.size = b.Head.Size
	}
	return nil
}
