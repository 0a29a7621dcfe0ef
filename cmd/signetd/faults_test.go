package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/signet-ledger/signet/client"
	"github.com/signet-ledger/signet/internal/signettest"
	"github.com/signet-ledger/signet/keys"
)

// Fault tests: a real signetd under a load of concurrent signed appends,
// then a fault (SIGKILL, PostgreSQL stopped, several servers at once,
// SIGTERM), then checkLog's audit of everything the clients were handed.

const (
	faultOrigin  = "signet.test/faults"
	faultToken   = "faults-admin-token"
	faultWorkers = 16
)

// faultEnv is the environment of a signetd on dbURL whose secrets live in
// dir: servers given the same dir share the log key.
func faultEnv(dbURL, dir string) []string {
	return []string{"DATABASE_URL=" + dbURL, "SIGNET_DATA_DIR=" + dir, "SIGNET_ADMIN_TOKEN=" + faultToken,
		"SIGNET_ORIGIN=" + faultOrigin, "SIGNET_LOG_FORMAT=json"}
}

func adminClient(p *proc) *client.Client {
	return client.New(p.addr, client.WithAdminToken(faultToken))
}

// newFaultLoad registers four signers through c and returns a load, not
// started, on clients signing with their keys; the registrations'
// checkpoints count as handed out.
func newFaultLoad(t *testing.T, c *client.Client, clients ...*client.Client) *load {
	var signers []keys.PrivateKey
	var notes []string
	for i := range 4 {
		k := mustKey(t)
		ev, err := c.Register(context.Background(), fmt.Sprintf("signer-%d", i), k, nil)
		if err != nil {
			t.Fatalf("Register(signer-%d) = %v", i, err)
		}
		signers, notes = append(signers, k), append(notes, ev.Checkpoint)
	}
	ld := newLoad(t, signers, clients...)
	ld.handedOut(notes...)
	return ld
}

// check audits the log through c with what ld holds; call it after wait.
func (l *load) check(t *testing.T, c *client.Client, dbURL string) {
	t.Helper()
	acked, notes := l.acknowledged()
	size := checkLog(t, c, dbURL, faultOrigin, l.keys[0], held{acked, notes})
	t.Logf("outcomes %v (first without an answer: %s); %d acknowledged entries and %d checkpoints checked against a log of %d records",
		l.totals(), l.sample[outNoAnswer], len(acked), len(notes), size)
}

// TestKill9UnderLoad kills signetd with SIGKILL while it appends, restarts
// it on the same database and data dir, and audits the log.
func TestKill9UnderLoad(t *testing.T) {
	bin := buildSignetd(t)
	dbURL := signettest.Schema(t)
	env := faultEnv(dbURL, t.TempDir())
	p := start(t, bin, env)
	ld := newFaultLoad(t, adminClient(p), adminClient(p))
	ld.start(faultWorkers)
	if !ld.waitFor("201", 50, 10*time.Second) {
		t.Fatalf("no load before the kill: %v", ld.totals())
	}
	time.Sleep(500 * time.Millisecond)
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		t.Fatal("signetd still running 10 s after SIGKILL")
	}
	time.Sleep(time.Second) // the load goes on against a dead server
	ld.wait()
	ld.only("load through SIGKILL", ld.totals(), "201", outNoAnswer)
	ld.check(t, adminClient(start(t, bin, env)), dbURL)
}

// TestPostgresRestartUnderLoad stops PostgreSQL under a running signetd,
// with pg_ctl's fast and then immediate shutdown: meanwhile appends and
// /readyz answer 503 with Retry-After, never 500, and after PostgreSQL
// starts again signetd recovers by itself and has lost nothing.
func TestPostgresRestartUnderLoad(t *testing.T) {
	bin := buildSignetd(t)
	pg := newCluster(t)
	env := faultEnv(pg.URL, t.TempDir())
	p := start(t, bin, env)
	c := adminClient(p)
	ld := newFaultLoad(t, c, c)
	ld.start(faultWorkers)
	for _, mode := range []string{"fast", "immediate"} {
		outage(t, ld, pg, c, mode)
	}
	ld.wait()
	ld.only("load through PostgreSQL restarts", ld.totals(), "201", "503")
	ld.check(t, c, pg.URL)
	// A commit whose answer PostgreSQL could not send is in the log
	// though its request got a 503: an indeterminate outcome the client
	// resolves by resending the same JWS (answered 200 with the record).
	t.Logf("%d of the %d appends answered 503 were committed nevertheless",
		countPayloads(t, pg.URL, ld.unacked["503"]), len(ld.unacked["503"]))
}

