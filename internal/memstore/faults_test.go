package memstore_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/signet-ledger/signet/internal/memstore"
	"github.com/signet-ledger/signet/ledger"
)

var errFault = fmt.Errorf("%w: fault: connection lost", ledger.ErrUnavailable)

// batch is n records appended to a log of size records. The store checks
// no hashes or signatures, only the schema's constraints.
func batch(size int64, n int) *ledger.Batch {
	b := &ledger.Batch{Head: ledger.Head{Size: size + int64(n), Checkpoint: []byte("checkpoint\n")}}
	for i := range int64(n) {
		idx := size + i
		b.Records = append(b.Records, &ledger.Record{Index: idx, Kind: ledger.KindEntry, Signer: "alice",
			Payload: "e30", Nonce: fmt.Sprintf("nonce-%d", idx), IntegratedTime: time.Unix(idx, 0)})
		b.Hashes = append(b.Hashes, ledger.StoredHash{Index: idx, Hash: [32]byte{byte(idx)}})
	}
	b.Head.Hash[0] = byte(b.Head.Size)
	return b
}

// appendBatch appends n records to s in one Sequence.
func appendBatch(ctx context.Context, s ledger.Store, n int) error {
	return s.Sequence(ctx, func(ctx context.Context, tx ledger.Tx) error {
		snap, err := tx.Snapshot(ctx, ledger.SnapshotQuery{HashesFor: -1})
		if err != nil {
			return err
		}
		return tx.Write(ctx, batch(snap.Head.Size, n))
	})
}

// faultOps calls each operation Faults can hit; the appends must leave
// the log as it was when they fail.
var faultOps = []struct {
	op   memstore.Op
	call func(ctx context.Context, s *memstore.Store) error
}{
	{memstore.OpBegin, func(ctx context.Context, s *memstore.Store) error { return appendBatch(ctx, s, 1) }},
	{memstore.OpSnapshot, func(ctx context.Context, s *memstore.Store) error { return appendBatch(ctx, s, 1) }},
	{memstore.OpWrite, func(ctx context.Context, s *memstore.Store) error { return appendBatch(ctx, s, 2) }},
	{memstore.OpCommit, func(ctx context.Context, s *memstore.Store) error { return appendBatch(ctx, s, 3) }},
	{memstore.OpRead, func(ctx context.Context, s *memstore.Store) error { _, err := s.Head(ctx); return err }},
	{memstore.OpPing, func(ctx context.Context, s *memstore.Store) error { return s.Ping(ctx) }},
}

func size(t *testing.T, s ledger.Store) int64 {
	t.Helper()
	h, err := s.Head(context.Background())
	if err != nil {
		t.Fatalf("Head() = %v", err)
	}
	return h.Size
}

// TestFaults checks Fail for once and for every call, Clear and Calls, on
// every operation: a failed append leaves the head where it was.
func TestFaults(t *testing.T) {
	ctx := context.Background()
	for _, c := range faultOps {
		t.Run(string(c.op), func(t *testing.T) {
			d := memstore.NewDB()
			s, other := d.Open(), d.Open() // other reads the head without faults
			s.Faults.Fail(c.op, 1, errFault)
			before := size(t, other)
			if err := c.call(ctx, s); !errors.Is(err, errFault) {
				t.Errorf("%s with a fault for the next call = %v, want %v", c.op, err, errFault)
			}
			if got := size(t, other); got != before {
				t.Errorf("the head moved from %d to %d on a failed %s", before, got, c.op)
			}
			if err := c.call(ctx, s); err != nil {
				t.Errorf("%s after the one fault = %v, want success", c.op, err)
			}
			s.Faults.Fail(c.op, -1, errFault)
			for i := range 3 {
				if err := c.call(ctx, s); !errors.Is(err, errFault) {
					t.Errorf("%s call %d with a fault for every call = %v, want %v", c.op, i, err, errFault)
				}
			}
			s.Faults.Clear()
			if err := c.call(ctx, s); err != nil {
				t.Errorf("%s after Clear = %v, want success", c.op, err)
			}
			if got := s.Faults.Calls(c.op); got < 6 {
				t.Errorf("Calls(%s) = %d, want at least 6", c.op, got)
			}
		})
	}
}

// TestFaultsBlock checks that a blocked operation waits for its release,
// and fails with ErrUnavailable if its deadline comes first.
func TestFaultsBlock(t *testing.T) {
	s := memstore.New()
	release := make(chan struct{})
	s.Faults.Block(memstore.OpRead, release)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := s.Head(ctx); !errors.Is(err, ledger.ErrUnavailable) {
		t.Errorf("Head() blocked past its deadline = %v, want ErrUnavailable", err)
	}
	done := make(chan error)
	go func() {
		_, err := s.Head(context.Background())
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("Head() returned %v while blocked", err)
	case <-time.After(20 * time.Millisecond):
	}
	close(release)
	if err := <-done; err != nil {
		t.Errorf("Head() after the release = %v", err)
	}
}

// TestSequenceExclusive holds one Store's Sequence at its commit and
// checks that another Store of the DB cannot sequence until it is done,
// and sees none of its writes meanwhile.
func TestSequenceExclusive(t *testing.T) {
	d := memstore.NewDB()
	s1, s2 := d.Open(), d.Open()
	release := make(chan struct{})
	s1.Faults.Block(memstore.OpCommit, release)
	done := make(chan error)
	go func() { done <- appendBatch(context.Background(), s1, 2) }()
	for s1.Faults.Calls(memstore.OpCommit) == 0 {
		time.Sleep(time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	if err := appendBatch(ctx, s2, 1); !errors.Is(err, ledger.ErrUnavailable) {
		t.Errorf("Sequence on a second Store while the first holds the lock = %v, want ErrUnavailable", err)
	}
	if got := size(t, s2); got != 0 {
		t.Errorf("a second Store sees %d records before the first commits, want 0", got)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatalf("the first Sequence = %v", err)
	}
	if err := appendBatch(context.Background(), s2, 1); err != nil {
		t.Fatalf("Sequence on the second Store after the first = %v", err)
	}
	if got := size(t, s1); got != 3 {
		t.Errorf("size after both Sequences = %d, want 3", got)
	}
}

// TestClosed checks that a closed Store is unavailable and its DB not.
func TestClosed(t *testing.T) {
	d := memstore.NewDB()
	s1, s2 := d.Open(), d.Open()
	s1.Close()
	if err := s1.Ping(context.Background()); !errors.Is(err, ledger.ErrUnavailable) {
		t.Errorf("Ping() of a closed Store = %v, want ErrUnavailable", err)
	}
	if err := appendBatch(context.Background(), s2, 1); err != nil {
		t.Errorf("Sequence on another Store of the DB = %v", err)
	}
}
