package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/signet-ledger/signet/audit"
)

// scaleConfig is the configuration of "signet-bench scale".
type scaleConfig struct {
	Signetd       string
	DatabaseURL   string
	Schema, Data  string // a log made by "signet-bench load"
	Samples       int
	Seed          uint64
	AuditRecords  int64
	Clients       int
	Duration      time.Duration
	Warmup        time.Duration
	Reps          int
	Payload       int
	Signers       int
	AuditProfile  string
	ServerProfile string
}

func (c *scaleConfig) flags(fs *flag.FlagSet) {
	fs.StringVar(&c.Signetd, "signetd", "", "signetd binary (required)")
	fs.StringVar(&c.DatabaseURL, "database-url", "", "PostgreSQL (required)")
	fs.StringVar(&c.Schema, "schema", "bench_load", "schema of a log made by signet-bench load")
	fs.StringVar(&c.Data, "data", "", "that log's data dir (required)")
	fs.IntVar(&c.Samples, "samples", 2000, "random indexes to verify and prove, one request at a time")
	fs.Uint64Var(&c.Seed, "seed", 0, "seed of the random indexes (0: the log's size, so that runs on an unchanged log read the same indexes; give each run its own to read indexes it has not cached)")
	fs.Int64Var(&c.AuditRecords, "audit-records", 1000000, "export and audit the first this many records (0: none)")
	fs.IntVar(&c.Clients, "clients", 64, "concurrent clients appending to the loaded log and to an empty one (0: skip)")
	fs.DurationVar(&c.Duration, "duration", 10*time.Second, "measured time per append run")
	fs.DurationVar(&c.Warmup, "warmup", time.Second, "unmeasured time before each append run")
	fs.IntVar(&c.Reps, "reps", 3, "append runs per log, alternating the loaded and the empty log")
	fs.IntVar(&c.Payload, "payload", 300, "bytes of JSON per appended entry")
	fs.IntVar(&c.Signers, "signers", 8, "signers registered for the append runs")
	fs.StringVar(&c.ServerProfile, "server-cpuprofile", "", "run the loaded log's signetd with --cpuprofile to this file")
	fs.StringVar(&c.AuditProfile, "audit-cpuprofile", "", "write a CPU profile of the audit (it runs in this process) to the file")
}

func scaleCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c scaleConfig
	fs := flag.NewFlagSet("signet-bench scale", flag.ContinueOnError)
	fs.SetOutput(stderr)
	c.flags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if c.Signetd == "" || c.DatabaseURL == "" || c.Data == "" {
		return fmt.Errorf("scale needs --signetd, --database-url and --data")
	}
	s := &scaler{cfg: c, log: stderr}
	return s.run(ctx, stdout)
}

// scaler measures one loaded log.
type scaler struct {
	cfg   scaleConfig
	log   io.Writer
	size  int64
	rows  [][2]string // name, value
	d     *daemon
	token string
}

func (s *scaler) logf(format string, args ...any) {
	fmt.Fprintf(s.log, "%s "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
}

func (s *scaler) add(name, format string, args ...any) {
	s.rows = append(s.rows, [2]string{name, fmt.Sprintf(format, args...)})
	s.logf("%s: %s", name, s.rows[len(s.rows)-1][1])
}

func (s *scaler) run(ctx context.Context, w io.Writer) error {
	c := s.cfg
	dbURL, err := schemaURL(c.DatabaseURL, c.Schema)
	if err != nil {
		return err
	}
	if err := s.storage(ctx, dbURL); err != nil {
		return err
	}
	origin, err := s.origin(ctx, dbURL)
	if err != nil {
		return err
	}
	var extra []string
	if c.ServerProfile != "" {
		extra = []string{"--cpuprofile", c.ServerProfile}
	}
	s.d, err = startDaemon(ctx, daemonConfig{Bin: c.Signetd, DBURL: dbURL, DataDir: c.Data, Origin: origin,
		NonceTTL: 30 * time.Minute, Extra: extra})
	if err != nil {
		return err
	}
	defer s.d.stop()
	s.token = s.d.admin
	s.logf("signetd on %s (%d records): %s", c.Schema, s.size, s.d.base)
	if err := s.reads(ctx, "verify", "/v1/entries/%d/verify", `"verified":true`); err != nil {
		return err
	}
	if err := s.reads(ctx, "inclusion proof", "/v1/proof/inclusion?index=%d", `"hashes"`); err != nil {
		return err
	}
	if err := s.audit(ctx); err != nil {
		return err
	}
	if err := s.appends(ctx); err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "log %s: %d records\t\n", c.Schema, s.size)
	for _, r := range s.rows {
		fmt.Fprintf(tw, "  %s\t%s\n", r[0], r[1])
	}
	return tw.Flush()
}

