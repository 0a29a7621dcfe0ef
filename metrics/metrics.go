// Package metrics exports what a Signet server does in the Prometheus text
// format, through github.com/prometheus/client_golang, on a registry of
// its own.
//
// A [Metrics] is both a [ledger.Observer] and an [api.Observer]: the
// ledger and the HTTP layer tell it of events (an append answered, a batch
// committed, a verification, a store failure, a witness's refusal), and it
// counts them. What the server holds as state (the sequencer's queue, the
// tree size and the latest checkpoint, each witness's status, the store's
// connection pool, the rate limits' refusals) it reads when it is scraped,
// through [Metrics.WatchLog], [Metrics.WatchServer] and
// [Metrics.WatchStore].
//
// No label takes a value that a client chooses: routes are gin's route
// templates ("/v1/entries/:index"), and requests that match none share the
// route "unmatched"; kinds, outcomes and problem types come from fixed
// tables; witness names come from the operator's policy. README.md lists
// every metric.
package metrics

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/signet-ledger/signet/api"
	"github.com/signet-ledger/signet/ledger"
)

// Metrics holds a server's metrics. Its methods are safe for concurrent
// use.
type Metrics struct {
	reg *prometheus.Registry

	requests       *prometheus.HistogramVec
	appends        *prometheus.CounterVec
	problems       *prometheus.CounterVec
	nonceRefusals  prometheus.Counter
	batchSize      prometheus.Histogram
	commitDuration prometheus.Histogram
	commitFailures prometheus.Counter
	verifications  *prometheus.CounterVec
	verifyFailures *prometheus.CounterVec
	storeErrors    *prometheus.CounterVec
	witnessRefused *prometheus.CounterVec
	witnessErrors  *prometheus.CounterVec
}

var (
	_ ledger.Observer = (*Metrics)(nil)
	_ api.Observer    = (*Metrics)(nil)
)

// durations are the buckets of every duration histogram, in seconds: from
// an append that shares a commit (well under a millisecond) to a slow
// export page.
var durations = []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}

// New returns the metrics of one server, with the Go runtime's and the
// process's.
func New() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.requests = m.histogramVec("signet_http_request_duration_seconds",
		"Time to answer an HTTP request, by method, route template and status.", durations, "method", "route", "status")
	m.appends = m.counterVec("signet_appends_total",
		"Append requests (batch entries one by one) by the kind of record asked for and outcome: appended, existing or the problem type.", "kind", "outcome")
	m.problems = m.counterVec("signet_problems_total", "Problem answers by problem type, batch entries one by one.", "type")
	m.nonceRefusals = m.counter("signet_nonce_refusals_total",
		"Signed requests refused for their nonce: missing, forged, expired or already used (problem type badNonce).")
	m.batchSize = m.histogram("signet_sequencer_batch_size",
		"Requests decided in one sequencer transaction.", prometheus.ExponentialBuckets(1, 2, 11))
	m.commitDuration = m.histogram("signet_sequencer_commit_duration_seconds",
		"Time of one sequencer transaction, from taking the log's lock to its commit.", durations)
	m.commitFailures = m.counter("signet_sequencer_commit_failures_total",
		"Sequencer transactions that failed: every request in them was refused.")
	m.verifications = m.counterVec("signet_verifications_total",
		"Answers of the verify endpoints by result: verified or failed.", "result")
	m.verifyFailures = m.counterVec("signet_verification_failures_total",
		"Failed checks in verify answers, by check: signature, record_hash, chain_link, inclusion, record_missing or other.", "check")
	m.storeErrors = m.counterVec("signet_store_errors_total",
		"Store methods that failed, by method and error: unavailable, corrupt or other.", "op", "error")
	m.witnessRefused = m.counterVec("signet_witness_refusals_total",
		"Checkpoints a witness answered without a valid cosignature, by witness and HTTP status.", "witness", "status")
	m.witnessErrors = m.counterVec("signet_witness_errors_total",
		"Checkpoints a witness did not answer: unreachable, timed out, or the request could not be made.", "witness")
	for _, r := range []string{"verified", "failed"} {
		m.verifications.WithLabelValues(r)
	}
	return m
}

