package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/signet-ledger/signet/ledger"
)

// tilesConfig is the configuration of "signet-bench tiles".
type tilesConfig struct {
	Signetd, DatabaseURL string
	Schema, Data         string
	Records              int64
	Clients              []int
	Duration, Warmup     time.Duration
	Reps                 int
	QuietWait            time.Duration
}

func (c *tilesConfig) flags(fs *flag.FlagSet) (finish func() error) {
	fs.StringVar(&c.Signetd, "signetd", "", "signetd binary (required)")
	fs.StringVar(&c.DatabaseURL, "database-url", "", "PostgreSQL (required)")
	fs.StringVar(&c.Schema, "schema", "bench_catchup", "schema of the log; loaded with signet-bench load's bulk loader up to --records if smaller")
	fs.StringVar(&c.Data, "data", "", "the log's data dir (required)")
	fs.Int64Var(&c.Records, "records", 100000, "records in the log (not a multiple of 256, so that partial tiles exist)")
	clients := fs.String("clients", "1,16,64", "concurrent readers")
	fs.DurationVar(&c.Duration, "duration", 5*time.Second, "measured time per run")
	fs.DurationVar(&c.Warmup, "warmup", time.Second, "unmeasured time before each run's window")
	fs.IntVar(&c.Reps, "reps", 3, "runs per kind and level, kinds alternating; the table shows medians")
	fs.DurationVar(&c.QuietWait, "quiet-wait", 20*time.Second, "before each run, wait at most this long for the machine to be less than 40% busy")
	return func() error {
		var err error
		if c.Clients, err = intList(*clients); err != nil {
			return err
		}
		if c.Signetd == "" || c.DatabaseURL == "" || c.Data == "" {
			return fmt.Errorf("tiles needs --signetd, --database-url and --data")
		}
		return nil
	}
}

// tileKinds are what "signet-bench tiles" reads: random full tiles and
// bundles (answered from the cache once read) and the rightmost partial
// ones (read from the store at every request).
var tileKinds = []string{"full level 0", "full entries", "partial level 0", "partial entries"}

func tilesCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c tilesConfig
	fs := flag.NewFlagSet("signet-bench tiles", flag.ContinueOnError)
	fs.SetOutput(stderr)
	finish := c.flags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := finish(); err != nil {
		return err
	}
	tb := &tileBench{cfg: c, log: stderr, hc: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1024}}}
	cu := &catchUp{cfg: catchUpConfig{Signetd: c.Signetd, DatabaseURL: c.DatabaseURL, Schema: c.Schema, Data: c.Data, Records: c.Records}, log: stderr}
	if err := cu.load(ctx); err != nil {
		return err
	}
	tb.size = cu.size
	if tb.size%ledger.TileWidth == 0 || tb.size < ledger.TileWidth {
		return fmt.Errorf("the log has %d records: it needs a full tile and a partial one", tb.size)
	}
	dbURL, err := schemaURL(c.DatabaseURL, c.Schema)
	if err != nil {
		return err
	}
	tb.d, err = startDaemon(ctx, daemonConfig{Bin: c.Signetd, DBURL: dbURL, DataDir: c.Data, Origin: cu.origin, NonceTTL: 30 * time.Minute})
	if err != nil {
		return err
	}
	defer tb.d.stop()
	tb.pgPID = postmasterPID(ctx, c.DatabaseURL)
	if err := tb.warm(ctx); err != nil {
		return err
	}
	for rep := 1; rep <= c.Reps; rep++ {
		for _, n := range c.Clients {
			for _, kind := range tileKinds {
				if err := tb.runOne(ctx, kind, n, rep); err != nil {
					return err
				}
			}
		}
	}
	tb.report(stdout)
	return nil
}

// tileBench reads one loaded log's tiles.
type tileBench struct {
	cfg     tilesConfig
	log     io.Writer
	hc      *http.Client
	d       *daemon
	pgPID   int
	size    int64
	results []tileRun
}

// tileRun is one run of one kind at one level.
type tileRun struct {
	kind    string
	clients int
	rate    float64
	lat     latencies
	use     usage
	n       int64
}

func (tb *tileBench) logf(format string, args ...any) {
	fmt.Fprintf(tb.log, "%s "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
}

// full is the number of full tiles at level 0 (and of full bundles).
func (tb *tileBench) full() int64 { return tb.size / ledger.TileWidth }

// pick returns a tile of kind.
func (tb *tileBench) pick(r *rand.Rand, kind string) ledger.Tile {
	w := int(tb.size % ledger.TileWidth)
	switch kind {
	case "full level 0":
		return ledger.Tile{Level: 0, N: r.Int64N(tb.full()), Width: ledger.TileWidth}
	case "full entries":
		return ledger.Tile{Level: ledger.EntriesLevel, N: r.Int64N(tb.full()), Width: ledger.TileWidth}
	case "partial level 0":
		return ledger.Tile{Level: 0, N: tb.full(), Width: w}
	default:
		return ledger.Tile{Level: ledger.EntriesLevel, N: tb.full(), Width: w}
	}
}

// warm reads every full tile and bundle once, so that runs read a warm
// cache, as a server that has been up for a while has.
func (tb *tileBench) warm(ctx context.Context) error {
	for n := range tb.full() {
		for _, level := range []int{0, ledger.EntriesLevel} {
			if err := tb.get(ctx, ledger.Tile{Level: level, N: n, Width: ledger.TileWidth}); err != nil {
				return err
			}
		}
	}
	tb.logf("read all %d full tiles and bundles of the log of %d records once", 2*tb.full(), tb.size)
	return nil
}

// get reads t and checks its length.
func (tb *tileBench) get(ctx context.Context, t ledger.Tile) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, tb.d.base+"/tlog/"+t.Path(), nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+tb.d.admin)
	resp, err := tb.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	per := 32
	if t.Level == ledger.EntriesLevel {
		per = 34
	}
	if resp.StatusCode != http.StatusOK || len(b) != t.Width*per {
		return fmt.Errorf("GET /tlog/%s: %d, %d bytes: %s", t.Path(), resp.StatusCode, len(b), snippet(b))
	}
	return nil
}