// storage reports the log's size and its tables' sizes per record.
func (s *scaler) storage(ctx context.Context, dbURL string) error {
	return withConn(ctx, dbURL, func(conn *pgx.Conn) error {
		if err := conn.QueryRow(ctx, `SELECT size FROM log_head WHERE id = 1`).Scan(&s.size); err != nil {
			return err
		}
		if s.size == 0 {
			return fmt.Errorf("the log in %s is empty", s.cfg.Schema)
		}
		var total int64
		for _, t := range []string{"records", "tree_hashes"} {
			var table, index int64
			err := conn.QueryRow(ctx, `SELECT pg_table_size($1::regclass), pg_indexes_size($1::regclass)`,
				pgx.Identifier{s.cfg.Schema, t}.Sanitize()).Scan(&table, &index)
			if err != nil {
				return err
			}
			total += table + index
			s.add(t+" bytes/record", "table %.0f + indexes %.0f = %.0f (%s in all)", per(table, s.size),
				per(index, s.size), per(table+index, s.size), mib(table+index))
		}
		s.add("storage bytes/record", "%.0f (%.2f KiB; %s in all)", per(total, s.size), per(total, s.size)/1024, mib(total))
		return nil
	})
}

func per(n, size int64) float64 { return float64(n) / float64(size) }
func mib(n int64) string        { return fmt.Sprintf("%.0f MiB", float64(n)/(1<<20)) }

// origin is the first line of the log's checkpoint.
func (s *scaler) origin(ctx context.Context, dbURL string) (string, error) {
	var cp string
	err := withConn(ctx, dbURL, func(conn *pgx.Conn) error {
		return conn.QueryRow(ctx, `SELECT checkpoint FROM log_head WHERE id = 1`).Scan(&cp)
	})
	origin, _, _ := strings.Cut(cp, "\n")
	return origin, err
}

// reads times GET requests for random indexes, one at a time, and checks
// that each answer holds want.
func (s *scaler) reads(ctx context.Context, name, pathFormat, want string) error {
	hc := &http.Client{}
	var lat latencies
	m := startMeter(s.d.pid(), 0)
	seed := s.cfg.Seed
	if seed == 0 {
		seed = uint64(s.size)
	}
	r := rand.New(rand.NewPCG(seed, 7))
	for range s.cfg.Samples {
		path := fmt.Sprintf(pathFormat, r.Int64N(s.size))
		t0 := time.Now()
		body, status, err := s.get(ctx, hc, path)
		lat = append(lat, time.Since(t0))
		if err != nil {
			return err
		}
		if status != http.StatusOK || !strings.Contains(body, want) {
			return fmt.Errorf("GET %s: %d %s", path, status, snippet([]byte(body)))
		}
	}
	u := m.end()
	s.add(name+" latency", "p50 %.2f ms  p95 %.2f ms  p99 %.2f ms  (%d random indexes, 1 client; other CPU %.0f%%)",
		ms(lat.quantile(0.5)), ms(lat.quantile(0.95)), ms(lat.quantile(0.99)), len(lat), pctOf(u.others(), u))
	return nil
}

func (s *scaler) get(ctx context.Context, hc *http.Client, path string) (string, int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.d.base+path, nil)
	if err != nil {
		return "", 0, err
	}
	req.Header.Set("Authorization", "Bearer "+s.token)
	resp, err := hc.Do(req)
	if err != nil {
		return "", 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), resp.StatusCode, err
}

