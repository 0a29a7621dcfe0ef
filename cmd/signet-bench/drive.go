package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// load is one closed-loop run: clients send requests back to back, each
// waiting for its answer before sending the next.
type load struct {
	requests [][]byte // bodies, sent in order
	perReq   int      // entries per request
	path     string   // /v1/entries or /v1/entries:batch
	ctype    string
	clients  int
	warmup   time.Duration // answers before this are not counted
	duration time.Duration // the measured window after the warm-up
}

// outcome is what a run measured in its window.
type outcome struct {
	appended  int64     // entries answered 201 within the window
	latency   latencies // of requests sent within the window
	failures  map[string]int
	firstErr  string
	sent      int   // requests sent in all (the rest were not used)
	exhausted bool  // the run ran out of requests before the window ended
	total     int64 // entries answered 201 at any time, warm-up included
	nonces    []string
}

// rate is appended entries per second of the window.
func (o *outcome) rate(window time.Duration) float64 {
	return float64(o.appended) / window.Seconds()
}

// worker is one client's share of an outcome.
type worker struct {
	lat      latencies
	appended int64
	total    int64
	failures map[string]int
	firstErr string
	nonces   []string
	buf      bytes.Buffer
}

// drive runs l against base with hc.
func drive(ctx context.Context, hc *http.Client, base string, l load) *outcome {
	start := time.Now()
	from, to := start.Add(l.warmup), start.Add(l.warmup+l.duration)
	var next atomic.Int64
	ws := make([]*worker, l.clients)
	var wg sync.WaitGroup
	for i := range ws {
		w := &worker{failures: map[string]int{}}
		ws[i] = w
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil && time.Now().Before(to) {
				k := next.Add(1) - 1
				if k >= int64(len(l.requests)) {
					return
				}
				w.send(ctx, hc, base, l, l.requests[k], from, to)
			}
		}()
	}
	wg.Wait()
	o := &outcome{failures: map[string]int{}, sent: int(min(next.Load(), int64(len(l.requests))))}
	o.exhausted = time.Now().Before(to) && ctx.Err() == nil
	for _, w := range ws {
		o.appended += w.appended
		o.total += w.total
		o.latency = append(o.latency, w.lat...)
		o.nonces = append(o.nonces, w.nonces...)
		for k, v := range w.failures {
			o.failures[k] += v
		}
		if o.firstErr == "" {
			o.firstErr = w.firstErr
		}
	}
	return o
}

// send sends one request and accounts for its answer.
func (w *worker) send(ctx context.Context, hc *http.Client, base string, l load, body []byte, from, to time.Time) {
	t0 := time.Now()
	n, err := w.post(ctx, hc, base+l.path, l.ctype, body, l.perReq)
	t1 := time.Now()
	if err != nil {
		w.fail(err)
	}
	w.total += int64(n)
	if !t1.Before(from) && !t1.After(to) {
		w.appended += int64(n)
	}
	if !t0.Before(from) && t0.Before(to) {
		w.lat = append(w.lat, t1.Sub(t0))
	}
}

// post sends body and returns how many entries the answer says were
// appended (201); err describes anything else.
func (w *worker) post(ctx context.Context, hc *http.Client, url, ctype string, body []byte, entries int) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", ctype)
	resp, err := hc.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	w.buf.Reset()
	if _, err := w.buf.ReadFrom(resp.Body); err != nil {
		return 0, err
	}
	if n := resp.Header.Get("Replay-Nonce"); n != "" {
		w.nonces = append(w.nonces, n)
	}
	switch {
	case entries == 1 && resp.StatusCode == http.StatusCreated:
		return 1, nil
	case entries > 1 && resp.StatusCode == http.StatusOK:
		return batchCreated(w.buf.Bytes(), entries)
	}
	return 0, &httpError{status: resp.StatusCode, body: snippet(w.buf.Bytes())}
}

// batchCreated counts the results with status 201 in a batch answer,
// {"results":[{"status":201,...},...]}, without decoding the entries.
func batchCreated(body []byte, entries int) (int, error) {
	n := bytes.Count(body, []byte(`{"status":201,`))
	if n == entries {
		return n, nil
	}
	var out struct {
		Results []struct {
			Status  int             `json:"status"`
			Problem json.RawMessage `json:"problem"`
		} `json:"results"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		return n, fmt.Errorf("decoding a batch answer: %w", err)
	}
	for _, r := range out.Results {
		if r.Status != http.StatusCreated {
			return n, &httpError{status: r.Status, body: snippet(r.Problem)}
		}
	}
	return n, fmt.Errorf("a batch of %d had %d results", entries, len(out.Results))
}

type httpError struct {
	status int
	body   string
}

func (e *httpError) Error() string { return fmt.Sprintf("HTTP %d: %s", e.status, e.body) }

func (w *worker) fail(err error) {
	key := "transport"
	if h, ok := err.(*httpError); ok {
		key = fmt.Sprint(h.status)
	}
	w.failures[key]++
	if w.firstErr == "" {
		w.firstErr = err.Error()
	}
}

func snippet(b []byte) string {
	if len(b) > 200 {
		b = b[:200]
	}
	return string(b)
}
