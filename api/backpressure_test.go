package api_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/signet-ledger/signet/client"
	"github.com/signet-ledger/signet/internal/signettest"
	"github.com/signet-ledger/signet/ledger"
)

// gateStore holds every sequencing transaction until the gate opens, as a
// slow database would.
type gateStore struct {
	ledger.Store
	gate chan struct{}
}

func (s *gateStore) Sequence(ctx context.Context, f func(context.Context, ledger.Tx) error) error {
	<-s.gate
	return s.Store.Sequence(ctx, f)
}

// TestQueueFullAnswers503: with a bounded queue and a stalled commit,
// appends beyond the queue get 503 unavailable with Retry-After at once,
// instead of piling up in memory; the queued ones are appended once the
// database moves again.
func TestQueueFullAnswers503(t *testing.T) {
	var gs *gateStore
	e := signettest.New(t, signettest.Options{Ledger: func(c *ledger.Config) {
		gs = &gateStore{Store: c.Store, gate: make(chan struct{})}
		c.Store, c.Queue, c.MaxBatch = gs, 4, 2
	}})
	ctx := context.Background()
	close(gs.gate) // let registration through
	k := e.Register(t, "alice")
	gs.gate = make(chan struct{})
	before := e.Size(t)

	var entries [][]byte
	for i := 0; i < 30; i++ {
		j, err := e.Client.SignEntry(ctx, k, []byte(fmt.Sprintf(`{"n":%d}`, i)))
		if err != nil {
			t.Fatal(err)
		}
		entries = append(entries, j.Flattened())
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	statuses := map[int]int{}
	retryAfter := true
	refused := make(chan struct{}, len(entries))
	for _, body := range entries {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := e.Client.SubmitJWS(ctx, body)
			var p *client.Problem
			status := 201
			if err != nil {
				if !errors.As(err, &p) {
					t.Errorf("SubmitJWS = %v", err)
					return
				}
				status = p.Status
				if p.RetryAfter == "" {
					retryAfter = false
				}
				refused <- struct{}{}
			}
			mu.Lock()
			statuses[status]++
			mu.Unlock()
		}()
	}
	// Wait until the overflow has been refused, then let the queue drain.
	for i := 0; i < len(entries)-4-2-1; i++ {
		<-refused
	}
	close(gs.gate)
	wg.Wait()
	if statuses[503] == 0 || !retryAfter {
		t.Errorf("statuses = %v, Retry-After on every 503: %v; want some 503s with Retry-After", statuses, retryAfter)
	}
	if statuses[201]+statuses[503] != len(entries) {
		t.Errorf("statuses = %v; want only 201 and 503", statuses)
	}
	if got := e.Size(t) - before; got != int64(statuses[201]) {
		t.Errorf("log grew by %d, want %d (one per 201)", got, statuses[201])
	}
}
