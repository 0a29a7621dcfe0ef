package main

import (
	"context"
	"crypto/rand"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"text/tabwriter"
	"time"

	"golang.org/x/mod/sumdb/note"
)

// witnessedConfig is the configuration of "signet-bench witnessed".
type witnessedConfig struct {
	Signetd, Signet, Omniwitness string // binaries
	DatabaseURL                  string
	Witnesses                    []string // kinds, one per witness
	Nice                         int
	Clients                      int
	Duration, Warmup             time.Duration
	Reps                         int
	Signers, Payload, Prefill    int
	WorkDir                      string
	Keep                         bool
	ServerProfile                string
	SignetdArgs                  string
}

func (c *witnessedConfig) flags(fs *flag.FlagSet) (finish func() error) {
	fs.StringVar(&c.Signetd, "signetd", "", "signetd binary (required)")
	fs.StringVar(&c.Signet, "signet", "", "signet binary, for signet witness (required if --witnesses names signet)")
	fs.StringVar(&c.Omniwitness, "omniwitness", os.Getenv("SIGNET_OMNIWITNESS"), "omniwitness binary (default $SIGNET_OMNIWITNESS, as scripts/tools.sh exports it)")
	fs.StringVar(&c.DatabaseURL, "database-url", "", "PostgreSQL (required); each server gets a fresh schema")
	ws := fs.String("witnesses", "signet,signet,omniwitness", "the witnesses of the witnessed server, one kind (signet or omniwitness) per witness")
	fs.IntVar(&c.Nice, "witness-nice", 0, "run the witnesses at this niceness (1-19: mostly on idle CPU, as witnesses on machines of their own)")
	fs.IntVar(&c.Clients, "clients", 64, "concurrent clients on the single endpoint")
	fs.DurationVar(&c.Duration, "duration", 12*time.Second, "measured time per run")
	fs.DurationVar(&c.Warmup, "warmup", 2*time.Second, "unmeasured time before each run's window")
	fs.IntVar(&c.Reps, "reps", 3, "runs per server, alternating (ABBA); the table shows medians")
	fs.IntVar(&c.Signers, "signers", 8, "signers registered per server")
	fs.IntVar(&c.Payload, "payload", 300, "bytes of JSON per entry")
	fs.IntVar(&c.Prefill, "prefill", 5000, "entries appended to each log, unmeasured, before ANALYZE and the first run")
	fs.StringVar(&c.WorkDir, "work", "", "folder for the servers' and witnesses' data and logs (default: a new temporary folder)")
	fs.BoolVar(&c.Keep, "keep", false, "keep the schemas")
	fs.StringVar(&c.SignetdArgs, "signetd-args", "", "extra flags for both signetd, space-separated (e.g. \"--witness-interval 0\")")
	fs.StringVar(&c.ServerProfile, "server-cpuprofile", "", "run the witnessed signetd with --cpuprofile to this file (the whole run)")
	return func() error {
		c.Witnesses = splitList(*ws)
		switch {
		case c.Signetd == "" || c.DatabaseURL == "":
			return fmt.Errorf("witnessed needs --signetd and --database-url")
		case len(c.Witnesses) == 0:
			return fmt.Errorf("--witnesses is empty")
		case c.Nice < 0 || c.Nice > 19:
			return fmt.Errorf("--witness-nice must be 0 to 19")
		}
		return nil
	}
}

func witnessedCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c witnessedConfig
	fs := flag.NewFlagSet("signet-bench witnessed", flag.ContinueOnError)
	fs.SetOutput(stderr)
	finish := c.flags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := finish(); err != nil {
		return err
	}
	if c.WorkDir == "" {
		dir, err := os.MkdirTemp("", "signet-bench-w-")
		if err != nil {
			return err
		}
		c.WorkDir = dir
	}
	wb := &witnessedBench{cfg: c, bench: &bench{log: stderr, est: map[string]float64{}, targets: map[string]*target{},
		cfg: runConfig{Signetd: c.Signetd, DatabaseURL: c.DatabaseURL, SignetdArgs: c.SignetdArgs, WorkDir: c.WorkDir, Keep: c.Keep,
			Modes: []string{"none", "witnessed"}, Levels: []int{c.Clients}, Duration: c.Duration, Warmup: c.Warmup,
			Reps: c.Reps, Signers: c.Signers, Payload: c.Payload, Prefill: c.Prefill, ExpectRate: 20000,
			NonceTTL: 30 * time.Minute, QuietBusy: 40, QuietWait: time.Minute}}}
	defer wb.close(ctx)
	if err := wb.setUp(ctx); err != nil {
		return err
	}
	if err := wb.runAll(ctx); err != nil {
		return err
	}
	wb.report(stdout)
	return nil
}

