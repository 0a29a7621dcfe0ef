package main

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"golang.org/x/mod/sumdb/note"
)

// catchUpConfig is the configuration of "signet-bench catchup".
type catchUpConfig struct {
	Signetd, Signet string
	DatabaseURL     string
	Schema, Data    string
	Records         int64
	Reps            int
	CatchUpTimeout  time.Duration
}

func (c *catchUpConfig) flags(fs *flag.FlagSet) {
	fs.StringVar(&c.Signetd, "signetd", "", "signetd binary (required)")
	fs.StringVar(&c.Signet, "signet", "", "signet binary, for signet witness (required)")
	fs.StringVar(&c.DatabaseURL, "database-url", "", "PostgreSQL (required)")
	fs.StringVar(&c.Schema, "schema", "bench_catchup", "schema of the log; loaded with signet-bench load's bulk loader up to --records if smaller")
	fs.StringVar(&c.Data, "data", "", "the log's data dir (required)")
	fs.Int64Var(&c.Records, "records", 100000, "records in the log")
	fs.IntVar(&c.Reps, "reps", 3, "fresh witnesses to time, one after another")
	fs.DurationVar(&c.CatchUpTimeout, "catch-up-timeout", 9*time.Second, "the witness's --catch-up-timeout (under signetd's 10 s add-checkpoint timeout)")
}

func catchUpCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c catchUpConfig
	fs := flag.NewFlagSet("signet-bench catchup", flag.ContinueOnError)
	fs.SetOutput(stderr)
	c.flags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if c.Signetd == "" || c.Signet == "" || c.DatabaseURL == "" || c.Data == "" {
		return fmt.Errorf("catchup needs --signetd, --signet, --database-url and --data")
	}
	cu := &catchUp{cfg: c, log: stderr}
	if err := cu.load(ctx); err != nil {
		return err
	}
	for rep := 1; rep <= c.Reps; rep++ {
		if err := cu.rep(ctx, rep); err != nil {
			return err
		}
	}
	cu.report(stdout)
	return nil
}

// catchUp times fresh witnesses catching up one loaded log.
type catchUp struct {
	cfg     catchUpConfig
	log     io.Writer
	size    int64
	origin  string
	logVKey string
	results []catchUpRep
}

// catchUpRep is one fresh witness's catching up.
type catchUpRep struct {
	copied, cosigned time.Duration // from the witness's start
	use              usage         // the witness's CPU and peak RSS; watched: signetd's CPU
}

