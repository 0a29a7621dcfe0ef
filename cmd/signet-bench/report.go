package main

import (
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// row is the median over reps of one mode at one level.
type row struct {
	mode             string
	clients, perReq  int
	reps             int
	rate, lo, hi     float64
	p50, p95, p99    time.Duration
	failed           int
	server, pg, tool float64 // CPU, % of all cores
	others           float64 // CPU of everything else on the machine
	peakRSS          int64
	ceiling          float64 // median C of the reps
	ofC              float64 // median of each rep's rate / its C
	cpuOfC           float64 // median of the reps' measured.cpuOfC
}

// rows groups b's results by mode and level, in the order first run.
func (b *bench) rows() []row {
	var out []row
	idx := map[string]int{}
	groups := map[string][]*measured{}
	for _, m := range b.results {
		k := fmt.Sprint(m.mode, "/", m.clients)
		if _, ok := idx[k]; !ok {
			idx[k] = len(out)
			out = append(out, row{mode: m.mode, clients: m.clients})
		}
		groups[k] = append(groups[k], m)
	}
	for k, ms := range groups {
		out[idx[k]] = summarize(out[idx[k]], ms, b.cfg.BatchSize)
	}
	slices.SortStableFunc(out, func(a, b row) int { return strings.Compare(modeOrder(a.mode), modeOrder(b.mode)) })
	return out
}

func modeOrder(m string) string {
	return map[string]string{"single": "1", "batch": "2", "naive": "3"}[m] + m
}

func summarize(r row, ms []*measured, batchSize int) row {
	var rates []float64
	var p50, p95, p99 []time.Duration
	var srv, pg, tool, others, ceil, ofC, cpuOfC []float64
	cores := float64(runtime.NumCPU())
	for _, m := range ms {
		rates = append(rates, m.rate)
		if m.ceiling > 0 {
			ceil, ofC = append(ceil, m.ceiling), append(ofC, m.rate/m.ceiling)
		}
		if m.cpuOfC > 0 {
			cpuOfC = append(cpuOfC, m.cpuOfC)
		}
		l := m.out.latency
		p50, p95, p99 = append(p50, l.quantile(0.5)), append(p95, l.quantile(0.95)), append(p99, l.quantile(0.99))
		pct := func(d time.Duration) float64 { return 100 * d.Seconds() / m.use.wall.Seconds() / cores }
		srv, pg, tool = append(srv, pct(m.use.server)), append(pg, pct(m.use.pg)), append(tool, pct(m.use.agent))
		others = append(others, pct(m.use.others()))
		for _, n := range m.out.failures {
			r.failed += n
		}
		r.peakRSS = max(r.peakRSS, m.use.peakRSS)
	}
	r.perReq = 1
	if r.mode == "batch" {
		r.perReq = batchSize
	}
	r.reps = len(ms)
	r.rate, r.lo, r.hi = median(rates), slices.Min(rates), slices.Max(rates)
	r.p50, r.p95, r.p99 = median(p50), median(p95), median(p99)
	r.server, r.pg, r.tool, r.others = median(srv), median(pg), median(tool), median(others)
	r.ceiling, r.ofC, r.cpuOfC = median(ceil), median(ofC), median(cpuOfC)
	return r
}

// report prints the table and the group-commit/naive ratios.
func (b *bench) report(w io.Writer) {
	rows := b.rows()
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "mode\tclients\tentries/req\treps\tappends/s\t(min-max)\tC/s\t×C\t×C by CPU\tp50 ms\tp95 ms\tp99 ms\tfailed\tserver CPU\tPG CPU\tclient CPU\tother CPU\tserver peak RSS\t\n")
	for _, r := range rows {
		rss := "-"
		if r.peakRSS > 0 {
			rss = fmt.Sprintf("%.0f MiB", float64(r.peakRSS)/(1<<20))
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%.0f\t(%.0f-%.0f)\t%.0f\t%.3f\t%.3f\t%.2f\t%.2f\t%.2f\t%d\t%.0f%%\t%.0f%%\t%.0f%%\t%.0f%%\t%s\t\n",
			r.mode, r.clients, r.perReq, r.reps, r.rate, r.lo, r.hi, r.ceiling, r.ofC, r.cpuOfC, ms(r.p50), ms(r.p95), ms(r.p99), r.failed,
			r.server, r.pg, r.tool, r.others, rss)
	}
	tw.Flush()
	fmt.Fprintf(w, "\nC/s is C, stdlib ed25519.Verify calls per second on all %d cores, measured just before each rep;\n"+
		"×C is the median over the reps of each one's appends/s divided by its own C. ×C by CPU is appends per CPU-second\n"+
		"(server + PostgreSQL + client) over verifications per CPU-second: the ratio if the run had the machine to itself\n"+
		"and were CPU-bound, which other load on a shared machine does not move.\n", runtime.GOMAXPROCS(0))
	fmt.Fprintf(w, "appends/s and latencies are medians of the reps. CPU columns are %% of all %d cores over each run\n"+
		"(median of reps); \"other\" is everything else on the machine, the noise of a shared box.\n", runtime.NumCPU())
	b.ratios(w, rows)
}

// ratios prints single/naive at each level both ran, and the best batch
// rate over naive.
func (b *bench) ratios(w io.Writer, rows []row) {
	naive := map[int]float64{}
	for _, r := range rows {
		if r.mode == "naive" {
			naive[r.clients] = r.rate
		}
	}
	if len(naive) == 0 {
		return
	}
	fmt.Fprintln(w, "\ngroup commit / naive baseline, same run:")
	for _, r := range rows {
		if n := naive[r.clients]; r.mode == "single" && n > 0 {
			fmt.Fprintf(w, "  %3d clients: %.0f / %.0f = %.1fx\n", r.clients, r.rate, n, r.rate/n)
		}
	}
}
