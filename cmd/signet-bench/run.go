package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/signet-ledger/signet/ledger"
)

// runConfig is the configuration of "signet-bench run".
type runConfig struct {
	Signetd     string // binary to start; empty to drive running servers
	DatabaseURL string // for started servers: each mode gets a fresh schema
	SignetdArgs string // more flags for every started signetd

	Server, AdminToken         string // a running group-commit server
	ServerPID                  int
	Baseline, BaselineToken    string // a running --naive-commit server
	BaselinePID                int
	PGPID                      int // PostgreSQL postmaster, for its CPU time; 0 to find it
	Modes                      []string
	Levels, BatchLevels        []int
	BatchSize                  int
	Duration, Warmup           time.Duration
	Reps                       int
	Signers, Payload           int
	ExpectRate, ExpectNaive    float64
	NonceTTL                   time.Duration
	WorkDir                    string
	Keep                       bool
	CPUProfile, ServerProfiles string
	Prefill                    int
	QuietBusy                  float64
	QuietWait                  time.Duration
	Ceiling                    time.Duration // how long to measure C before each run; 0 to skip
	Limits                     bool          // keep signetd's rate limits (flood); run turns them off
	SharedLog                  bool          // other writers append to the log: its growth is not checked
}

// flags declares c's flags on fs; call the returned func after fs.Parse
// to finish the lists.
func (c *runConfig) flags(fs *flag.FlagSet) (finish func() error) {
	fs.StringVar(&c.Signetd, "signetd", "", "signetd binary to start, one server per mode on a fresh schema (needs --database-url)")
	fs.StringVar(&c.DatabaseURL, "database-url", "", "PostgreSQL for the servers this tool starts")
	fs.StringVar(&c.SignetdArgs, "signetd-args", "", "extra flags for every signetd started, space-separated (e.g. \"--batch-delay 1ms\")")
	fs.StringVar(&c.Server, "server", "", "base URL of a running group-commit signetd (instead of --signetd)")
	fs.StringVar(&c.AdminToken, "admin-token", "", "admin token of --server")
	fs.IntVar(&c.ServerPID, "server-pid", 0, "PID of --server, for its CPU time and peak RSS")
	fs.StringVar(&c.Baseline, "baseline-server", "", "base URL of a running signetd --naive-commit on another schema")
	fs.StringVar(&c.BaselineToken, "baseline-admin-token", "", "admin token of --baseline-server")
	fs.IntVar(&c.BaselinePID, "baseline-pid", 0, "PID of --baseline-server")
	fs.IntVar(&c.PGPID, "pg-pid", 0, "PID of the PostgreSQL postmaster, for its CPU time (default: found from --database-url)")
	modes := fs.String("modes", "single,batch,naive", "modes to run: single (POST /v1/entries), batch (POST /v1/entries:batch), naive (single endpoint, --naive-commit server)")
	levels := fs.String("levels", "1,16,64,256", "concurrent clients for single and naive")
	batchLevels := fs.String("batch-levels", "1,4,16", "concurrent clients for batch")
	fs.IntVar(&c.BatchSize, "batch-size", 100, "entries per batch request")
	fs.DurationVar(&c.Duration, "duration", 10*time.Second, "measured time per run")
	fs.DurationVar(&c.Warmup, "warmup", time.Second, "unmeasured time before each run's window")
	fs.IntVar(&c.Reps, "reps", 3, "runs per mode and level; the table shows medians")
	fs.IntVar(&c.Signers, "signers", 8, "signers registered per server; entries rotate over their keys")
	fs.IntVar(&c.Payload, "payload", 300, "bytes of JSON per entry")
	fs.Float64Var(&c.ExpectRate, "expect-rate", 20000, "appends/s to pre-sign for at most on a mode's first run at a level")
	fs.Float64Var(&c.ExpectNaive, "expect-naive-rate", 4000, "the same for the naive mode")
	fs.DurationVar(&c.NonceTTL, "nonce-ttl", 30*time.Minute, "--nonce-ttl of started servers (and assumed of running ones)")
	fs.StringVar(&c.WorkDir, "work", "", "folder for the started servers' data dirs and logs (default: a new temporary folder)")
	fs.BoolVar(&c.Keep, "keep", false, "keep the schemas of started servers")
	fs.IntVar(&c.Prefill, "prefill", 5000, "entries appended to each started server's log, unmeasured, before ANALYZE and the first run")
	fs.Float64Var(&c.QuietBusy, "quiet", 40, "before each run, wait until the machine is less than this % busy (sampled over 1s) ...")
	fs.DurationVar(&c.QuietWait, "quiet-wait", 60*time.Second, "... but no longer than this")
	fs.DurationVar(&c.Ceiling, "ceiling", time.Second, "before each run, measure C, the stdlib Ed25519 verifications/s on all cores, for this long (0: skip); results are also shown as ratios to C")
	fs.BoolVar(&c.SharedLog, "shared-log", false, "other writers append to the same log (another signetd on its database, driven by another signet-bench): do not check that the log grew by the 201s")
	fs.StringVar(&c.CPUProfile, "cpuprofile", "", "write this tool's CPU profile to the file")
	fs.StringVar(&c.ServerProfiles, "server-cpuprofile", "", "profile started servers during each measured run only, into <this>-<mode>-c<clients>-r<rep>.pprof (restarts signetd around each run)")
	return func() error {
		var err error
		c.Modes = splitList(*modes)
		if c.Levels, err = intList(*levels); err != nil {
			return err
		}
		if c.BatchLevels, err = intList(*batchLevels); err != nil {
			return err
		}
		if c.BatchSize < 1 || c.BatchSize > ledger.MaxEntriesPerBatch {
			return fmt.Errorf("--batch-size must be 1 to %d", ledger.MaxEntriesPerBatch)
		}
		return nil
	}
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func intList(s string) ([]int, error) {
	var out []int
	for _, f := range splitList(s) {
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("%q is not a positive number", f)
		}
		out = append(out, n)
	}
	return out, nil
}

func runCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c runConfig
	fs := flag.NewFlagSet("signet-bench run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	finish := c.flags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := finish(); err != nil {
		return err
	}
	stopProfile, err := startProfile(c.CPUProfile)
	if err != nil {
		return err
	}
	defer stopProfile()
	b := &bench{cfg: c, log: stderr, est: map[string]float64{}}
	defer b.close(ctx)
	if err := b.setUp(ctx); err != nil {
		return err
	}
	if err := b.runAll(ctx); err != nil {
		return err
	}
	b.report(stdout)
	return nil
}

// bench is one "run": its servers and what it measured.
type bench struct {
	cfg     runConfig
	log     io.Writer
	targets map[string]*target // by mode
	schemas []string
	pgPID   int
	results []*measured
	est     map[string]float64 // mode/level -> appends/s seen
	watch   []int              // more processes whose CPU each run reports apart
}

// measured is one run of one mode at one level.
type measured struct {
	mode    string
	clients int
	rep     int
	out     *outcome
	use     usage
	rate    float64
	ceiling float64 // C measured just before the run; 0 if not
	// cpuOfC is appends per CPU-second of server, PostgreSQL and client
	// over verifications per CPU-second: the run's ratio to C as it would
	// be with the machine to itself and the run CPU-bound.
	cpuOfC float64
}

