package ledger

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/signet-ledger/signet"
	"golang.org/x/mod/sumdb/note"
)

// # Witnessing
//
// With a witness policy ([Config.Witnesses]) a [Log] sends its checkpoints
// to every witness of the policy (c2sp.org/tlog-witness add-checkpoint)
// and stores the cosignatures they return with the checkpoint
// ([Store.AddCosignatures]). It works in rounds, in one goroutine of its
// own: the sequencer only signals, without waiting, that the head moved.
// A round reads the head and sends its checkpoint to every witness that
// has not cosigned it and is not backing off, one request per witness, all
// at once; it ends when every request has been answered or has timed out
// ([Config.WitnessTimeout]), and stores the round's cosignatures in one
// transaction. Heads that arrive during a round are coalesced: the next
// round sends the newest. So each witness has at most one request in
// flight, appends never wait for a witness, and the witnesses that answer
// cosign the same checkpoints, which lets a quorum form even under
// continuous appends; a witness that is slow to answer (but within the
// timeout) slows the rounds, and so the cosigning, for all.
//
// A witness's failure backs it off: it sits out the rounds for
// [Config.WitnessBackoff], doubled at each failure in a row up to
// [Config.WitnessMaxBackoff]. A 409 is not a failure: the log retries at
// once with a proof from the size the witness states. Two answers are
// alarms, logged at ERROR and kept in the witness's [WitnessStatus] for
// the life of the process: a 422, which says the witness holds a tree that
// this checkpoint is not consistent with, and a witness that has cosigned
// a larger tree than this log has. Either means someone presented the
// witness a fork of this log, or this log's database was rewritten or
// rolled back.
//
// Rounds are paced by [Config.WitnessInterval]: under continuous appends
// every batch moves the head, and without pacing rounds run back to back,
// each with a transaction of its own in the store and in every witness.
//
// Several processes on one database each push their own heads; witnesses
// tolerate that (an out-of-date push gets a 409 and is retried), at the
// cost of some duplicate requests.

// WitnessStatus is what one process knows of one witness of its policy.
type WitnessStatus struct {
	Name string `json:"name"`
	URL  string `json:"url"`
	// CosignedSize is the largest tree size the witness is known to have
	// cosigned: by its answers to this process, or by the cosignatures
	// stored when the process started. 0 if none.
	CosignedSize int64     `json:"cosigned_size"`
	LastSuccess  time.Time `json:"last_success,omitzero"`
	// LastError is the last failure's message, kept after a success;
	// Failures counts the failures since the last success.
	LastError     string    `json:"last_error,omitempty"`
	LastErrorTime time.Time `json:"last_error_time,omitzero"`
	Failures      int       `json:"failures"`
	// Alarm is set when the witness's answer is evidence of a fork or a
	// rollback of this log (see the package's witnessing section); it
	// stays set until the process restarts.
	Alarm     string    `json:"alarm,omitempty"`
	AlarmTime time.Time `json:"alarm_time,omitzero"`
}

// witness is the state of one witness in the rounds.
type witness struct {
	signet.PolicyWitness
	mu      sync.Mutex
	st      WitnessStatus
	known   int64 // the witness's tree size as last learned; -1 if not yet
	retryAt time.Time
}

// witnessing sends checkpoints to the witnesses of a policy.
type witnessing struct {
	cfg      *Config
	store    Store
	log      *slog.Logger
	http     *http.Client
	verifier note.Verifier // the log's key
	ws       []*witness
	wake     chan struct{}
	ctx      context.Context
	cancel   context.CancelFunc
	done     chan struct{}
}

func startWitnessing(cfg *Config) *witnessing {
	ctx, cancel := context.WithCancel(context.Background())
	e := &witnessing{cfg: cfg, store: cfg.Store, log: cfg.Logger, verifier: cfg.Verifier,
		http: &http.Client{Timeout: cfg.WitnessTimeout}, wake: make(chan struct{}, 1),
		ctx: ctx, cancel: cancel, done: make(chan struct{})}
	for _, pw := range cfg.Witnesses.Witnesses {
		e.ws = append(e.ws, &witness{PolicyWitness: pw, known: -1, st: WitnessStatus{Name: pw.Name, URL: pw.URL}})
	}
	e.poke()
	go e.run()
	return e
}