// witnessedBench is one "witnessed" run: a server without witnesses and
// one with, on the same database, measured alternately.
type witnessedBench struct {
	cfg witnessedConfig
	*bench
	witnesses []*witnessProc
	catchUp   []time.Duration // after each witnessed run: until every witness cosigned the head
}

// setUp starts the witnesses, then both servers, registers signers and
// prefills both logs, and waits until the witnesses have cosigned.
func (wb *witnessedBench) setUp(ctx context.Context) error {
	b, c := wb.bench, wb.cfg
	b.pgPID = postmasterPID(ctx, c.DatabaseURL)
	run := "w" + randomHex(3)
	none, err := b.startServer(ctx, benchSchema(run, "none"), "none", 0, nil)
	if err != nil {
		return err
	}
	b.targets["none"] = none
	witnessed, err := wb.startWitnessed(ctx, benchSchema(run, "witnessed"))
	if err != nil {
		return err
	}
	b.targets["witnessed"] = witnessed
	for _, t := range []*target{none, witnessed} {
		if err := t.register(ctx, c.Signers); err != nil {
			return err
		}
		if err := b.prefill(ctx, t); err != nil {
			return err
		}
	}
	size, err := b.logSize(ctx, witnessed)
	if err != nil {
		return err
	}
	took, err := waitCosigned(ctx, witnessed.base, size, 2*time.Minute)
	if err != nil {
		return err
	}
	b.logf("every witness cosigned the prefilled log (%d records) %s after the prefill", size, took.Round(time.Millisecond))
	for _, w := range wb.witnesses {
		b.watch = append(b.watch, w.pid())
	}
	return nil
}

// startWitnessed makes the log's key, starts the witnesses for it, and
// then the server with a policy naming them, so that its first push finds
// them listening.
func (wb *witnessedBench) startWitnessed(ctx context.Context, schema string) (*target, error) {
	c := wb.cfg
	dir := filepath.Join(c.WorkDir, schema+"-witnesses")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	origin := "signet-bench/" + schema
	skey, vkey, err := note.GenerateKey(rand.Reader, origin)
	if err != nil {
		return nil, err
	}
	keyFile, tokenFile, policyFile := filepath.Join(dir, "log.key"), filepath.Join(dir, "reader.token"), filepath.Join(dir, "policy.txt")
	token := randomHex(16)
	if err := os.WriteFile(keyFile, []byte(skey+"\n"), 0o600); err != nil {
		return nil, err
	}
	if err := os.WriteFile(tokenFile, []byte(token+"\n"), 0o600); err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	for i, kind := range c.Witnesses {
		bin := map[string]string{"signet": c.Signet, "omniwitness": c.Omniwitness}[kind]
		if bin == "" {
			return nil, fmt.Errorf("a %s witness needs its binary (--signet or --omniwitness)", kind)
		}
		name := fmt.Sprintf("w%d-%s", i+1, kind)
		w, err := startWitness(ctx, witnessSpec{Kind: kind, Name: "witness.bench/" + name, Bin: bin, Dir: filepath.Join(dir, name),
			Origin: origin, LogVKey: vkey, LogURL: fmt.Sprintf("http://127.0.0.1:%d", port), TokenFile: tokenFile, Nice: c.Nice})
		if err != nil {
			return nil, err
		}
		wb.witnesses = append(wb.witnesses, w)
		wb.logf("started witness %s (%s): %s, pid %d, log %s", name, kind, w.url, w.pid(), w.logPath)
	}
	if err := writePolicy(policyFile, vkey, wb.witnesses); err != nil {
		return nil, err
	}
	more := []string{"--log-key-file", keyFile, "--witness-policy", policyFile, "--reader-token", token}
	if c.ServerProfile != "" {
		more = append(more, "--cpuprofile", c.ServerProfile)
	}
	return wb.startServer(ctx, schema, "witnessed", port, more)
}