func (b *bench) logf(format string, args ...any) {
	fmt.Fprintf(b.log, "%s "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
}

// setUp starts or connects to a server per mode and registers signers.
func (b *bench) setUp(ctx context.Context) error {
	c := b.cfg
	b.targets = map[string]*target{}
	if c.Signetd != "" {
		if c.DatabaseURL == "" {
			return fmt.Errorf("--signetd needs --database-url")
		}
		if c.WorkDir == "" {
			dir, err := os.MkdirTemp("", "signet-bench-")
			if err != nil {
				return err
			}
			b.cfg.WorkDir = dir
		}
		b.pgPID = c.PGPID
		if b.pgPID == 0 {
			b.pgPID = postmasterPID(ctx, c.DatabaseURL)
		}
		run := "b" + randomHex(3)
		for _, mode := range c.Modes {
			t, err := b.startTarget(ctx, run, mode)
			if err != nil {
				return err
			}
			b.targets[mode] = t
		}
	} else {
		if c.Server == "" {
			return fmt.Errorf("give --signetd and --database-url, or --server")
		}
		b.pgPID = c.PGPID
		for _, mode := range c.Modes {
			if mode == "naive" {
				if c.Baseline == "" {
					return fmt.Errorf("mode naive needs --baseline-server")
				}
				b.targets[mode] = newTarget(mode, c.Baseline, c.BaselineToken, c.BaselinePID, c.Payload, c.NonceTTL)
				continue
			}
			if t := b.targets["single"]; t != nil { // single and batch share --server
				b.targets[mode] = t
				continue
			}
			b.targets[mode] = newTarget(mode, c.Server, c.AdminToken, c.ServerPID, c.Payload, c.NonceTTL)
		}
	}
	for _, mode := range c.Modes {
		t := b.targets[mode]
		if len(t.signers) == 0 {
			if err := t.register(ctx, c.Signers); err != nil {
				return err
			}
			if err := b.prefill(ctx, t); err != nil {
				return err
			}
		}
	}
	return nil
}

// startTarget starts signetd for mode on a fresh schema.
func (b *bench) startTarget(ctx context.Context, run, mode string) (*target, error) {
	switch mode {
	case "single", "batch", "naive":
	default:
		return nil, fmt.Errorf("unknown mode %q", mode)
	}
	var extra []string
	if mode == "naive" {
		extra = append(extra, "--naive-commit")
	}
	return b.startServer(ctx, benchSchema(run, mode), mode, 0, extra)
}

// benchSchema is the schema of mode's server in run; the server's origin
// is "signet-bench/" and the schema.
func benchSchema(run, mode string) string { return fmt.Sprintf("bench_%s_%s", run, mode) }

// startServer starts signetd for mode on a fresh schema, on port (0: a
// free one), with more flags after --signetd-args.
func (b *bench) startServer(ctx context.Context, schema, mode string, port int, more []string) (*target, error) {
	c := b.cfg
	if err := createSchema(ctx, c.DatabaseURL, schema); err != nil {
		return nil, err
	}
	b.schemas = append(b.schemas, schema)
	dbURL, err := schemaURL(c.DatabaseURL, schema)
	if err != nil {
		return nil, err
	}
	extra := append(strings.Fields(c.SignetdArgs), more...)
	d, err := startDaemon(ctx, daemonConfig{Bin: c.Signetd, DBURL: dbURL, DataDir: filepath.Join(c.WorkDir, schema),
		Origin: "signet-bench/" + schema, NonceTTL: c.NonceTTL, Extra: extra, Limits: c.Limits, Port: port})
	if err != nil {
		return nil, err
	}
	b.logf("started signetd for %s: %s, pid %d, schema %s, log %s", mode, d.base, d.pid(), schema, d.logPath)
	t := newTarget(mode, d.base, d.admin, d.pid(), c.Payload, c.NonceTTL)
	t.daemon, t.schema = d, schema
	return t, nil
}

// close stops started servers and drops their schemas unless --keep.
func (b *bench) close(ctx context.Context) {
	for _, mode := range b.cfg.Modes {
		if t := b.targets[mode]; t != nil && t.daemon != nil {
			if err := t.daemon.stop(); err != nil {
				b.logf("signetd for %s: %v", mode, err)
			}
		}
	}
	if b.cfg.Keep {
		return
	}
	for _, s := range b.schemas {
		if err := dropSchema(context.WithoutCancel(ctx), b.cfg.DatabaseURL, s); err != nil {
			b.logf("dropping schema %s: %v", s, err)
		}
	}
}

// runAll runs every rep of every level of every mode, modes interleaved
// so that their ratio is measured at the same time.
func (b *bench) runAll(ctx context.Context) error {
	for rep := 1; rep <= b.cfg.Reps; rep++ {
		for i := range max(len(b.cfg.Levels), len(b.cfg.BatchLevels)) {
			for _, mode := range b.cfg.Modes {
				levels := b.cfg.Levels
				if mode == "batch" {
					levels = b.cfg.BatchLevels
				}
				if i >= len(levels) {
					continue
				}
				if err := b.runOne(ctx, mode, levels[i], rep); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// runOne pre-signs what mode at clients needs, then runs it, once more with
// more entries if it ran out of them.
func (b *bench) runOne(ctx context.Context, mode string, clients, rep int) error {
	t := b.targets[mode]
	perReq := 1
	if mode == "batch" {
		perReq = b.cfg.BatchSize
	}
	for try := 0; ; try++ {
		want := b.entriesFor(mode, clients, perReq) << try
		if err := t.fill(ctx, want); err != nil {
			return err
		}
		m, err := b.measure(ctx, t, mode, clients, perReq, want, rep)
		if err != nil {
			return err
		}
		if !m.out.exhausted || try == 2 {
			b.results = append(b.results, m)
			return ctx.Err()
		}
		b.logf("%s c=%d ran out of pre-signed entries; again with more", mode, clients)
	}
}

// entriesFor estimates how many entries a run needs.
func (b *bench) entriesFor(mode string, clients, perReq int) int {
	rate := b.cfg.ExpectRate
	if mode == "naive" {
		rate = b.cfg.ExpectNaive
	}
	rate = min(rate, float64(clients*perReq)*2000) // nothing answers in under 0.5 ms
	for c := 1; c <= clients; c++ {                // a closed loop scales at most linearly
		if seen := b.est[fmt.Sprint(mode, c)]; seen > 0 {
			rate = min(rate, seen*float64(clients)/float64(c)*1.3)
		}
	}
	secs := (b.cfg.Warmup + b.cfg.Duration).Seconds() + 1
	return max(int(rate*secs), 4*clients*perReq)
}

// measure runs one mode at one level with entries from t's pool.
func (b *bench) measure(ctx context.Context, t *target, mode string, clients, perReq, want, rep int) (*measured, error) {
	es := t.take(want)
	l := load{perReq: perReq, clients: clients, warmup: b.cfg.Warmup, duration: b.cfg.Duration,
		path: "/v1/entries", ctype: "application/jose+json"}
	if perReq == 1 {
		for _, e := range es {
			l.requests = append(l.requests, e.body)
		}
	} else {
		l.path, l.ctype = "/v1/entries:batch", "application/json"
		for i := 0; i+perReq <= len(es); i += perReq {
			l.requests = append(l.requests, batchBody(es[i:i+perReq]))
		}
	}
	if err := b.profile(ctx, t, fmt.Sprintf("%s-c%d-r%d", mode, clients, rep)); err != nil {
		return nil, err
	}
	defer b.profile(ctx, t, "")
	size0, err := b.logSize(ctx, t)
	if err != nil {
		return nil, err
	}
	if b.cfg.QuietWait > 0 {
		if busy := waitQuiet(b.cfg.QuietBusy, b.cfg.QuietWait); busy >= b.cfg.QuietBusy {
			b.logf("the machine is still %.0f%% busy; running anyway", busy)
		}
	}
	var ceiling, ceilingCPU float64
	if b.cfg.Ceiling > 0 {
		ceiling, ceilingCPU = verifyCeiling(b.cfg.Ceiling)
	}
	started := time.Now()
	mt := startMeter(t.pid, b.pgPID)
	mt.watch(b.watch)
	out := drive(ctx, t.hc, t.base, l)
	use := mt.end()
	t.giveBack(es[out.sent*perReq:])
	t.saveNonces(out.nonces, started)
	size1, err := b.logSize(ctx, t)
	if err != nil {
		return nil, err
	}
	if grew := size1 - size0; grew != out.total && !b.cfg.SharedLog {
		// A request that failed (a timeout, say) may still have been
		// committed; any other difference is a bug worth stopping for.
		if lost := grew - out.total; lost < 0 || lost > int64(failed(out)) {
			return nil, fmt.Errorf("%s c=%d: the log grew by %d records but %d appends were answered 201", mode, clients, grew, out.total)
		}
		b.logf("%s c=%d: the log grew by %d records, %d appends were answered 201 and %d requests failed (%s)",
			mode, clients, grew, out.total, failed(out), out.firstErr)
	}
	m := &measured{mode: mode, clients: clients, rep: rep, out: out, use: use, rate: out.rate(b.cfg.Duration), ceiling: ceiling}
	if cpu := use.server + use.pg + use.agent; cpu > 0 && ceilingCPU > 0 {
		m.cpuOfC = float64(out.total) / cpu.Seconds() / ceilingCPU
	}
	key := fmt.Sprint(mode, clients)
	b.est[key] = max(b.est[key], m.rate)
	b.logf("%-6s c=%-3d rep %d: %8.0f appends/s  C %6.0f/s  %5.3f×C (CPU %5.3f)  p50 %6.2f ms  p99 %7.2f ms  failures %v  log %d -> %d  CPU%% server %.0f pg %.0f client %.0f other %.0f",
		mode, clients, rep, m.rate, ceiling, ratio(m.rate, ceiling), m.cpuOfC, ms(out.latency.quantile(0.5)), ms(out.latency.quantile(0.99)), out.failures, size0, size1,
		pctOf(use.server, use), pctOf(use.pg, use), pctOf(use.agent, use), pctOf(use.others(), use))
	return m, nil
}

// failed counts the requests of o that failed.
func failed(o *outcome) int {
	n := 0
	for _, k := range o.failures {
		n += k
	}
	return n
}

// pctOf is d as a percentage of all cores over u's interval.
func pctOf(d time.Duration, u usage) float64 {
	return 100 * d.Seconds() / u.wall.Seconds() / float64(runtime.NumCPU())
}

// batchBody is the body of POST /v1/entries:batch for es.
func batchBody(es []entry) []byte {
	var b strings.Builder
	b.WriteString(`{"entries":[`)
	for i, e := range es {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(e.body)
	}
	b.WriteString(`]}`)
	return []byte(b.String())
}

// logSize reads the size of t's log from its latest checkpoint.
func (b *bench) logSize(ctx context.Context, t *target) (int64, error) {
	cp, err := t.cl.Checkpoint(ctx)
	if err != nil {
		return 0, fmt.Errorf("reading the checkpoint of %s: %w", t.base, err)
	}
	lines := strings.SplitN(string(cp), "\n", 3)
	if len(lines) < 3 {
		return 0, fmt.Errorf("checkpoint of %s: unexpected form", t.base)
	}
	return strconv.ParseInt(lines[1], 10, 64)
}
