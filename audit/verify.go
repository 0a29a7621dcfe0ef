package audit

import (
	"context"
	"encoding/json"
	"sync"

	"github.com/signet-ledger/signet"
	"github.com/signet-ledger/signet/keys"
	"golang.org/x/sync/semaphore"
)

// job is the part of one record's checks that can run out of order: its
// signature, with the key already resolved in log order, and its shown
// payload.
type job struct {
	index, line int64
	check       *signet.Deferred // nil for key records, verified in order
	shown       json.RawMessage
	signed      string
	weight      int64 // the bytes of its line it holds, as acquired
}

// batchSize is how many jobs travel together to a worker, and
// batchBytes how many line bytes at most, so that large lines spread
// over the workers.
const (
	batchSize  = 128
	batchBytes = 1 << 20
)

// verifier runs jobs on a fixed set of workers and reports their
// failures. Its memory is bounded by bytes: the jobs queued or running
// hold at most budget bytes of export lines; add blocks until enough
// finish. The signatures of a batch of jobs are checked together
// ([signet.Replay.CheckDeferred]).
type verifier struct {
	replay *signet.Replay
	keys   keys.BatchKeyCache
	jobs   chan []job
	batch  []job
	bytes  int64 // in batch
	sem    *semaphore.Weighted
	budget int64
	fails  *failures
	wg     sync.WaitGroup
}

func newVerifier(replay *signet.Replay, workers int, budget int64, fails *failures) *verifier {
	v := &verifier{replay: replay, jobs: make(chan []job, 2*workers), batch: make([]job, 0, batchSize),
		sem: semaphore.NewWeighted(budget), budget: budget, fails: fails}
	for range workers {
		v.wg.Go(v.work)
	}
	return v
}

// add queues j, whose line had n bytes, once the budget allows: until
// ctx is done.
func (v *verifier) add(ctx context.Context, j job, n int) error {
	j.weight = min(int64(n), v.budget)
	if !v.sem.TryAcquire(j.weight) {
		v.flush() // the batch's jobs must run to free the budget
		if err := v.sem.Acquire(ctx, j.weight); err != nil {
			return err
		}
	}
	v.batch = append(v.batch, j)
	v.bytes += j.weight
	if len(v.batch) == batchSize || v.bytes >= batchBytes {
		v.flush()
	}
	return nil
}

func (v *verifier) flush() {
	if len(v.batch) > 0 {
		v.jobs <- v.batch
		v.batch, v.bytes = make([]job, 0, batchSize), 0
	}
}

// stop runs the queued jobs and waits for the workers.
func (v *verifier) stop() {
	v.flush()
	close(v.jobs)
	v.wg.Wait()
}

func (v *verifier) work() {
	var ds []*signet.Deferred
	var errs []error
	for batch := range v.jobs {
		ds = ds[:0]
		for i := range batch {
			if batch[i].check != nil {
				ds = append(ds, batch[i].check)
			}
		}
		errs = v.replay.CheckDeferred(ds, &v.keys)
		for i := range batch {
			var err error
			if batch[i].check != nil {
				err, errs = errs[0], errs[1:]
			}
			if e := batch[i].result(err); e != nil {
				v.fails.add(e)
			}
			w := batch[i].weight
			batch[i] = job{} // let the record go before its bytes are released
			v.sem.Release(w)
		}
		clear(ds)
	}
}

// result reports the record's failure: err, the first rule its deferred
// checks found broken, else its shown payload's (R7). A record reports one
// failure at most.
func (j *job) result(err error) *Error {
	if err != nil {
		return ruleFailure(j.index, j.line, err)
	}
	if err := signet.CheckShownPayload(j.shown, j.signed); err != nil {
		return ruleFailure(j.index, j.line, err)
	}
	return nil
}