// Handler serves the metrics in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.InstrumentMetricHandler(m.reg, promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg}))
}

// Answered implements [api.Observer].
func (m *Metrics) Answered(method, route string, status int, d time.Duration) {
	if route == "" {
		method, route = "other", "unmatched"
	}
	m.requests.WithLabelValues(method, route, strconv.Itoa(status)).Observe(d.Seconds())
}

// Appended implements [api.Observer].
func (m *Metrics) Appended(kind ledger.Kind, outcome string) {
	m.appends.WithLabelValues(string(kind), outcome).Inc()
}

// Problem implements [api.Observer].
func (m *Metrics) Problem(name string) {
	m.problems.WithLabelValues(name).Inc()
	if name == "badNonce" {
		m.nonceRefusals.Inc()
	}
}

// Committed implements [ledger.Observer].
func (m *Metrics) Committed(requests, records int, d time.Duration, err error) {
	m.batchSize.Observe(float64(requests))
	m.commitDuration.Observe(d.Seconds())
	if err != nil {
		m.commitFailures.Inc()
	}
}

// Verified implements [ledger.Observer].
func (m *Metrics) Verified(v *ledger.Verification) {
	if v.Verified {
		m.verifications.WithLabelValues("verified").Inc()
		return
	}
	m.verifications.WithLabelValues("failed").Inc()
	if v.Record == nil {
		m.verifyFailures.WithLabelValues("record_missing").Inc()
		return
	}
	c, failed := v.Checks, false
	for _, f := range []struct {
		ok   bool
		name string
	}{{c.Signature, "signature"}, {c.RecordHash, "record_hash"}, {c.ChainLink, "chain_link"}, {c.Inclusion, "inclusion"}} {
		if !f.ok {
			m.verifyFailures.WithLabelValues(f.name).Inc()
			failed = true
		}
	}
	if !failed {
		m.verifyFailures.WithLabelValues("other").Inc()
	}
}

// StoreFailed implements [ledger.Observer].
func (m *Metrics) StoreFailed(op string, err error) {
	kind := "other"
	switch {
	case errors.Is(err, ledger.ErrUnavailable):
		kind = "unavailable"
	case errors.Is(err, ledger.ErrCorrupt):
		kind = "corrupt"
	}
	m.storeErrors.WithLabelValues(op, kind).Inc()
}

// WitnessFailed implements [ledger.Observer].
func (m *Metrics) WitnessFailed(witness string, status int, alarm bool) {
	if status == 0 {
		m.witnessErrors.WithLabelValues(witness).Inc()
		return
	}
	m.witnessRefused.WithLabelValues(witness, statusLabel(status)).Inc()
}

// statusLabel is an HTTP status as a label value; a witness that answers
// a status outside 100-599 gets "other".
func statusLabel(status int) string {
	if status < 100 || status > 599 {
		return "other"
	}
	return strconv.Itoa(status)
}

func (m *Metrics) counter(name, help string) prometheus.Counter {
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: name, Help: help})
	m.reg.MustRegister(c)
	return c
}

func (m *Metrics) counterVec(name, help string, labels ...string) *prometheus.CounterVec {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels)
	m.reg.MustRegister(c)
	return c
}

func (m *Metrics) histogram(name, help string, buckets []float64) prometheus.Histogram {
	h := prometheus.NewHistogram(prometheus.HistogramOpts{Name: name, Help: help, Buckets: buckets})
	m.reg.MustRegister(h)
	return h
}

func (m *Metrics) histogramVec(name, help string, buckets []float64, labels ...string) *prometheus.HistogramVec {
	h := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: name, Help: help, Buckets: buckets}, labels)
	m.reg.MustRegister(h)
	return h
}
