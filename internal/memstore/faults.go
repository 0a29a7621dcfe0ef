package memstore

import (
	"context"
	"sync"
	"time"
)

// Op names the operations of a [Store] that [Faults] can hit.
type Op string

const (
	// OpBegin is the start of [Store.Sequence], before it waits for the
	// write lock: a fault here is a transaction that cannot begin.
	OpBegin Op = "begin"
	// OpSnapshot is [ledger.Tx.Snapshot].
	OpSnapshot Op = "snapshot"
	// OpWrite is [ledger.Tx.Write], before it writes anything.
	OpWrite Op = "write"
	// OpCommit is the commit of [Store.Sequence], after f returned nil and
	// before anything f wrote is visible: a fault here is a failed commit.
	OpCommit Op = "commit"
	// OpRead is every read: Head, Record, Records, RecordByNonce,
	// ReadHashes, Signer, Key, Secret, Cosigned and WitnessSize of the
	// Store, and ReadHashes of the Tx.
	OpRead Op = "read"
	// OpCosign is [Store.AddCosignatures], before it writes anything.
	OpCosign Op = "cosign"
	// OpPing is [Store.Ping].
	OpPing Op = "ping"
)

// Faults makes operations of one [Store] fail, wait or stall, and counts
// them, for tests of what the ledger does when its database misbehaves.
// The zero value injects nothing. It is safe for concurrent use.
//
// A failing operation returns the error given, as it is: to look like a
// database that went away, wrap [ledger.ErrUnavailable].
type Faults struct {
	mu    sync.Mutex
	set   map[Op]*fault
	calls map[Op]int
}

type fault struct {
	err   error
	n     int // calls left to fail; < 0 for every call
	delay time.Duration
	until <-chan struct{} // nil, or wait until closed
}

func (f *Faults) get(op Op) *fault {
	if f.set == nil {
		f.set = map[Op]*fault{}
	}
	if f.set[op] == nil {
		f.set[op] = &fault{}
	}
	return f.set[op]
}

// Fail makes the next n calls of op fail with err; n < 0 makes every call
// fail until [Faults.Clear].
func (f *Faults) Fail(op Op, n int, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	ft := f.get(op)
	ft.err, ft.n = err, n
}

// Delay makes every call of op wait d before it runs (or fails).
func (f *Faults) Delay(op Op, d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.get(op).delay = d
}

// Block makes every call of op wait until release is closed before it
// runs (or fails). A call whose context ends first fails with an error
// wrapping [ledger.ErrUnavailable].
func (f *Faults) Block(op Op, release <-chan struct{}) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.get(op).until = release
}

// Clear removes every failure, delay and block of ops, or of every
// operation if none is given. The counts stay.
func (f *Faults) Clear(ops ...Op) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(ops) == 0 {
		f.set = nil
	}
	for _, op := range ops {
		delete(f.set, op)
	}
}

// Calls returns how many times op was called on the Store, failed or not.
func (f *Faults) Calls(op Op) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[op]
}

// hit counts a call of op, waits as its fault says, and returns the
// error the call must fail with, if any.
func (f *Faults) hit(ctx context.Context, op Op) error {
	f.mu.Lock()
	if f.calls == nil {
		f.calls = map[Op]int{}
	}
	f.calls[op]++
	ft := f.set[op]
	var cp fault
	if ft != nil {
		cp = *ft
		if ft.n > 0 {
			ft.n--
		}
	}
	f.mu.Unlock()
	if err := wait(ctx, cp.delay, cp.until); err != nil {
		return err
	}
	if cp.err != nil && cp.n != 0 {
		return cp.err
	}
	return ctxErr(ctx)
}

// wait sleeps d, then waits for until to close, unless ctx ends first.
func wait(ctx context.Context, d time.Duration, until <-chan struct{}) error {
	if d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return ctxErr(ctx)
		}
	}
	if until != nil {
		select {
		case <-until:
		case <-ctx.Done():
			return ctxErr(ctx)
		}
	}
	return nil
}
