package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/signet-ledger/signet/ledger"
)

// floodConfig is the configuration of "signet-bench flood".
type floodConfig struct {
	Signetd     string
	DatabaseURL string
	SignetdArgs string
	Conditions  []string // quiet, forged, unknown
	Attackers   int      // goroutines sending invalid batches
	Addresses   int      // X-Forwarded-For addresses the attack batches rotate over
	BatchSize   int      // entries per attack batch
	AttackRate  float64  // batches per second in all; 0: back to back
	Duration    time.Duration
	Warmup      time.Duration
	Reps        int
	Prefill     int
	Memory      bool
	LongKids    int // batches of distinct long kids in the memory phase
	KidLength   int
	ManyAddrs   int // distinct addresses of the memory phase's last flood
	WorkDir     string
	Keep        bool
}

func (c *floodConfig) flags(fs *flag.FlagSet) (finish func() error) {
	fs.StringVar(&c.Signetd, "signetd", "", "signetd binary to start (required)")
	fs.StringVar(&c.DatabaseURL, "database-url", "", "PostgreSQL; the server gets a fresh schema (required)")
	fs.StringVar(&c.SignetdArgs, "signetd-args", "", "extra flags for signetd, space-separated (e.g. \"--cpuprofile /tmp/f.pprof\")")
	conds := fs.String("conditions", "quiet,forged,unknown", "what the legitimate client runs beside: quiet (nothing), forged (batches with bad signatures under its kid), unknown (batches of random unknown kids)")
	fs.IntVar(&c.Attackers, "attackers", 3, "goroutines sending attack batches back to back")
	fs.IntVar(&c.Addresses, "addresses", 8, "X-Forwarded-For addresses the attack batches rotate over, one per batch")
	fs.IntVar(&c.BatchSize, "batch-size", ledger.MaxEntriesPerBatch, "entries per attack batch")
	fs.Float64Var(&c.AttackRate, "attack-rate", 0, "attack batches per second from all attackers together, to compare servers at one load; 0: each attacker sends back to back")
	fs.DurationVar(&c.Duration, "duration", 3*time.Second, "measured time per condition and rep")
	fs.DurationVar(&c.Warmup, "warmup", 500*time.Millisecond, "unmeasured time before each window, attackers already sending")
	fs.IntVar(&c.Reps, "reps", 3, "rounds of all conditions; the table shows medians")
	fs.IntVar(&c.Prefill, "prefill", 2000, "entries appended, unmeasured, before ANALYZE and the first run (at most the kid limit's burst)")
	fs.BoolVar(&c.Memory, "memory", true, "measure the server's RSS under attacker-chosen kids, many addresses and a largest batch (restarts signetd first)")
	fs.IntVar(&c.LongKids, "long-kid-batches", 12, "memory: batch requests whose entries all have distinct long kids")
	fs.IntVar(&c.KidLength, "kid-length", 6000, "memory: characters of each long kid")
	fs.IntVar(&c.ManyAddrs, "many-addresses", 100000, "memory: distinct X-Forwarded-For addresses sending one invalid request each")
	fs.StringVar(&c.WorkDir, "work", "", "folder for signetd's data dir and log (default: a new temporary folder)")
	fs.BoolVar(&c.Keep, "keep", false, "keep the server's schema")
	return func() error {
		c.Conditions = splitList(*conds)
		for _, k := range c.Conditions {
			if !slices.Contains([]string{"quiet", "forged", "unknown"}, k) {
				return fmt.Errorf("unknown condition %q", k)
			}
		}
		switch {
		case c.Signetd == "" || c.DatabaseURL == "":
			return fmt.Errorf("flood needs --signetd and --database-url")
		case c.Attackers < 1 || c.Addresses < 1 || c.Reps < 1:
			return fmt.Errorf("--attackers, --addresses and --reps must be positive")
		case c.BatchSize < 1 || c.BatchSize > ledger.MaxEntriesPerBatch:
			return fmt.Errorf("--batch-size must be 1 to %d", ledger.MaxEntriesPerBatch)
		}
		return nil
	}
}

func floodCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c floodConfig
	fs := flag.NewFlagSet("signet-bench flood", flag.ContinueOnError)
	fs.SetOutput(stderr)
	finish := c.flags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := finish(); err != nil {
		return err
	}
	f := &flood{cfg: c, attacks: map[string][]attackCount{}}
	f.bench = &bench{log: stderr, est: map[string]float64{}, cfg: runConfig{Signetd: c.Signetd, DatabaseURL: c.DatabaseURL,
		SignetdArgs: "--trusted-proxies 127.0.0.1 " + c.SignetdArgs, Limits: true, Modes: []string{"single"},
		Signers: 1, Payload: 300, Prefill: c.Prefill, NonceTTL: 30 * time.Minute, WorkDir: c.WorkDir, Keep: c.Keep,
		Duration: c.Duration, Warmup: c.Warmup, ExpectRate: 1000, QuietBusy: 40}}
	defer f.bench.close(ctx)
	if err := f.bench.setUp(ctx); err != nil {
		return err
	}
	f.victim = f.bench.targets["single"]
	if err := f.latency(ctx); err != nil {
		return err
	}
	if c.Memory {
		if err := f.memory(ctx); err != nil {
			return err
		}
	}
	f.report(stdout)
	return nil
}

// flood is one "flood": a server, its one legitimate signer, and what the
// attacks did.
type flood struct {
	cfg     floodConfig
	bench   *bench // runs the legitimate client
	victim  *target
	attacks map[string][]attackCount // by condition, one per rep
	mem     []memStep
	nonce   string // a nonce the server issued, for the entries of attacks
}

// latency runs the legitimate client alone and beside each attack, the
// conditions interleaved in every rep so that they share the machine's
// moods.
func (f *flood) latency(ctx context.Context) error {
	forged, err := f.forgedBatches(ctx, 2)
	if err != nil {
		return err
	}
	if f.nonce, err = f.victim.headNonce(ctx); err != nil {
		return err
	}
	for rep := 1; rep <= f.cfg.Reps; rep++ {
		for _, cond := range f.cfg.Conditions {
			if err := f.runCondition(ctx, cond, rep, forged); err != nil {
				return err
			}
		}
	}
	return nil
}

// runCondition measures the legitimate client once under cond.
func (f *flood) runCondition(ctx context.Context, cond string, rep int, forged [][]byte) error {
	b := f.bench
	b.targets[cond] = f.victim
	if err := f.fill(ctx, b.entriesFor(cond, 1, 1)); err != nil {
		return err
	}
	if busy := waitQuiet(40, 30*time.Second); busy >= 40 {
		b.logf("the machine is still %.0f%% busy; running anyway", busy)
	}
	var a *attack
	switch cond {
	case "forged":
		a = f.startAttack(func(k int64) []byte { return forged[k%int64(len(forged))] })
	case "unknown":
		a = f.startAttack(f.unknownKidBatch)
	}
	err := b.runOne(ctx, cond, 1, rep)
	if a != nil {
		n := a.stop()
		f.attacks[cond] = append(f.attacks[cond], n)
		b.logf("%s rep %d: attackers sent %d batches; answers %s", cond, rep, n.batches, n)
	}
	return err
}

// fill pre-signs n entries for the legitimate client, fetching at most
// 4000 nonces a second: its address has signetd's default limit, 5000
// requests a second with a burst of 10,000.
func (f *flood) fill(ctx context.Context, n int) error {
	for have := len(f.victim.pool); have < n; have += 4000 {
		if have > 0 {
			time.Sleep(time.Second)
		}
		if err := f.victim.fill(ctx, min(n, have+4000)); err != nil {
			return err
		}
	}
	return nil
}