// poke tells the rounds that the head moved. It never blocks.
func (e *witnessing) poke() {
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// stop ends the rounds, cancelling requests in flight.
func (e *witnessing) stop() {
	e.cancel()
	<-e.done
}

func (e *witnessing) run() {
	defer close(e.done)
	for {
		started := time.Now()
		wait := e.round()
		t := time.NewTimer(wait)
		select {
		case <-e.wake:
		case <-t.C:
		case <-e.ctx.Done():
			t.Stop()
			return
		}
		t.Stop()
		if !e.pace(started) {
			return
		}
	}
}

// pace waits until WitnessInterval after started, the start of the last
// round; it returns false if witnessing stopped meanwhile.
func (e *witnessing) pace(started time.Time) bool {
	d := time.Until(started.Add(e.cfg.WitnessInterval))
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-e.ctx.Done():
		return false
	}
}

// round sends the head's checkpoint to the witnesses that need it, stores
// their cosignatures, and returns how long the next round may wait
// without a new head: until the first backed-off witness may retry.
func (e *witnessing) round() time.Duration {
	ctx, cancel := context.WithTimeout(e.ctx, e.cfg.WitnessTimeout)
	h, err := e.store.Head(ctx)
	cancel()
	if err != nil {
		e.log.Warn("witnessing: reading the head", "err", err)
		return e.cfg.WitnessBackoff
	}
	if h.Size == 0 {
		return time.Hour
	}
	cp, err := OpenCheckpoint(h.Checkpoint, e.cfg.Origin, e.verifier)
	if err != nil {
		e.log.Error("witnessing: the head's checkpoint does not verify with the log's key; not sent to witnesses", "err", err)
		return e.cfg.WitnessMaxBackoff
	}
	now := time.Now()
	lines := make([]*Cosignature, len(e.ws))
	var wg sync.WaitGroup
	for i, w := range e.ws {
		if w.due(cp.Size, now) {
			wg.Go(func() { lines[i] = e.push(w, cp) })
		}
	}
	wg.Wait()
	e.save(cp, lines)
	return e.nextRetry(cp.Size)
}

// due reports whether w should be sent the checkpoint of size now.
func (w *witness) due(size int64, now time.Time) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.st.CosignedSize < size && !now.Before(w.retryAt)
}

// nextRetry is the wait until the first witness that has not cosigned
// size may try again; an hour if none waits.
func (e *witnessing) nextRetry(size int64) time.Duration {
	wait := time.Hour
	for _, w := range e.ws {
		w.mu.Lock()
		if w.st.CosignedSize < size {
			wait = min(wait, max(time.Until(w.retryAt), time.Millisecond))
		}
		w.mu.Unlock()
	}
	return wait
}

// save stores the round's cosignatures with their checkpoint.
func (e *witnessing) save(cp *Checkpoint, lines []*Cosignature) {
	c := Cosigned{Size: cp.Size, Checkpoint: cp.Note}
	for _, l := range lines {
		if l != nil {
			c.Cosignatures = append(c.Cosignatures, *l)
		}
	}
	if len(c.Cosignatures) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(e.ctx, e.cfg.WitnessTimeout)
	defer cancel()
	if err := e.store.AddCosignatures(ctx, c); err != nil && !errors.Is(err, context.Canceled) {
		e.log.Error("witnessing: storing cosignatures", "size", cp.Size, "err", err)
	}
}

// statuses returns a copy of every witness's status, in policy order.
func (e *witnessing) statuses() []WitnessStatus {
	out := make([]WitnessStatus, len(e.ws))
	for i, w := range e.ws {
		w.mu.Lock()
		out[i] = w.st
		w.mu.Unlock()
	}
	return out
}
