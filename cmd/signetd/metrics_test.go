package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/signet-ledger/signet/client"
	"github.com/signet-ledger/signet/internal/signettest"
	"github.com/signet-ledger/signet/keys"
	"golang.org/x/mod/sumdb/note"
)

// metricsScrape is one scrape of /metrics, parsed.
type metricsScrape map[string]*dto.MetricFamily

// scrapeMetrics scrapes the metrics listener at addr (host:port).
func scrapeMetrics(t *testing.T, addr string) metricsScrape {
	t.Helper()
	s, err := tryScrape(addr)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func tryScrape(addr string) (metricsScrape, error) {
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		return nil, fmt.Errorf("GET /metrics: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET /metrics = %d", resp.StatusCode)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("parsing /metrics: %w", err)
	}
	return fams, nil
}

// series returns the series of name whose labels include want
// ("name=value" pairs).
func (s metricsScrape) series(name string, want ...string) []*dto.Metric {
	f := s[name]
	if f == nil {
		return nil
	}
	var out []*dto.Metric
	for _, m := range f.Metric {
		have := map[string]string{}
		for _, l := range m.Label {
			have[l.GetName()] = l.GetValue()
		}
		ok := true
		for _, w := range want {
			k, v, _ := strings.Cut(w, "=")
			ok = ok && have[k] == v
		}
		if ok {
			out = append(out, m)
		}
	}
	return out
}

// value sums the counter, gauge or histogram count of the series of name
// whose labels include want; 0 if there is none.
func (s metricsScrape) value(name string, want ...string) float64 {
	sum := 0.0
	for _, m := range s.series(name, want...) {
		switch {
		case m.Counter != nil:
			sum += m.Counter.GetValue()
		case m.Gauge != nil:
			sum += m.Gauge.GetValue()
		case m.Histogram != nil:
			sum += float64(m.Histogram.GetSampleCount())
		}
	}
	return sum
}

// histogramSum is the sum of observations of histogram name.
func (s metricsScrape) histogramSum(name string) float64 {
	sum := 0.0
	for _, m := range s.series(name) {
		sum += m.Histogram.GetSampleSum()
	}
	return sum
}

// labelValues lists the values label takes in the series of name.
func (s metricsScrape) labelValues(name, label string) []string {
	var out []string
	for _, m := range s.series(name) {
		for _, l := range m.Label {
			if l.GetName() == label {
				out = append(out, l.GetValue())
			}
		}
	}
	return out
}

// metricsDelta checks that each metric moved by the amount given between
// two scrapes.
func metricsDelta(t *testing.T, before, after metricsScrape, want []metricMove) {
	t.Helper()
	for _, w := range want {
		got := after.value(w.name, w.labels...) - before.value(w.name, w.labels...)
		if got != w.delta {
			t.Errorf("%s%v moved by %v, want %v", w.name, w.labels, got, w.delta)
		}
	}
}

type metricMove struct {
	name   string
	labels []string
	delta  float64
}

// TestMetricsProcess scrapes a real signetd's metrics listener before,
// during and after appends of every outcome (appended, resubmitted,
// refused for an unknown key, a forged nonce and the kid rate limit), a
// verification that passes and one of a tampered record that fails, and
// checks that every count moved by what the clients saw; that routes are
// templates, never raw paths; and that the API port has no /metrics.
func TestMetricsProcess(t *testing.T) {
	bin := buildSignetd(t)
	for _, kind := range []string{"postgres", "sqlite"} {
		t.Run(kind, func(t *testing.T) {
			dbURL := "sqlite:" + filepath.Join(t.TempDir(), "log.db")
			if kind == "postgres" {
				dbURL = signettest.Schema(t)
			}
			testMetricsProcess(t, bin, dbURL)
		})
	}
}

