package metrics

import (
	"context"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/signet-ledger/signet/api"
	"github.com/signet-ledger/signet/ledger"
)

// scrapeTimeout bounds the store reads of one scrape.
const scrapeTimeout = 5 * time.Second

// WatchLog adds the metrics that l answers when scraped: its sequencer's
// queue, its head (read from the store at each scrape: with several
// servers on one store, the head any of them moved), and, with a witness
// policy, each witness's status. Call it once.
func (m *Metrics) WatchLog(l *ledger.Log) {
	gauge := func(name, help string, f func(ledger.Stats) float64) {
		m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help},
			func() float64 { return f(l.Stats()) }))
	}
	gauge("signet_sequencer_queue_depth", "Verified requests waiting for the sequencer.",
		func(s ledger.Stats) float64 { return float64(s.Queued) })
	gauge("signet_sequencer_queue_capacity", "Requests that may wait for the sequencer before appends get 503 (--queue).",
		func(s ledger.Stats) float64 { return float64(s.QueueCapacity) })
	gauge("signet_sequencer_verifying", "Requests being checked that the next batch may wait for.",
		func(s ledger.Stats) float64 { return float64(s.Verifying) })
	m.reg.MustRegister(&headCollector{log: l})
	if ws := l.Witnesses(); ws != nil {
		for _, w := range ws {
			// The statuses c2sp.org/tlog-witness gives a refusal, so that
			// an alert on their increase sees the first one.
			for _, s := range []string{"403", "404", "409", "422"} {
				m.witnessRefused.WithLabelValues(w.Name, s)
			}
			m.witnessErrors.WithLabelValues(w.Name)
		}
		m.reg.MustRegister(&witnessCollector{log: l, since: time.Now()})
	}
}

// WatchServer adds the rate limits' refusals of s.
func (m *Metrics) WatchServer(s *api.Server) {
	for _, l := range []struct {
		name string
		get  func(api.RateLimited) int64
	}{
		{"addr", func(r api.RateLimited) int64 { return r.Addr }},
		{"kid", func(r api.RateLimited) int64 { return r.KID }},
		{"failures", func(r api.RateLimited) int64 { return r.Failures }},
	} {
		m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "signet_rate_limit_refusals_total", ConstLabels: prometheus.Labels{"limit": l.name},
			Help: "Requests (batch entries one by one) refused by a rate limit: addr (--rate-limit-addr), kid (--rate-limit-kid) or failures (--rate-limit-failures).",
		}, func() float64 { return float64(l.get(s.RateLimited())) }))
	}
}

// WatchStore adds the connection pool metrics of store, if it keeps a
// pool (a method PoolStats() [ledger.PoolStats]), and reports whether it
// does.
func (m *Metrics) WatchStore(store any) bool {
	p, ok := store.(interface{ PoolStats() ledger.PoolStats })
	if ok {
		m.reg.MustRegister(&poolCollector{stats: p.PoolStats})
	}
	return ok
}

func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc(name, help, labels, nil)
}

var (
	storeUp        = desc("signet_store_up", "1 if the store answered this scrape's read of the log's head, else 0.")
	treeSize       = desc("signet_tree_size", "Records in the log: the size of its latest checkpoint.")
	checkpointTime = desc("signet_checkpoint_timestamp_seconds", "When the latest checkpoint was signed (Unix time): the integrated time of its last record.")
	checkpointAge  = desc("signet_checkpoint_age_seconds", "Time since the latest checkpoint was signed.")
)

// headCollector reads the log's head at each scrape.
type headCollector struct {
	log *ledger.Log
	mu  sync.Mutex
	// size and at are the last head read and its checkpoint's time, so
	// that a scrape of an unchanged head reads one row.
	size int64
	at   time.Time
}

func (c *headCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- storeUp
	ch <- treeSize
	ch <- checkpointTime
	ch <- checkpointAge
}

