package main

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/signet-ledger/signet/client"
	"github.com/signet-ledger/signet/keys"
	"github.com/signet-ledger/signet/ledger"
)

// load submits signed entries from several goroutines, each waiting for
// its answer before sending the next, to one or more servers. It records
// what a client would hold afterwards: every acknowledged (201) entry, every
// checkpoint handed out, and a tally of outcomes.
type load struct {
	t    *testing.T
	keys []keys.PrivateKey
	stop chan struct{}
	wg   sync.WaitGroup

	mu      sync.Mutex
	clients []*client.Client
	acked   map[int64]ledger.Hash // index -> hash of every 201
	notes   map[string]bool       // every checkpoint handed out
	tally   map[string]int        // outcome -> count, since the last swap
	total   map[string]int        // outcome -> count, over the whole run
	sample  map[string]string     // outcome -> its first error
	// unacked holds, by outcome, the payloads (base64url, as stored) of
	// the appends that got no 201.
	unacked map[string][]string
}

// Outcomes other than an HTTP status.
const (
	outNoAnswer = "no answer"               // a connection error or timeout
	outNoRetry  = "503 without Retry-After" // a 503 that does not say when to retry
	outFork     = "fork"                    // two different 201s for one index
)

// newLoad returns a load on clients, signing with signers' keys, not
// started yet.
func newLoad(t *testing.T, signers []keys.PrivateKey, clients ...*client.Client) *load {
	return &load{t: t, keys: signers, clients: clients, stop: make(chan struct{}),
		acked: map[int64]ledger.Hash{}, notes: map[string]bool{},
		tally: map[string]int{}, total: map[string]int{}, sample: map[string]string{},
		unacked: map[string][]string{}}
}

// start runs n workers until wait is called.
func (l *load) start(n int) {
	for w := range n {
		l.wg.Add(1)
		go l.worker(w)
	}
}

// wait stops the workers and waits for their last answers.
func (l *load) wait() {
	close(l.stop)
	l.wg.Wait()
}

// addClient makes the workers also send to c.
func (l *load) addClient(c *client.Client) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.clients = append(l.clients, c)
}

func (l *load) worker(w int) {
	defer l.wg.Done()
	key := l.keys[w%len(l.keys)]
	for i := 0; ; i++ {
		select {
		case <-l.stop:
			return
		default:
		}
		l.mu.Lock()
		c := l.clients[(w+i)%len(l.clients)]
		l.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		payload := fmt.Appendf(nil, `{"worker":%d,"n":%d}`, w, i)
		a, err := c.Submit(ctx, key, payload)
		cancel()
		out := l.record(a, err)
		if out != "201" {
			l.mu.Lock()
			l.unacked[out] = append(l.unacked[out], base64.RawURLEncoding.EncodeToString(payload))
			l.mu.Unlock()
			// A client that is refused backs off briefly; without this,
			// 16 workers would spin on 503s and starve the machine.
			time.Sleep(50 * time.Millisecond)
		}
	}
}

// record tallies one answer and returns its outcome.
func (l *load) record(a *client.Appended, err error) string {
	out := outcome(a, err)
	l.mu.Lock()
	defer l.mu.Unlock()
	if out == "201" {
		h, perr := ledger.ParseHash(a.Hash)
		if prev, ok := l.acked[a.Index]; perr != nil || ok && prev != h {
			out, err = outFork, fmt.Errorf("index %d acknowledged as %s and as %s (%v)", a.Index, prev, a.Hash, perr)
		}
		l.acked[a.Index] = h
		l.notes[a.Checkpoint] = true
	}
	l.tally[out]++
	l.total[out]++
	if _, ok := l.sample[out]; !ok && err != nil {
		l.sample[out] = err.Error()
	}
	return out
}

// outcome names an answer: its status, outNoRetry or outNoAnswer.
func outcome(a *client.Appended, err error) string {
	var p *client.Problem
	switch {
	case err == nil && a.Existing:
		return "200"
	case err == nil:
		return "201"
	case errors.As(err, &p) && p.Status == 503 && p.RetryAfter == "":
		return outNoRetry
	case errors.As(err, &p):
		return strconv.Itoa(p.Status)
	}
	return outNoAnswer
}

// swap returns the outcomes since the last swap and starts a new tally.
func (l *load) swap() map[string]int {
	l.mu.Lock()
	defer l.mu.Unlock()
	t := l.tally
	l.tally = map[string]int{}
	return t
}

// count returns how many answers since the last swap had outcome out.
func (l *load) count(out string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.tally[out]
}

// waitFor waits up to d for n answers with outcome out since the last swap.
func (l *load) waitFor(out string, n int, d time.Duration) bool {
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		if l.count(out) >= n {
			return true
		}
	}
	return false
}

// only fails the test if tally holds an outcome not in allowed.
func (l *load) only(what string, tally map[string]int, allowed ...string) {
	l.t.Helper()
	ok := map[string]bool{}
	for _, a := range allowed {
		ok[a] = true
	}
	for out, n := range tally {
		if !ok[out] {
			l.mu.Lock()
			s := l.sample[out]
			l.mu.Unlock()
			l.t.Errorf("%s: %d answers were %q (want only %q); first: %s", what, n, out, allowed, s)
		}
	}
}

// totals returns the outcomes of the whole run.
func (l *load) totals() map[string]int {
	l.mu.Lock()
	defer l.mu.Unlock()
	t := make(map[string]int, len(l.total))
	for k, v := range l.total {
		t[k] = v
	}
	return t
}

// handedOut adds checkpoints handed out other than by the load's appends.
func (l *load) handedOut(notes ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, n := range notes {
		l.notes[n] = true
	}
}

// acknowledged returns a copy of what the load holds: the 201s and the
// checkpoints.
func (l *load) acknowledged() (map[int64]ledger.Hash, map[string]bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	acked, notes := make(map[int64]ledger.Hash, len(l.acked)), make(map[string]bool, len(l.notes))
	for k, v := range l.acked {
		acked[k] = v
	}
	for k := range l.notes {
		notes[k] = true
	}
	return acked, notes
}