func testMetricsProcess(t *testing.T, bin, dbURL string) {
	maddr := freeAddr(t)
	p := start(t, bin, []string{"DATABASE_URL=" + dbURL, "SIGNET_DATA_DIR=" + t.TempDir(), "SIGNET_ADMIN_TOKEN=admin",
		"SIGNET_READ_ACCESS=public", "SIGNET_METRICS_ADDR=" + maddr, "SIGNET_WITNESS_POLICY="},
		"--rate-limit-kid", "5", "--queue", "777")
	ctx := context.Background()
	c := client.New(p.addr, client.WithAdminToken("admin"))

	if resp, err := http.Get(p.addr + "/metrics"); err != nil || resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET /metrics on the API port = %v, %v; want 404", resp, err)
	} else {
		resp.Body.Close()
	}
	s0 := scrapeMetrics(t, maddr)
	want := []string{"go_goroutines", "process_cpu_seconds_total"}
	if !strings.HasPrefix(dbURL, "sqlite:") {
		want = append(want, "signet_store_connections_opened_total") // SQLite has no pool
	}
	for _, f := range want {
		if s0[f] == nil {
			t.Errorf("no %s in the metrics", f)
		}
	}
	if got := s0.value("signet_sequencer_queue_capacity"); got != 777 {
		t.Errorf("signet_sequencer_queue_capacity = %v, want 777 (--queue)", got)
	}
	if s0.value("signet_store_up") != 1 || s0.value("signet_tree_size") != 0 {
		t.Errorf("store_up %v, tree_size %v; want 1 and 0", s0.value("signet_store_up"), s0.value("signet_tree_size"))
	}

	// The load: four signers, ten entries each, while a scraper watches
	// the appended count only grow.
	const signers, perSigner = 4, 10
	var loadKeys []keys.PrivateKey
	for i := range signers {
		k := mustKey(t)
		if _, err := c.Register(ctx, fmt.Sprintf("load-%d", i), k, nil); err != nil {
			t.Fatal(err)
		}
		loadKeys = append(loadKeys, k)
	}
	stop, scraped, first := make(chan struct{}), make(chan int), make(chan struct{})
	go func() {
		n, last := 0, 0.0
		for {
			s, err := tryScrape(maddr)
			if err != nil {
				t.Errorf("scraping during the load: %v", err)
			} else if v := s.value("signet_appends_total", "kind=entry", "outcome=appended"); v < last {
				t.Errorf("signet_appends_total went down from %v to %v", last, v)
			} else {
				last = v
			}
			if n++; n == 1 {
				close(first)
			}
			select {
			case <-stop:
				scraped <- n
				return
			default:
			}
		}
	}()
	<-first
	var load sync.WaitGroup
	for i, k := range loadKeys {
		load.Go(func() {
			for j := range perSigner {
				if _, err := c.Submit(ctx, k, fmt.Appendf(nil, `{"journal_id":"JE-%d-%d"}`, i, j)); err != nil {
					t.Errorf("Submit = %v", err)
				}
			}
		})
	}
	load.Wait()
	close(stop)
	if n := <-scraped; n < 2 {
		t.Errorf("%d scrapes, want one before the load and more during it", n)
	}

	// bob's batch of 30 meets the kid limit (5/s, bucket 10).
	bob := mustKey(t)
	if _, err := c.Register(ctx, "bob", bob, nil); err != nil {
		t.Fatal(err)
	}
	var batch [][]byte
	for i := range 30 {
		j, err := c.SignEntry(ctx, bob, fmt.Appendf(nil, `{"journal_id":"JE-bob-%d"}`, i))
		if err != nil {
			t.Fatal(err)
		}
		batch = append(batch, j.Flattened())
	}
	res, err := c.SubmitBatch(ctx, batch)
	if err != nil {
		t.Fatal(err)
	}
	batchOK, limited := 0, 0
	for _, r := range res {
		switch {
		case r.Status == http.StatusCreated:
			batchOK++
		case r.Problem != nil && r.Problem.Name() == "rateLimited":
			limited++
		default:
			t.Errorf("batch entry: %d %+v", r.Status, r.Problem)
		}
	}
	if limited == 0 {
		t.Fatalf("no batch entry was rate limited (%d appended)", batchOK)
	}
	time.Sleep(2 * time.Second) // bob's bucket refills for what follows

	// One append twice (the second is a resubmission), one with a key the
	// log does not know, one with a nonce the server never issued.
	j, err := c.SignEntry(ctx, bob, []byte(`{"journal_id":"JE-twice"}`))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []bool{false, true} {
		if a, err := c.SubmitJWS(ctx, j.Flattened()); err != nil || a.Existing != want {
			t.Fatalf("SubmitJWS = %+v, %v; want Existing %v", a, err, want)
		}
	}
	if _, err := c.Submit(ctx, mustKey(t), []byte(`{"journal_id":"JE-stranger"}`)); !client.IsProblem(err, "unknownKey") {
		t.Fatalf("Submit with an unknown key = %v, want unknownKey", err)
	}
	forged, err := c.Sign(client.Signer{Key: bob}, "/v1/entries", "bm90LWEtbm9uY2U", []byte(`{"journal_id":"JE-forged"}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.SubmitJWS(ctx, forged.Flattened()); !client.IsProblem(err, "badNonce") {
		t.Fatalf("SubmitJWS with a forged nonce = %v, want badNonce", err)
	}

	// Reads: a record by its index, an endpoint that does not exist, a
	// verification that passes and one of a tampered record.
	for path, want := range map[string]int{"/v1/entries/3": 200, "/v1/nothing/12345": 404} {
		if resp, err := http.Get(p.addr + path); err != nil || resp.StatusCode != want {
			t.Fatalf("GET %s = %v, %v; want %d", path, resp, err, want)
		} else {
			resp.Body.Close()
		}
	}
	if v, err := c.Verify(ctx, 3); err != nil || !v.Verified {
		t.Fatalf("Verify(3) = %+v, %v; want verified", v, err)
	}
	tamperPayload(t, dbURL, 5)
	if v, err := c.Verify(ctx, 5); err != nil || v.Verified {
		t.Fatalf("Verify(5) of a tampered record = %+v, %v; want a failed check", v, err)
	}

	s1 := scrapeMetrics(t, maddr)
	loaded := float64(signers * perSigner)
	metricsDelta(t, s0, s1, []metricMove{
		{"signet_appends_total", []string{"kind=signer.registered", "outcome=appended"}, signers + 1},
		{"signet_appends_total", []string{"kind=entry", "outcome=appended"}, loaded + float64(batchOK) + 1},
		{"signet_appends_total", []string{"kind=entry", "outcome=existing"}, 1},
		{"signet_appends_total", []string{"kind=entry", "outcome=rateLimited"}, float64(limited)},
		{"signet_appends_total", []string{"kind=entry", "outcome=unknownKey"}, 1},
		{"signet_appends_total", []string{"kind=entry", "outcome=badNonce"}, 1},
		{"signet_problems_total", []string{"type=rateLimited"}, float64(limited)},
		{"signet_nonce_refusals_total", nil, 1},
		{"signet_rate_limit_refusals_total", []string{"limit=kid"}, float64(limited)},
		{"signet_rate_limit_refusals_total", []string{"limit=addr"}, 0},
		{"signet_http_request_duration_seconds", []string{"method=POST", "route=/v1/entries", "status=201"}, loaded + 1},
		{"signet_http_request_duration_seconds", []string{"method=POST", "route=/v1/entries", "status=200"}, 1},
		{"signet_http_request_duration_seconds", []string{"method=POST", "route=/v1/entries", "status=400"}, 2},
		{"signet_http_request_duration_seconds", []string{"method=POST", "route=/v1/entries:batch", "status=200"}, 1},
		{"signet_http_request_duration_seconds", []string{"method=GET", "route=/v1/entries/:index", "status=200"}, 1},
		{"signet_http_request_duration_seconds", []string{"method=GET", "route=/v1/entries/:index/verify", "status=200"}, 2},
		{"signet_http_request_duration_seconds", []string{"method=other", "route=unmatched", "status=404"}, 1},
		{"signet_verifications_total", []string{"result=verified"}, 1},
		{"signet_verifications_total", []string{"result=failed"}, 1},
		{"signet_verification_failures_total", []string{"check=record_hash"}, 1},
		{"signet_sequencer_commit_failures_total", nil, 0},
		{"signet_store_errors_total", nil, 0},
	})
	for _, route := range s1.labelValues("signet_http_request_duration_seconds", "route") {
		if strings.Contains(route, "12345") || strings.Contains(route, "nothing") || strings.HasSuffix(route, "/3") {
			t.Errorf("route label %q holds a raw path", route)
		}
	}
	// Every request that reached the sequencer was decided in one of its
	// batches: the appends and the resubmission.
	decided := signers + 1 + loaded + float64(batchOK) + 2
	if got := s1.histogramSum("signet_sequencer_batch_size") - s0.histogramSum("signet_sequencer_batch_size"); got != decided {
		t.Errorf("signet_sequencer_batch_size sum moved by %v, want %v", got, decided)
	}
	commits := s1.value("signet_sequencer_commit_duration_seconds") - s0.value("signet_sequencer_commit_duration_seconds")
	if batches := s1.value("signet_sequencer_batch_size") - s0.value("signet_sequencer_batch_size"); commits != batches || commits < 1 || commits > decided {
		t.Errorf("%v commit durations, %v batch sizes, for %v requests", commits, batches, decided)
	}
	size := float64(headSize(t, c))
	if got := s1.value("signet_tree_size"); got != size || size != decided-1 {
		t.Errorf("signet_tree_size = %v, the checkpoint's size %v, appended %v", got, size, decided-1)
	}
	if age := s1.value("signet_checkpoint_age_seconds"); age < 0 || age > 60 {
		t.Errorf("signet_checkpoint_age_seconds = %v, want the seconds since the last append", age)
	}
	if ts := s1.value("signet_checkpoint_timestamp_seconds"); time.Since(time.Unix(int64(ts), 0)).Abs() > time.Minute {
		t.Errorf("signet_checkpoint_timestamp_seconds = %v, not about now", ts)
	}
	if !strings.HasPrefix(dbURL, "sqlite:") && (s1.value("signet_store_connections_opened_total") < 1 || s1.value("signet_store_connections_max") != 16) {
		t.Errorf("store pool: opened %v, max %v; want at least 1 and 16",
			s1.value("signet_store_connections_opened_total"), s1.value("signet_store_connections_max"))
	}
	readmeListsMetrics(t, s1)
	if q := s1.value("signet_sequencer_queue_depth"); q != 0 {
		t.Errorf("signet_sequencer_queue_depth = %v with no appends in flight, want 0", q)
	}
}

// readmeListsMetrics checks that README.md lists every signet_ metric of
// s, so that the list cannot fall behind the code.
func readmeListsMetrics(t *testing.T, s metricsScrape) {
	t.Helper()
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for name := range s {
		if strings.HasPrefix(name, "signet_") && !strings.Contains(string(readme), "`"+name+"`") {
			t.Errorf("README.md does not list the metric %s", name)
		}
	}
}

// tamperPayload changes the stored payload of record i behind the log's
// back.
func tamperPayload(t *testing.T, dbURL string, i int64) {
	t.Helper()
	payload := base64.RawURLEncoding.EncodeToString([]byte(`{"journal_id":"JE-rewritten"}`))
	if file, ok := strings.CutPrefix(dbURL, "sqlite:"); ok {
		db, err := sql.Open("sqlite", file)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		res, err := db.Exec(`UPDATE records SET payload = ? WHERE idx = ?`, payload, i)
		if n, _ := res.RowsAffected(); err != nil || n != 1 {
			t.Fatalf("tampering with record %d: %v, %v", i, n, err)
		}
		return
	}
	pool, err := pgxpool.New(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	tag, err := pool.Exec(context.Background(), `UPDATE records SET payload = $1 WHERE idx = $2`, payload, i)
	if err != nil || tag.RowsAffected() != 1 {
		t.Fatalf("tampering with record %d: %v, %v", i, tag, err)
	}
}

// TestMetricsAddrErrors: a --metrics-addr that is not host:port, or that
// cannot be listened on, stops signetd at start-up naming the flag, from
// the flag or its variable; --help documents it.
func TestMetricsAddrErrors(t *testing.T) {
	bin := buildSignetd(t)
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	env := []string{"SIGNET_DATA_DIR=" + t.TempDir(), "DATABASE_URL=sqlite:" + filepath.Join(t.TempDir(), "log.db")}
	for name, c := range map[string]struct {
		env  []string
		args []string
	}{
		"NoPort":       {args: []string{"--metrics-addr", "127.0.0.1"}},
		"EnvNoPort":    {env: []string{"SIGNET_METRICS_ADDR=localhost"}},
		"EmptyPort":    {args: []string{"--metrics-addr", "127.0.0.1:"}},
		"AddressInUse": {args: []string{"--metrics-addr", busy.Addr().String()}},
	} {
		t.Run(name, func(t *testing.T) {
			out := mustFail(t, bin, append(env, c.env...), c.args...)
			if !strings.Contains(out, "--metrics-addr") {
				t.Errorf("signetd's error does not name --metrics-addr:\n%s", out)
			}
		})
	}
	out, _ := runCmd(bin, nil, "--help")
	if !strings.Contains(out, "-metrics-addr") || !strings.Contains(out, "SIGNET_METRICS_ADDR") {
		t.Errorf("signetd --help does not document --metrics-addr:\n%s", out)
	}
}

// TestWitnessMetrics runs signetd with three witnesses: a litewitness that
// knows the log and cosigns, one that knows another log and refuses it,
// and an address where none listens. The metrics show each one's state.
func TestWitnessMetrics(t *testing.T) {
	bin := buildSignetd(t)
	var b [4]byte
	rand.Read(b[:])
	origin := fmt.Sprintf("signet.test/metrics-%x", b)
	skey, vkey, err := note.GenerateKey(rand.Reader, origin)
	if err != nil {
		t.Fatal(err)
	}
	_, otherVKey, err := note.GenerateKey(rand.Reader, "signet.test/another-log")
	if err != nil {
		t.Fatal(err)
	}
	lite, stranger := startLitewitness(t, origin, vkey), startLitewitness(t, "signet.test/another-log", otherVKey)
	lite.start()
	stranger.start()
	_, downVKey, _ := note.GenerateKey(rand.Reader, "witness.test/down")
	dir := t.TempDir()
	keyFile, policy := filepath.Join(dir, "log.key"), filepath.Join(dir, "policy.txt")
	os.WriteFile(keyFile, []byte(skey+"\n"), 0o600)
	os.WriteFile(policy, fmt.Appendf(nil, "log %s\nwitness lite %s %s\nwitness stranger %s %s\nwitness down %s http://%s\ngroup one 1 lite stranger down\nquorum one\n",
		vkey, lite.vkey, lite.url, stranger.vkey, stranger.url, downVKey, freeAddr(t)), 0o600)
	maddr := freeAddr(t)
	p := start(t, bin, []string{"DATABASE_URL=" + signettest.Schema(t), "SIGNET_DATA_DIR=" + t.TempDir(), "SIGNET_ADMIN_TOKEN=admin",
		"SIGNET_LOG_KEY_FILE=" + keyFile, "SIGNET_WITNESS_POLICY=" + policy, "SIGNET_METRICS_ADDR=" + maddr})
	tokens[p.addr] = "admin"
	c := client.New(p.addr, client.WithAdminToken("admin"))
	submitN(t, c, "alice", 2, "witnessed")
	size := float64(headSize(t, c))

	var s metricsScrape
	eventually(t, "the witnesses' metrics", 30*time.Second, func() (bool, string) {
		s = scrapeMetrics(t, maddr)
		ok := s.value("signet_witness_cosigned_size", "witness=lite") == size &&
			s.value("signet_witness_refusals_total", "witness=stranger") >= 1 &&
			s.value("signet_witness_errors_total", "witness=down") >= 1
		return ok, fmt.Sprintf("cosigned %v of %v, stranger refused %v, down failed %v", s.value("signet_witness_cosigned_size", "witness=lite"), size,
			s.value("signet_witness_refusals_total", "witness=stranger"), s.value("signet_witness_errors_total", "witness=down"))
	})
	// litewitness answers a checkpoint of a log it does not know 403 (its
	// key is not trusted for the origin); the spec allows 404 too.
	if got := s.value("signet_witness_refusals_total", "witness=stranger", "status=403") + s.value("signet_witness_refusals_total", "witness=stranger", "status=404"); got < 1 {
		for _, m := range s.series("signet_witness_refusals_total", "witness=stranger") {
			t.Logf("stranger refusals %v: %v", m.Label, m.Counter.GetValue())
		}
		t.Errorf("stranger's refusals are not under 403 or 404 (it does not know the log)")
	}
	if ts := s.value("signet_witness_last_success_timestamp_seconds", "witness=lite"); time.Since(time.Unix(int64(ts), 0)).Abs() > time.Minute {
		t.Errorf("lite's last success at %v, not about now", ts)
	}
	for _, w := range []string{"stranger", "down"} {
		if s.value("signet_witness_last_success_timestamp_seconds", "witness="+w) != 0 || s.value("signet_witness_since_success_seconds", "witness="+w) <= 0 ||
			s.value("signet_witness_consecutive_failures", "witness="+w) < 1 {
			t.Errorf("witness %s: last success %v, since %v, failures %v; want 0, more than 0, at least 1", w,
				s.value("signet_witness_last_success_timestamp_seconds", "witness="+w), s.value("signet_witness_since_success_seconds", "witness="+w),
				s.value("signet_witness_consecutive_failures", "witness="+w))
		}
	}
	if s.value("signet_witness_refusals_total", "witness=lite") != 0 || s.value("signet_witness_alarm") != 0 || s.value("signet_witness_consecutive_failures", "witness=lite") != 0 {
		t.Errorf("lite refused %v, alarms %v, lite failures %v; want none", s.value("signet_witness_refusals_total", "witness=lite"),
			s.value("signet_witness_alarm"), s.value("signet_witness_consecutive_failures", "witness=lite"))
	}
	readmeListsMetrics(t, s)
	if n := len(s.series("signet_witness_alarm")); n != 3 {
		t.Errorf("%d signet_witness_alarm series, want one per witness", n)
	}
}
