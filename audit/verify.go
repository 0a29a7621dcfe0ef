package audit

import (
	"encoding/json"
	"math"
	"sync"
	"sync/atomic"

	"github.com/signet-ledger/signet/ledger"
)

// job is the part of one record's checks that can run out of order: its
// signature, with the key already resolved in log order, and its shown
// payload.
type job struct {
	index, line int64
	check       func() error // nil for key records, verified in order
	shown       json.RawMessage
	signed      string
}

// batchSize is how many jobs travel together to a worker.
const batchSize = 128

// verifier runs jobs on a fixed set of workers and keeps the failure with
// the lowest index. Its memory is bounded: add blocks while every worker
// is busy and the queue is full.
type verifier struct {
	jobs  chan []job
	batch []job
	wg    sync.WaitGroup

	mu     sync.Mutex
	first  *Error
	lowest atomic.Int64 // index of first, or MaxInt64
}

func newVerifier(workers int) *verifier {
	v := &verifier{jobs: make(chan []job, 2*workers), batch: make([]job, 0, batchSize)}
	v.lowest.Store(math.MaxInt64)
	for range workers {
		v.wg.Go(v.work)
	}
	return v
}

// add queues j.
func (v *verifier) add(j job) {
	v.batch = append(v.batch, j)
	if len(v.batch) == batchSize {
		v.jobs <- v.batch
		v.batch = make([]job, 0, batchSize)
	}
}

// failed reports whether some job has failed: reading further is useless.
func (v *verifier) failed() bool { return v.lowest.Load() != math.MaxInt64 }

// stop runs the queued jobs, waits for the workers and returns the first
// failure, if any.
func (v *verifier) stop() *Error {
	if len(v.batch) > 0 {
		v.jobs <- v.batch
		v.batch = nil
	}
	close(v.jobs)
	v.wg.Wait()
	return v.first
}

func (v *verifier) work() {
	for batch := range v.jobs {
		for i := range batch {
			j := &batch[i]
			if j.index > v.lowest.Load() {
				continue // a failure comes earlier: this one cannot be first
			}
			if e := j.run(); e != nil {
				v.fail(e)
			}
		}
	}
}

func (j *job) run() *Error {
	if j.check != nil {
		if err := j.check(); err != nil {
			return &Error{Index: j.index, Line: j.line, Check: CheckSignature, Reason: err.Error(), Err: err}
		}
	}
	if !ledger.SamePayload(j.shown, j.signed) {
		return &Error{Index: j.index, Line: j.line, Check: CheckPayload,
			Reason: "the payload shown is not the payload signed (jws.payload)"}
	}
	return nil
}

func (v *verifier) fail(e *Error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if e.before(v.first) {
		v.first = e
		v.lowest.Store(e.Index)
	}
}
