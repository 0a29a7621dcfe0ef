package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/signet-ledger/signet/ledger"
)

var errRollback = errors.New("storetest: rolled back on purpose")

// testSpent checks the spent nonces of refused requests: a batch of only
// spent nonces leaves the head as it is; Snapshot reports which of its
// nonces are spent, to every handle; ForgetBefore deletes the older ones;
// and spent nonces are written, or not, with the rest of the transaction.
func testSpent(t *testing.T, b Backend) {
	name := b.New(t)
	s := b.Open(t, name)
	w := newWorld(t)
	m := newModel(w)
	k := newKey(t)
	write(t, s, m, m.next(w.register("alice", k), w.entry("alice", k, "x")))
	t0 := time.Now()
	old, fresh, unused := nonce(), nonce(), nonce()
	write(t, s, m, &ledger.Batch{Spent: []string{old}, SpentTime: t0.Add(-time.Hour)})
	compare(t, s, m) // the head and records are untouched

	spentOf := func(s ledger.Store) map[string]bool {
		return snapshot(t, s, ledger.SnapshotQuery{Nonces: []string{old, fresh, unused, m.recs[1].Nonce}, HashesFor: -1}).Spent
	}
	if got := spentOf(b.Open(t, name)); len(got) != 1 || !got[old] {
		t.Errorf("Snapshot().Spent = %v; want only the spent nonce", got)
	}
	// A failed transaction spends nothing.
	err := s.Sequence(testCtx(t), func(ctx context.Context, tx ledger.Tx) error {
		if _, err := tx.Snapshot(ctx, ledger.SnapshotQuery{HashesFor: -1}); err != nil {
			return err
		}
		if err := tx.Write(ctx, &ledger.Batch{Spent: []string{unused}, SpentTime: t0}); err != nil {
			return err
		}
		return errRollback
	})
	if err != errRollback {
		t.Fatalf("Sequence = %v, want the rollback", err)
	}
	write(t, s, m, &ledger.Batch{Spent: []string{fresh}, SpentTime: t0, ForgetBefore: t0.Add(-time.Minute)})
	if got := spentOf(s); len(got) != 1 || !got[fresh] {
		t.Errorf("after ForgetBefore: Snapshot().Spent = %v; want only the fresh nonce (the old one forgotten, the rolled back one never spent)", got)
	}
	compare(t, s, m)
}