// outage stops PostgreSQL with mode under ld for two seconds, checks the
// answers meanwhile, starts it again and waits for appends to succeed.
func outage(t *testing.T, ld *load, pg *cluster, c *client.Client, mode string) {
	t.Helper()
	if !ld.waitFor("201", 20, 15*time.Second) {
		t.Fatalf("before the %s stop: too few 201s: %v", mode, ld.swap())
	}
	pg.stop(t, mode)
	ld.swap() // answers racing the stop: counted only in the totals
	expectReady(t, c, mode+" stop", http.StatusServiceUnavailable)
	time.Sleep(2 * time.Second)
	expectReady(t, c, mode+" stop", http.StatusServiceUnavailable)
	down := ld.swap()
	if down["503"] == 0 {
		t.Errorf("while PostgreSQL was down (%s): no 503s: %v", mode, down)
	}
	ld.only("while PostgreSQL was down ("+mode+")", down, "503")
	restarted := time.Now()
	pg.start(t)
	if !ld.waitFor("201", 1, 15*time.Second) {
		t.Fatalf("after PostgreSQL restarted (%s): no 201 within 15 s: %v", mode, ld.swap())
	}
	recovered := time.Since(restarted)
	expectReady(t, c, mode+" restart", http.StatusOK)
	t.Logf("PostgreSQL %s stop: %v while down; appends recovered %v after it started", mode, down, recovered)
}

// expectReady polls /readyz for up to 15 s until it answers want (with a
// Retry-After header if 503).
func expectReady(t *testing.T, c *client.Client, what string, want int) {
	t.Helper()
	var got string
	for end := time.Now().Add(15 * time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		r, err := c.Do(context.Background(), http.MethodGet, "/readyz", "", nil, nil)
		if err != nil {
			got = err.Error()
			continue
		}
		if r.Status == want && (want != 503 || r.Header.Get("Retry-After") != "") {
			return
		}
		got = fmt.Sprintf("%d, Retry-After %q", r.Status, r.Header.Get("Retry-After"))
	}
	t.Errorf("after the %s: GET /readyz = %s, want %d", what, got, want)
}

// TestSeveralServersOneDatabase runs two, then three signetd processes on
// one schema and one log key, each taking appends at once: the log must be
// one gap-free chain, and every checkpoint any of them handed out must be
// consistent with the final one (hence with each other).
func TestSeveralServersOneDatabase(t *testing.T) {
	bin := buildSignetd(t)
	dbURL := signettest.Schema(t)
	env := faultEnv(dbURL, t.TempDir())
	procs := []*proc{start(t, bin, env), start(t, bin, env)}
	ld := newFaultLoad(t, adminClient(procs[0]), adminClient(procs[0]), adminClient(procs[1]))
	ld.start(faultWorkers)
	if !ld.waitFor("201", 200, 20*time.Second) {
		t.Fatalf("two servers: too few 201s: %v", ld.swap())
	}
	two := ld.swap()
	procs = append(procs, start(t, bin, env))
	ld.addClient(adminClient(procs[2]))
	if !ld.waitFor("201", 300, 20*time.Second) {
		t.Fatalf("three servers: too few 201s: %v", ld.swap())
	}
	ld.wait()
	t.Logf("two servers: %v; three servers: %v", two, ld.swap())
	ld.only("load on several servers", ld.totals(), "201")
	for _, p := range procs {
		cp, err := adminClient(p).Checkpoint(context.Background())
		if err != nil {
			t.Fatalf("%s: Checkpoint() = %v", p.addr, err)
		}
		ld.handedOut(string(cp))
	}
	ld.check(t, adminClient(procs[2]), dbURL)
}