func (cu *catchUp) logf(format string, args ...any) {
	fmt.Fprintf(cu.log, "%s "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
}

// load grows the log to Records with the bulk loader and reads its
// origin and key.
func (cu *catchUp) load(ctx context.Context) error {
	c := cu.cfg
	l, err := openLog(ctx, loadConfig{Signetd: c.Signetd, DatabaseURL: c.DatabaseURL, Schema: c.Schema, Data: c.Data,
		Signers: 8, Payload: 300}, cu.log)
	if err != nil {
		return err
	}
	defer l.pool.Close()
	if _, err := l.grow(ctx, c.Records, 100000); err != nil {
		return err
	}
	cu.size = l.head.Size
	cu.origin = l.signer.origin
	skey, err := os.ReadFile(filepath.Join(c.Data, "log.key"))
	if err != nil {
		return err
	}
	cu.logVKey, err = verifierKey(strings.TrimSpace(string(skey)))
	return err
}

// verifierKey is the signed-note verifier key of an Ed25519 private key.
func verifierKey(skey string) (string, error) {
	parts := strings.SplitN(skey, "+", 5)
	if len(parts) != 5 || parts[0] != "PRIVATE" || parts[1] != "KEY" {
		return "", errors.New("the log key is not a signed-note private key")
	}
	b, err := base64.StdEncoding.DecodeString(parts[4])
	if err != nil || len(b) != 1+ed25519.SeedSize || b[0] != 0x01 {
		return "", errors.New("the log key is not an Ed25519 signed-note private key")
	}
	return note.NewEd25519VerifierKey(parts[2], ed25519.NewKeyFromSeed(b[1:]).Public().(ed25519.PublicKey))
}

// rep starts signetd with a policy naming one new witness, then the
// witness with an empty state, and times it until its copy holds the log
// and until signetd has its cosignature of the head.
func (cu *catchUp) rep(ctx context.Context, rep int) error {
	c := cu.cfg
	dir := filepath.Join(c.Data, fmt.Sprintf("catchup-%d-%s", rep, randomHex(3)))
	defer os.RemoveAll(dir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	tokenFile, policyFile := filepath.Join(dir, "reader.token"), filepath.Join(dir, "policy.txt")
	token := randomHex(16)
	if err := os.WriteFile(tokenFile, []byte(token+"\n"), 0o600); err != nil {
		return err
	}
	port, err := freePort()
	if err != nil {
		return err
	}
	w := &witnessProc{spec: witnessSpec{Kind: "signet", Name: "witness.bench/catchup", Bin: c.Signet, Dir: filepath.Join(dir, "witness"),
		Origin: cu.origin, LogVKey: cu.logVKey, LogURL: fmt.Sprintf("http://127.0.0.1:%d", port), TokenFile: tokenFile}}
	if err := os.MkdirAll(w.spec.Dir, 0o700); err != nil {
		return err
	}
	wport, err := freePort()
	if err != nil {
		return err
	}
	w.addr, w.logPath = fmt.Sprintf("127.0.0.1:%d", wport), filepath.Join(w.spec.Dir, "witness.log")
	w.url = "http://" + w.addr
	args, err := w.signetArgs()
	if err != nil {
		return err
	}
	args = append(args, "--catch-up-timeout", c.CatchUpTimeout.String())
	if err := writePolicy(policyFile, cu.logVKey, []*witnessProc{w}); err != nil {
		return err
	}
	dbURL, err := schemaURL(c.DatabaseURL, c.Schema)
	if err != nil {
		return err
	}
	// Quiet first: signetd backs a witness that is not listening off,
	// doubling, so the witness must start right after it.
	if busy := waitQuiet(40, time.Minute); busy >= 40 {
		cu.logf("the machine is still %.0f%% busy; running anyway", busy)
	}
	d, err := startDaemon(ctx, daemonConfig{Bin: c.Signetd, DBURL: dbURL, DataDir: c.Data, Origin: cu.origin, NonceTTL: 30 * time.Minute,
		Port: port, Extra: []string{"--witness-policy", policyFile, "--reader-token", token}})
	if err != nil {
		return err
	}
	defer d.stop()
	t0 := time.Now()
	if err := w.start(ctx, args); err != nil {
		return err
	}
	defer w.stop()
	m := startMeter(w.pid(), 0)
	m.watch([]int{d.pid()})
	r, err := cu.wait(ctx, w, d, t0)
	r.use = m.end()
	if err != nil {
		return err
	}
	cu.results = append(cu.results, r)
	cu.logf("rep %d: copy of %d records in %s (%.0f records/s), cosigned by %s; witness CPU %.1f s, peak RSS %.0f MiB; signetd CPU %.1f s",
		rep, cu.size, r.copied.Round(time.Millisecond), float64(cu.size)/r.copied.Seconds(), r.cosigned.Round(time.Millisecond),
		r.use.server.Seconds(), float64(r.use.peakRSS)/(1<<20), r.use.watched.Seconds())
	return nil
}

// wait polls the witness's state file until its copy holds the log, and
// signetd's /readyz until the witness has cosigned the head.
func (cu *catchUp) wait(ctx context.Context, w *witnessProc, d *daemon, t0 time.Time) (catchUpRep, error) {
	var r catchUpRep
	deadline := t0.Add(30 * time.Minute)
	for time.Now().Before(deadline) {
		if r.copied == 0 {
			if n, err := copySize(filepath.Join(w.spec.Dir, "state")); err == nil && n >= cu.size {
				r.copied = time.Since(t0)
			}
		}
		ws, err := readyWitnesses(ctx, d.base)
		if err != nil {
			return r, err
		}
		if len(ws) == 1 && ws[0].CosignedSize >= cu.size {
			r.cosigned = time.Since(t0)
			if r.copied == 0 {
				r.copied = r.cosigned
			}
			return r, nil
		}
		select {
		case <-ctx.Done():
			return r, ctx.Err()
		case err := <-w.exited:
			return r, fmt.Errorf("the witness exited (%v); see %s", err, w.logPath)
		case <-time.After(20 * time.Millisecond):
		}
	}
	return r, fmt.Errorf("the witness did not catch up within 30 minutes; see %s", w.logPath)
}

// copySize reads the size of the one log's copy from a witness state dir.
func copySize(stateDir string) (int64, error) {
	files, _ := filepath.Glob(filepath.Join(stateDir, "logs", "*", "state.json"))
	if len(files) != 1 {
		return 0, fmt.Errorf("%s: no state yet", stateDir)
	}
	b, err := os.ReadFile(files[0])
	if err != nil {
		return 0, err
	}
	var st struct {
		Copy struct {
			Size int64 `json:"size"`
		} `json:"copy"`
	}
	err = json.Unmarshal(b, &st)
	return st.Copy.Size, err
}

func (cu *catchUp) report(w io.Writer) {
	var copied, cosigned []time.Duration
	var rates, cpu, srv []float64
	var rss []int64
	for _, r := range cu.results {
		copied, cosigned = append(copied, r.copied), append(cosigned, r.cosigned)
		rates = append(rates, float64(cu.size)/r.copied.Seconds())
		cpu = append(cpu, r.use.server.Seconds()*1e6/float64(cu.size))
		srv = append(srv, r.use.watched.Seconds()*1e6/float64(cu.size))
		rss = append(rss, r.use.peakRSS)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "a fresh signet witness catching up %d records (%s), median of %d:\t\n", cu.size, cu.cfg.Schema, len(cu.results))
	fmt.Fprintf(tw, "  copy complete\t%s (%v)\n", median(copied).Round(time.Millisecond), roundAll(copied))
	fmt.Fprintf(tw, "  records/s\t%.0f\n", median(rates))
	fmt.Fprintf(tw, "  head cosigned, as signetd reports it\t%s (%v)\n", median(cosigned).Round(time.Millisecond), roundAll(cosigned))
	fmt.Fprintf(tw, "  witness CPU per record\t%.0f µs (%d cores)\n", median(cpu), runtime.NumCPU())
	fmt.Fprintf(tw, "  signetd CPU per record (its export)\t%.0f µs\n", median(srv))
	fmt.Fprintf(tw, "  witness peak RSS\t%.0f MiB (largest %.0f MiB)\n", float64(median(rss))/(1<<20), float64(slices.Max(rss))/(1<<20))
	tw.Flush()
}