// audit exports the first AuditRecords records to a file, then audits the
// file with package audit, as "signet audit" does.
func (s *scaler) audit(ctx context.Context) error {
	n := min(s.cfg.AuditRecords, s.size)
	if n <= 0 {
		return nil
	}
	file := filepath.Join(s.cfg.Data, "export.ndjson")
	defer os.Remove(file)
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	defer f.Close()
	t0 := time.Now()
	tl := newTarget("audit", s.d.base, s.d.admin, 0, 0, time.Minute)
	if _, err := tl.cl.Export(ctx, 0, n, f); err != nil {
		return fmt.Errorf("exporting: %w", err)
	}
	took := time.Since(t0)
	st, _ := f.Stat()
	s.add("export", "%.0f records/s (%d records, %s, GET /v1/log/export to a file)", float64(n)/took.Seconds(), n, mib(st.Size()))
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	key, err := tl.cl.LogKey(ctx)
	if err != nil {
		return err
	}
	stop, err := startProfile(s.cfg.AuditProfile)
	if err != nil {
		return err
	}
	sum, err := audit.Audit(ctx, f, audit.Options{LogKey: key})
	stop()
	if err != nil {
		return fmt.Errorf("auditing the export: %w", err)
	}
	if sum.Records != n {
		return fmt.Errorf("the audit replayed %d records, want %d", sum.Records, n)
	}
	c, _ := verifyCeiling(time.Second)
	s.add("audit", "%.0f records/s = %.3f×C (%d records from the file, signatures on %d cores; C = %.0f verifications/s just after)",
		sum.Rate(), ratio(sum.Rate(), c), sum.Records, maxProcs(), c)
	return nil
}

// appends measures append throughput on the loaded log against a fresh,
// empty log on its own server, alternating, in the same run.
func (s *scaler) appends(ctx context.Context) error {
	c := s.cfg
	if c.Clients <= 0 {
		return nil
	}
	b := &bench{cfg: runConfig{DatabaseURL: c.DatabaseURL, Signetd: c.Signetd, WorkDir: filepath.Join(c.Data, "empty"),
		Duration: c.Duration, Warmup: c.Warmup, ExpectRate: 20000, QuietBusy: 40, QuietWait: time.Minute, Prefill: 5000, NonceTTL: 30 * time.Minute, Payload: c.Payload,
		Modes: []string{"empty"}}, log: s.log, est: map[string]float64{}, targets: map[string]*target{}}
	b.pgPID = postmasterPID(ctx, c.DatabaseURL)
	defer b.close(ctx)
	empty, err := b.startTarget(ctx, "s"+randomHex(3), "single")
	if err != nil {
		return err
	}
	b.targets["empty"] = empty
	loaded := newTarget("loaded", s.d.base, s.d.admin, s.d.pid(), c.Payload, 30*time.Minute)
	b.targets["loaded"] = loaded
	for _, t := range []*target{empty, loaded} {
		if err := t.register(ctx, c.Signers); err != nil {
			return err
		}
	}
	if err := b.prefill(ctx, empty); err != nil {
		return err
	}
	for rep := 1; rep <= c.Reps; rep++ {
		for _, mode := range []string{"empty", "loaded"} {
			if err := b.runOne(ctx, mode, c.Clients, rep); err != nil {
				return err
			}
		}
	}
	var rates = map[string][]float64{}
	var p99 = map[string][]time.Duration{}
	for _, m := range b.results {
		rates[m.mode] = append(rates[m.mode], m.rate)
		p99[m.mode] = append(p99[m.mode], m.out.latency.quantile(0.99))
	}
	e, l := median(rates["empty"]), median(rates["loaded"])
	s.add(fmt.Sprintf("appends/s, %d clients", c.Clients), "%.0f at this size vs %.0f on an empty log (%.0f%%; p99 %.1f vs %.1f ms; median of %d)",
		l, e, 100*l/e, ms(median(p99["loaded"])), ms(median(p99["empty"])), c.Reps)
	return nil
}
