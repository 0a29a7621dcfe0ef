package ledger

import (
	"context"
	"errors"
	"time"
)

// # Observing
//
// A [Log] tells an [Observer] ([Config.Observer]) what happens on its
// paths that leave no state behind: each committed batch, each
// verification, each store failure and each witness's failure. What the
// log holds as state (its queue, its head, its witnesses' status) it
// answers when asked, through [Log.Stats], [Log.Head] and
// [Log.Witnesses]; a metrics exporter reads those when it is scraped.

// Observer is told what the log does, for metrics. Its methods are called
// on the log's paths, appends included, from many goroutines at once: they
// must be safe for concurrent use and return at once (an atomic add or a
// histogram observation), and must not call back into the log.
type Observer interface {
	// Committed is called after each transaction of the sequencer, with
	// the number of requests it decided, the number of records it
	// appended (0 when it refused them all, or failed), how long the
	// transaction took, and its error (nil when it committed).
	Committed(requests, records int, d time.Duration, err error)
	// Verified is called with each answer of [Log.Verify].
	Verified(v *Verification)
	// StoreFailed is called when a method of the log's store returns an
	// error other than [ErrNotFound] or a cancelled context; op is the
	// method's name ("Sequence", "Head", ...).
	StoreFailed(op string, err error)
	// WitnessFailed is called when a witness of the policy, named as the
	// policy names it, did not cosign a checkpoint. status is the HTTP
	// status the witness answered (200 when it answered without a valid
	// cosignature; 409 after three conflicts in a row), or 0 when it gave
	// no answer (it could not be reached, timed out, or the log could not
	// make the request). alarm is true when the failure is evidence of a
	// fork or a rollback (see the witnessing section of witness.go).
	WitnessFailed(witness string, status int, alarm bool)
}

// nopObserver is the Observer of a Log without one.
type nopObserver struct{}

func (nopObserver) Committed(int, int, time.Duration, error) {}
func (nopObserver) Verified(*Verification)                   {}
func (nopObserver) StoreFailed(string, error)                {}
func (nopObserver) WitnessFailed(string, int, bool)          {}

// Stats is what the log's sequencer holds now.
type Stats struct {
	// Queued is the number of verified requests waiting for the
	// sequencer; QueueCapacity is how many may wait ([Config.Queue]).
	Queued, QueueCapacity int
	// Verifying is the number of requests being checked that will be
	// queued soon; batches wait for them up to [Config.MaxDelay].
	Verifying int64
}

// Stats returns what the log's sequencer holds now.
func (l *Log) Stats() Stats {
	return Stats{Queued: len(l.seq.queue), QueueCapacity: cap(l.seq.queue), Verifying: l.seq.inflight.Load()}
}

// PoolStats is what a store that keeps a pool of database connections can
// tell of it. A store that has one says so with a method
// PoolStats() PoolStats.
type PoolStats struct {
	Total, Idle, InUse, Max int64 // connections now
	// Opened counts the connections opened since the store was opened,
	// the first ones included: after a database restart or a network
	// fault, reconnections make it grow.
	Opened int64
	// Closed counts connections closed for their age or idleness.
	Closed int64
	// Acquires counts connections taken from the pool; Waited those that
	// had to wait for one, and WaitTime the time all of them waited.
	Acquires, Waited int64
	WaitTime         time.Duration
}

// observe reports err to o as a failure of the store's method op, unless
// it is an answer rather than a failure: nothing found, or the caller
// gone.
func observe(o Observer, op string, err error) {
	if err != nil && !errors.Is(err, ErrNotFound) && !errors.Is(err, context.Canceled) {
		o.StoreFailed(op, err)
	}
}