// TestSIGTERMFinishesInFlight sends SIGTERM under load while one append's
// body is still arriving: new connections are refused at once, that append
// and every other one accepted are answered (201 or no answer, never a
// 5xx), and signetd exits 0 within its grace period.
func TestSIGTERMFinishesInFlight(t *testing.T) {
	const grace = 10 * time.Second
	bin := buildSignetd(t)
	dbURL := signettest.Schema(t)
	env := faultEnv(dbURL, t.TempDir())
	p := start(t, bin, env, "--shutdown-grace", grace.String())
	c := adminClient(p)
	ld := newFaultLoad(t, c, c)
	slow := startSlowAppend(t, c, p.addr, ld.keys[0])
	ld.start(faultWorkers)
	if !ld.waitFor("201", 50, 10*time.Second) {
		t.Fatalf("no load before SIGTERM: %v", ld.totals())
	}
	term := time.Now()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waitRefused(t, p.addr)
	if err := p.cmd.Process.Signal(syscall.Signal(0)); err != nil {
		t.Fatalf("signetd exited with an append still in flight: %v", err)
	}
	if out := ld.record(slow.finish()); out != "201" {
		t.Errorf("the append in flight at SIGTERM got %q, want 201", out)
	}
	select {
	case err := <-p.done:
		if err != nil {
			t.Errorf("signetd after SIGTERM: %v, want exit status 0", err)
		}
		if d := time.Since(term); d > grace {
			t.Errorf("signetd exited %v after SIGTERM, beyond its %v grace", d, grace)
		} else {
			t.Logf("signetd exited %v after SIGTERM", d)
		}
	case <-time.After(grace + 5*time.Second):
		t.Fatalf("signetd still running %v after SIGTERM", grace+5*time.Second)
	}
	ld.wait()
	ld.only("load through SIGTERM", ld.totals(), "201", outNoAnswer)
	ld.check(t, adminClient(start(t, bin, env)), dbURL)
	// A request that got no answer must not have been appended: that
	// would be a request accepted and then dropped by the shutdown.
	lost := ld.unacked[outNoAnswer]
	if n := countPayloads(t, dbURL, lost); n > 0 {
		t.Errorf("%d of the %d appends that got no answer (first: %s) are in the log: accepted but not answered",
			n, len(lost), ld.sample[outNoAnswer])
	}
}

// waitRefused waits until a new connection to addr is refused.
func waitRefused(t *testing.T, addr string) {
	t.Helper()
	host := strings.TrimPrefix(addr, "http://")
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(5 * time.Millisecond) {
		conn, err := net.DialTimeout("tcp", host, time.Second)
		if errors.Is(err, syscall.ECONNREFUSED) {
			return
		}
		if err == nil {
			conn.Close()
		}
	}
	t.Fatalf("signetd still accepts connections 5 s after SIGTERM")
}

// slowAppend is an append whose request is on the wire but whose body is
// not all sent yet: the server is busy with it.
type slowAppend struct {
	conn net.Conn
	rest []byte
}

// startSlowAppend sends the headers and half the body of a signed append.
func startSlowAppend(t *testing.T, c *client.Client, addr string, key keys.PrivateKey) *slowAppend {
	j, err := c.SignEntry(context.Background(), key, []byte(`{"slow":true}`))
	if err != nil {
		t.Fatal(err)
	}
	body := j.Flattened()
	host := strings.TrimPrefix(addr, "http://")
	conn, err := net.Dial("tcp", host)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	head := fmt.Sprintf("POST /v1/entries HTTP/1.1\r\nHost: %s\r\nContent-Type: application/jose+json\r\nContent-Length: %d\r\n\r\n",
		host, len(body))
	if _, err := conn.Write(append([]byte(head), body[:len(body)/2]...)); err != nil {
		t.Fatal(err)
	}
	return &slowAppend{conn: conn, rest: body[len(body)/2:]}
}

// finish sends the rest of the body and reads the answer.
func (s *slowAppend) finish() (*client.Appended, error) {
	if _, err := s.conn.Write(s.rest); err != nil {
		return nil, err
	}
	resp, err := http.ReadResponse(bufio.NewReader(s.conn), nil)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		return nil, &client.Problem{Status: resp.StatusCode, Type: "urn:signet:error:http", RetryAfter: resp.Header.Get("Retry-After")}
	}
	var a client.Appended
	if err := json.NewDecoder(resp.Body).Decode(&a); err != nil {
		return nil, err
	}
	return &a, nil
}