// floodRow is the median over reps of one condition.
type floodRow struct {
	cond     string
	reps     int
	p50, p99 time.Duration
	errors   int
	server   float64 // CPU, % of all cores
	others   float64 // CPU of everything else on the machine
	batches  float64 // attack batches per second, median
	perBatch float64 // server CPU ms per attack batch, median
	statuses attackCount
}

func (f *flood) rows() []floodRow {
	var out []floodRow
	for _, cond := range f.cfg.Conditions {
		r := floodRow{cond: cond}
		var p50, p99 []time.Duration
		var srv, others []float64
		for _, m := range f.bench.results {
			if m.mode != cond {
				continue
			}
			r.reps++
			p50, p99 = append(p50, m.out.latency.quantile(0.5)), append(p99, m.out.latency.quantile(0.99))
			srv, others = append(srv, pctOf(m.use.server, m.use)), append(others, pctOf(m.use.others(), m.use))
			for _, n := range m.out.failures {
				r.errors += n
			}
		}
		r.p50, r.p99, r.server, r.others = median(p50), median(p99), median(srv), median(others)
		var rates, perBatch []float64
		for i, n := range f.attacks[cond] {
			rates = append(rates, float64(n.batches)/n.took.Seconds())
			if u := f.usage(cond, i); n.batches > 0 {
				perBatch = append(perBatch, 1000*u.server.Seconds()/(rates[i]*u.wall.Seconds()))
			}
			r.statuses = r.statuses.plus(n)
		}
		r.batches, r.perBatch = median(rates), median(perBatch)
		out = append(out, r)
	}
	return out
}

// usage is what the meter measured in the i-th run of cond.
func (f *flood) usage(cond string, i int) usage {
	for _, m := range f.bench.results {
		if m.mode == cond && m.rep == i+1 {
			return m.use
		}
	}
	return usage{}
}

// report prints the latency table, then the memory steps.
func (f *flood) report(w io.Writer) {
	rows := f.rows()
	var quiet time.Duration
	for _, r := range rows {
		if r.cond == "quiet" {
			quiet = r.p50
		}
	}
	fmt.Fprintf(w, "legitimate client: 1 connection, one entry per request, signed by the victim; %d attackers, batches of %d, %d addresses\n\n",
		f.cfg.Attackers, f.cfg.BatchSize, f.cfg.Addresses)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "condition\treps\tp50 ms\tp99 ms\tp50/quiet\tlegit errors\tserver CPU\tother CPU\tattack batches/s\tserver ms/batch\tattack entries answered\t\n")
	for _, r := range rows {
		ratio := "-"
		if quiet > 0 {
			ratio = fmt.Sprintf("%.2fx", float64(r.p50)/float64(quiet))
		}
		fmt.Fprintf(tw, "%s\t%d\t%.2f\t%.2f\t%s\t%d\t%.0f%%\t%.0f%%\t%.1f\t%.1f\t%s\t\n", r.cond, r.reps, ms(r.p50), ms(r.p99), ratio,
			r.errors, r.server, r.others, r.batches, r.perBatch, r.statuses)
	}
	tw.Flush()
	fmt.Fprintf(w, "\nlatencies and rates are medians of the reps; answers are summed over them (status: count;\n"+
		"\"whole\" counts batch requests refused as a whole). CPU columns are %% of all %d cores; \"other\" is\n"+
		"everything but signetd, PostgreSQL and this tool. server ms/batch is all of signetd's CPU time in the\n"+
		"window (the legitimate client's share included) over the attack batches sent in it.\n", maxProcs())
	f.reportMemory(w)
}

// String lists the counts by status, most frequent first.
func (n attackCount) String() string {
	if len(n.entries) == 0 && len(n.whole) == 0 {
		return "-"
	}
	var parts []string
	for _, kv := range sortedCounts(n.entries) {
		parts = append(parts, fmt.Sprintf("%s: %d", kv.key, kv.n))
	}
	for _, kv := range sortedCounts(n.whole) {
		parts = append(parts, fmt.Sprintf("whole %s: %d", kv.key, kv.n))
	}
	return strings.Join(parts, ", ")
}