// runAll runs the reps, none and witnessed alternating in ABBA order;
// after each witnessed run it waits until every witness has cosigned the
// head, so that their catching up does not spill into the next run.
func (wb *witnessedBench) runAll(ctx context.Context) error {
	order := []string{"none", "witnessed"}
	for rep := 1; rep <= wb.cfg.Reps; rep++ {
		for _, mode := range order {
			if err := wb.runOne(ctx, mode, wb.cfg.Clients, rep); err != nil {
				return err
			}
			// Pre-sign for the faster of the two, so that neither runs
			// out and is run again later, out of step with its pair.
			a, b := fmt.Sprint("none", wb.cfg.Clients), fmt.Sprint("witnessed", wb.cfg.Clients)
			wb.est[a], wb.est[b] = max(wb.est[a], wb.est[b]), max(wb.est[a], wb.est[b])
			if mode != "witnessed" {
				continue
			}
			t := wb.targets[mode]
			size, err := wb.logSize(ctx, t)
			if err != nil {
				return err
			}
			took, err := waitCosigned(ctx, t.base, size, 5*time.Minute)
			if err != nil {
				return err
			}
			wb.catchUp = append(wb.catchUp, took)
			wb.logf("witnessed rep %d: every witness cosigned the head (%d records) %s after the run", rep, size, took.Round(time.Millisecond))
		}
		order[0], order[1] = order[1], order[0]
	}
	return nil
}

// close stops the servers, then the witnesses.
func (wb *witnessedBench) close(ctx context.Context) {
	wb.bench.close(ctx)
	for _, w := range wb.witnesses {
		w.stop()
	}
}

// report prints the table, the ratio of medians and the paired ratios.
func (wb *witnessedBench) report(w io.Writer) {
	cores := float64(runtime.NumCPU())
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "server\tclients\treps\tappends/s\t(min-max)\tp50 ms\tp99 ms\tfailed\tserver CPU\tPG CPU\twitness CPU\tclient CPU\tother CPU\t\n")
	rates := map[string][]float64{}
	for _, r := range wb.rows() {
		var wcpu []float64
		for _, m := range wb.results {
			if m.mode == r.mode {
				wcpu = append(wcpu, 100*m.use.watched.Seconds()/m.use.wall.Seconds()/cores)
				rates[m.mode] = append(rates[m.mode], m.rate)
			}
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.0f\t(%.0f-%.0f)\t%.2f\t%.2f\t%d\t%.0f%%\t%.0f%%\t%.0f%%\t%.0f%%\t%.0f%%\t\n",
			r.mode, r.clients, r.reps, r.rate, r.lo, r.hi, ms(r.p50), ms(r.p99), r.failed, r.server, r.pg, median(wcpu), r.tool, r.others)
	}
	tw.Flush()
	none, wit := median(rates["none"]), median(rates["witnessed"])
	fmt.Fprintf(w, "\nwitnesses: %v (niceness %d); CPU columns are %% of all %d cores, medians of the reps.\n", wb.cfg.Witnesses, wb.cfg.Nice, runtime.NumCPU())
	fmt.Fprintf(w, "witnessed / none, medians, same run: %.0f / %.0f = %.1f%%\n", wit, none, 100*wit/none)
	var paired []float64
	for i := range min(len(rates["none"]), len(rates["witnessed"])) {
		paired = append(paired, 100*rates["witnessed"][i]/rates["none"][i])
	}
	fmt.Fprintf(w, "witnessed / none, paired by rep (adjacent runs): median %.1f%% of %.1f%%\n", median(paired), paired)
	fmt.Fprintf(w, "every witness had cosigned the head %s after each witnessed run (median; %v)\n",
		median(wb.catchUp).Round(time.Millisecond), roundAll(wb.catchUp))
}

func roundAll(ds []time.Duration) []time.Duration {
	out := make([]time.Duration, len(ds))
	for i, d := range ds {
		out[i] = d.Round(time.Millisecond)
	}
	return out
}
