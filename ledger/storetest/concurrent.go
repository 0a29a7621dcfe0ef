package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/signet-ledger/signet/keys"
	"github.com/signet-ledger/signet/ledger"
	"golang.org/x/mod/sumdb/tlog"
)

// Writers and the Sequences each runs in [testConcurrent].
const (
	writers   = 8
	sequences = 25
)

// testConcurrent runs many Sequences at once on two handles of one
// database, as two processes would, each reading the head and appending
// to it. If the write lock did not serialise them, two would read the
// same head and the chain would fork, or a Write would fail; afterwards
// there must be one gap-free chain holding every append exactly once.
func testConcurrent(t *testing.T, b Backend) {
	name := b.New(t)
	stores := []ledger.Store{b.Open(t, name), b.Open(t, name)}
	w := newWorld(t)
	m := newModel(w)
	k := newKey(t)
	write(t, stores[0], m, m.next(w.register("writer", k)))
	var wg sync.WaitGroup
	want := map[string]bool{}
	for g := range writers {
		for i := range sequences {
			for j := range 1 + (g+i)%3 {
				want[fmt.Sprintf("%d/%d/%d", g, i, j)] = true
			}
		}
		wg.Go(func() {
			s, last := stores[g%2], int64(-1)
			for i := range sequences {
				var err error
				if last, err = appendOnce(t, s, w, k, g, i, last); err != nil {
					t.Errorf("writer %d: Sequence %d = %v", g, i, err)
					return
				}
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	recs := checkLog(t, stores[1], w)
	for _, r := range recs[1:] {
		p, err := r.PayloadJSON()
		var e struct{ Memo string }
		if err != nil || json.Unmarshal(p, &e) != nil || !want[e.Memo] {
			t.Fatalf("record %d is %q: not one append, or one appended twice", r.Index, e.Memo)
		}
		delete(want, e.Memo)
	}
	if len(want) != 0 {
		t.Fatalf("%d appends are missing from the log", len(want))
	}
}

// appendOnce is one writer's Sequence: read the head and the registry
// under the lock, guessing the frontier of the tree it last wrote, and
// append 1 to 3 entries. It returns the new size.
func appendOnce(t *testing.T, s ledger.Store, w *world, k keys.PrivateKey, g, i int, last int64) (int64, error) {
	var size int64
	err := s.Sequence(testCtx(t), func(ctx context.Context, tx ledger.Tx) error {
		q := ledger.SnapshotQuery{Signers: []string{"writer"}, KIDs: []string{kid(k)}, HashesFor: last}
		if last >= 0 {
			q.Hashes = ledger.Frontier(last)
		}
		snap, err := tx.Snapshot(ctx, q)
		if err != nil {
			return err
		}
		if len(snap.Registry) != 1 || len(snap.Registry[0].Keys) != 1 {
			return fmt.Errorf("Snapshot().Registry = %+v, want the writer and its key", snap.Registry)
		}
		read := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) { return tx.ReadHashes(ctx, idx) })
		if snap.Hashes != nil {
			if want, err := read.ReadHashes(q.Hashes); err != nil || !slices.Equal(snap.Hashes, want) {
				return fmt.Errorf("Snapshot().Hashes = %v, but ReadHashes(%v) = %v, %v", snap.Hashes, q.Hashes, want, err)
			}
		}
		var ps []pend
		for j := range 1 + (g+i)%3 {
			ps = append(ps, w.entry("writer", k, fmt.Sprintf("%d/%d/%d", g, i, j)))
		}
		b, err := w.seal(snap.Head, read, nil, ps...)
		if err != nil {
			return err
		}
		size = b.Head.Size
		return tx.Write(ctx, b)
	})
	return size, err
}