func (c *headCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	size, at, err := c.head(ctx)
	if err != nil {
		ch <- prometheus.MustNewConstMetric(storeUp, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(storeUp, prometheus.GaugeValue, 1)
	ch <- prometheus.MustNewConstMetric(treeSize, prometheus.GaugeValue, float64(size))
	if size > 0 {
		ch <- prometheus.MustNewConstMetric(checkpointTime, prometheus.GaugeValue, float64(at.UnixMicro())/1e6)
		ch <- prometheus.MustNewConstMetric(checkpointAge, prometheus.GaugeValue, time.Since(at).Seconds())
	}
}

// head returns the head's size and its checkpoint's time.
func (c *headCollector) head(ctx context.Context) (int64, time.Time, error) {
	h, err := c.log.Head(ctx)
	if err != nil {
		return 0, time.Time{}, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if h.Size == c.size || h.Size == 0 {
		return h.Size, c.at, nil
	}
	r, err := c.log.Record(ctx, h.Size-1)
	if err != nil {
		return 0, time.Time{}, err
	}
	c.size, c.at = h.Size, r.IntegratedTime
	return h.Size, c.at, nil
}

var (
	witnessCosigned = desc("signet_witness_cosigned_size", "The largest tree size the witness is known to have cosigned.", "witness")
	witnessSuccess  = desc("signet_witness_last_success_timestamp_seconds", "When the witness last cosigned a checkpoint for this server (Unix time); 0 if it has not since the server started.", "witness")
	witnessSince    = desc("signet_witness_since_success_seconds", "Time since the witness last cosigned a checkpoint for this server, or since the server started if it has not.", "witness")
	witnessFailing  = desc("signet_witness_consecutive_failures", "Failures of the witness since its last success.", "witness")
	witnessAlarm    = desc("signet_witness_alarm", "1 if the witness's answer was evidence of a fork or a rollback of this log (it stays 1 until the server restarts), else 0.", "witness")
)

// witnessCollector reads the witnesses' status at each scrape.
type witnessCollector struct {
	log   *ledger.Log
	since time.Time // when the server started witnessing
}

func (c *witnessCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{witnessCosigned, witnessSuccess, witnessSince, witnessFailing, witnessAlarm} {
		ch <- d
	}
}

func (c *witnessCollector) Collect(ch chan<- prometheus.Metric) {
	now := time.Now()
	for _, w := range c.log.Witnesses() {
		gauge := func(d *prometheus.Desc, v float64) {
			ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, w.Name)
		}
		gauge(witnessCosigned, float64(w.CosignedSize))
		last, success := c.since, 0.0
		if !w.LastSuccess.IsZero() {
			last, success = w.LastSuccess, float64(w.LastSuccess.UnixMicro())/1e6
		}
		gauge(witnessSuccess, success)
		gauge(witnessSince, now.Sub(last).Seconds())
		gauge(witnessFailing, float64(w.Failures))
		alarm := 0.0
		if w.Alarm != "" {
			alarm = 1
		}
		gauge(witnessAlarm, alarm)
	}
}

var (
	poolConns    = desc("signet_store_connections", "The store's database connections now, by state: idle or in_use.", "state")
	poolMax      = desc("signet_store_connections_max", "The most database connections the store's pool keeps.")
	poolOpened   = desc("signet_store_connections_opened_total", "Database connections opened, the first ones included: reconnections after a database restart or a network fault make it grow.")
	poolClosed   = desc("signet_store_connections_closed_total", "Database connections closed for their age or idleness.")
	poolWaits    = desc("signet_store_connection_waits_total", "Times a request waited for a free database connection.")
	poolWaitTime = desc("signet_store_connection_wait_seconds_total", "Time requests waited for a free database connection.")
)

// poolCollector reads a store's pool at each scrape.
type poolCollector struct{ stats func() ledger.PoolStats }

func (c *poolCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{poolConns, poolMax, poolOpened, poolClosed, poolWaits, poolWaitTime} {
		ch <- d
	}
}

func (c *poolCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.stats()
	ch <- prometheus.MustNewConstMetric(poolConns, prometheus.GaugeValue, float64(s.Idle), "idle")
	ch <- prometheus.MustNewConstMetric(poolConns, prometheus.GaugeValue, float64(s.InUse), "in_use")
	ch <- prometheus.MustNewConstMetric(poolMax, prometheus.GaugeValue, float64(s.Max))
	ch <- prometheus.MustNewConstMetric(poolOpened, prometheus.CounterValue, float64(s.Opened))
	ch <- prometheus.MustNewConstMetric(poolClosed, prometheus.CounterValue, float64(s.Closed))
	ch <- prometheus.MustNewConstMetric(poolWaits, prometheus.CounterValue, float64(s.Waited))
	ch <- prometheus.MustNewConstMetric(poolWaitTime, prometheus.CounterValue, s.WaitTime.Seconds())
}