// runOne reads tiles of kind with clients closed-loop readers.
func (tb *tileBench) runOne(ctx context.Context, kind string, clients, rep int) error {
	if busy := waitQuiet(40, tb.cfg.QuietWait); busy >= 40 {
		tb.logf("the machine is still %.0f%% busy; running anyway", busy)
	}
	from := time.Now().Add(tb.cfg.Warmup)
	to := from.Add(tb.cfg.Duration)
	var mu sync.Mutex
	var all latencies
	var firstErr error
	var mt *meter
	var wg sync.WaitGroup
	for i := range clients {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(rep), uint64(i)))
			var lat latencies
			for time.Now().Before(to) && ctx.Err() == nil {
				t0 := time.Now()
				err := tb.get(ctx, tb.pick(r, kind))
				if err != nil {
					mu.Lock()
					firstErr = err
					mu.Unlock()
					return
				}
				if t0.After(from) && time.Now().Before(to) {
					lat = append(lat, time.Since(t0))
				}
			}
			mu.Lock()
			all = append(all, lat...)
			mu.Unlock()
		})
	}
	time.Sleep(time.Until(from))
	mt = startMeter(tb.d.pid(), tb.pgPID)
	time.Sleep(time.Until(to))
	use := mt.end()
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	run := tileRun{kind: kind, clients: clients, lat: all, use: use, n: int64(len(all)), rate: float64(len(all)) / tb.cfg.Duration.Seconds()}
	tb.results = append(tb.results, run)
	tb.logf("%-15s c=%-3d rep %d: %8.0f requests/s  p50 %.2f ms  p99 %.2f ms  CPU%% server %.0f pg %.0f client %.0f other %.0f",
		kind, clients, rep, run.rate, ms(all.quantile(0.5)), ms(all.quantile(0.99)),
		pctOf(use.server, use), pctOf(use.pg, use), pctOf(use.agent, use), pctOf(use.others(), use))
	return ctx.Err()
}

// report prints medians per kind and level, and each kind's rate over
// the partial path's at the same level.
func (tb *tileBench) report(w io.Writer) {
	type key struct {
		kind    string
		clients int
	}
	var keys []key
	groups := map[key][]tileRun{}
	for _, r := range tb.results {
		k := key{r.kind, r.clients}
		if groups[k] == nil {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], r)
	}
	rate := map[key]float64{}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "tiles\treaders\treps\trequests/s\t(min-max)\tp50 ms\tp99 ms\tserver CPU\tPG CPU\tclient CPU\tother CPU\tserver µs/request\t\n")
	for _, k := range keys {
		var rates, srv, pg, tool, others, per []float64
		var p50, p99 []time.Duration
		for _, r := range groups[k] {
			rates = append(rates, r.rate)
			p50, p99 = append(p50, r.lat.quantile(0.5)), append(p99, r.lat.quantile(0.99))
			srv, pg = append(srv, pctOf(r.use.server, r.use)), append(pg, pctOf(r.use.pg, r.use))
			tool, others = append(tool, pctOf(r.use.agent, r.use)), append(others, pctOf(r.use.others(), r.use))
			per = append(per, r.use.server.Seconds()*1e6/float64(max(r.n, 1)))
		}
		rate[k] = median(rates)
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.0f\t(%.0f-%.0f)\t%.2f\t%.2f\t%.0f%%\t%.0f%%\t%.0f%%\t%.0f%%\t%.0f\t\n", k.kind, k.clients, len(rates),
			rate[k], slices.Min(rates), slices.Max(rates), ms(median(p50)), ms(median(p99)), median(srv), median(pg), median(tool), median(others), median(per))
	}
	tw.Flush()
	fmt.Fprintf(w, "\nlog of %d records; full tiles from the cache, partial ones (width %d) from PostgreSQL at each request.\n", tb.size, tb.size%ledger.TileWidth)
	fmt.Fprintln(w, "cached full / partial, same run:")
	for _, n := range tb.cfg.Clients {
		fmt.Fprintf(w, "  %3d readers: level 0 %.1fx, entries %.1fx\n", n,
			rate[key{"full level 0", n}]/rate[key{"partial level 0", n}], rate[key{"full entries", n}]/rate[key{"partial entries", n}])
	}
}
