package main

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/signet-ledger/signet"
	"github.com/signet-ledger/signet/client"
	"github.com/signet-ledger/signet/internal/signettest"
	"github.com/signet-ledger/signet/ledger"
	"golang.org/x/mod/sumdb/note"
)

// The tests in this file run signetd against witnesses no one here wrote:
// transparency-dev's omniwitness and torchwood's litewitness, on loopback,
// installed by scripts/tools.sh.

// extWitness is one external witness process.
type extWitness struct {
	name, vkey, url string
	start           func() // (re)starts it on the same address and state
	stop            func()
}

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// runTool starts a long-running external tool, stopped when the test ends;
// its output goes to the test log if the test fails.
func runTool(t *testing.T, name string, cmd *exec.Cmd) func() {
	out := &strings.Builder{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", name, err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			cmd.Process.Kill()
			<-done
		}
	}
	t.Cleanup(func() {
		stop()
		if t.Failed() {
			t.Logf("%s output:\n%s", name, out.String())
		}
	})
	return stop
}

// waitListening waits until addr accepts connections.
func waitListening(t *testing.T, what, addr string) {
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s is not listening on %s", what, addr)
}

// startOmniwitness configures an omniwitness for the log (origin, vkey).
func startOmniwitness(t *testing.T, origin, logVKey string) *extWitness {
	bin := signettest.Tool(t, "SIGNET_OMNIWITNESS")
	dir := t.TempDir()
	skey, vkey, err := note.GenerateKey(rand.Reader, "witness.test/omni")
	if err != nil {
		t.Fatal(err)
	}
	keyFile, logsFile := filepath.Join(dir, "witness.key"), filepath.Join(dir, "logs.yaml")
	os.WriteFile(keyFile, []byte(skey), 0o600)
	os.WriteFile(logsFile, fmt.Appendf(nil, "Logs:\n  - Origin: %s\n    URL: http://%s\n    PublicKey: %s\n    Feeder: none\n",
		origin, "127.0.0.1:1", logVKey), 0o600)
	addr := freeAddr(t)
	w := &extWitness{name: "omni", vkey: vkey, url: "http://" + addr}
	w.start = func() {
		w.stop = runTool(t, "omniwitness", exec.Command(bin, "--listen", addr, "--metrics_listen", freeAddr(t),
			"--db_file", filepath.Join(dir, "witness.db"), "--private_key_path", keyFile, "--additional_logs", logsFile, "--logtostderr"))
		waitListening(t, "omniwitness", addr)
	}
	return w
}

// startLitewitness configures a litewitness for the log, its key in an
// ssh-agent of its own.
func startLitewitness(t *testing.T, origin, logVKey string) *extWitness {
	bin := signettest.Tool(t, "SIGNET_LITEWITNESS")
	ctl := signettest.Tool(t, "SIGNET_WITNESSCTL")
	dir, err := os.MkdirTemp("", "lw") // short: a socket path has a length limit
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	key, sock, db := filepath.Join(dir, "key"), filepath.Join(dir, "agent.sock"), filepath.Join(dir, "witness.db")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "", "-f", key).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v\n%s", err, out)
	}
	runTool(t, "ssh-agent", exec.Command("ssh-agent", "-D", "-a", sock))
	deadline := time.Now().Add(10 * time.Second)
	for {
		add := exec.Command("ssh-add", key)
		add.Env = append(os.Environ(), "SSH_AUTH_SOCK="+sock)
		out, err := add.CombinedOutput()
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("ssh-add: %v\n%s", err, out)
		}
		time.Sleep(50 * time.Millisecond)
	}
	pub, _ := os.ReadFile(key + ".pub")
	f := strings.Fields(string(pub))
	blob, err := base64.StdEncoding.DecodeString(f[1])
	if err != nil || len(blob) < 32 {
		t.Fatalf("reading %s: %v", key+".pub", err)
	}
	sum := sha256.Sum256(blob)
	fingerprint := "SHA256:" + base64.RawStdEncoding.EncodeToString(sum[:])
	const name = "witness.test/lite"
	vkey, err := note.NewEd25519VerifierKey(name, blob[len(blob)-32:])
	if err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"add-log", "-db", db, "-origin", origin}, {"add-key", "-db", db, "-origin", origin, "-key", logVKey}} {
		if out, err := exec.Command(ctl, args...).CombinedOutput(); err != nil {
			t.Fatalf("witnessctl %v: %v\n%s", args, err, out)
		}
	}
	addr := freeAddr(t)
	w := &extWitness{name: "lite", vkey: vkey, url: "http://" + addr}
	w.start = func() {
		w.stop = runTool(t, "litewitness", exec.Command(bin, "-name", name, "-db", db, "-ssh-agent", sock, "-key", fingerprint, "-listen", addr))
		waitListening(t, "litewitness", addr)
	}
	return w
}

// interopLog is a log key, its witnesses and their policy.
type interopLog struct {
	origin, skey, vkey string
	keyFile, policy    string
	omni, lite         *extWitness
	pol                *signet.Policy
}

func newInteropLog(t *testing.T) *interopLog {
	il := newLogKey(t)
	il.omni, il.lite = startOmniwitness(t, il.origin, il.vkey), startLitewitness(t, il.origin, il.vkey)
	il.setPolicy(t, fmt.Sprintf("# the log and its two witnesses, both needed\nlog %s\nwitness omni %s %s\nwitness lite %s %s\ngroup both all omni lite\nquorum both\n",
		il.vkey, il.omni.vkey, il.omni.url, il.lite.vkey, il.lite.url))
	return il
}

// newLogKey makes a log key, in a file, with no witness and no policy yet.
func newLogKey(t *testing.T) *interopLog {
	var b [4]byte
	rand.Read(b[:])
	origin := fmt.Sprintf("signet.test/interop-%x", b)
	skey, vkey, err := note.GenerateKey(rand.Reader, origin)
	if err != nil {
		t.Fatal(err)
	}
	il := &interopLog{origin: origin, skey: skey, vkey: vkey}
	il.keyFile = filepath.Join(t.TempDir(), "log.key")
	os.WriteFile(il.keyFile, []byte(skey+"\n"), 0o600)
	return il
}

// setPolicy makes pol the policy the log's servers are started with.
func (il *interopLog) setPolicy(t *testing.T, pol string) {
	t.Helper()
	var err error
	if il.pol, err = signet.ParsePolicy([]byte(pol)); err != nil {
		t.Fatal(err)
	}
	il.policy = filepath.Join(t.TempDir(), "policy.txt")
	os.WriteFile(il.policy, []byte(pol), 0o600)
}

// server starts signetd on dbURL with the log's key, and with its policy
// if witnessed.
func (il *interopLog) server(t *testing.T, bin, dbURL string, witnessed bool) (*proc, *client.Client) {
	t.Helper()
	policy := ""
	if witnessed {
		policy = il.policy
	}
	return il.serve(t, bin, dbURL, policy, "127.0.0.1:0")
}

// serve starts signetd on dbURL with the log's key and the policy file
// (none if empty), listening on addr, with env added to its environment.
func (il *interopLog) serve(t *testing.T, bin, dbURL, policy, addr string, env ...string) (*proc, *client.Client) {
	t.Helper()
	dir := t.TempDir()
	env = append([]string{"DATABASE_URL=" + dbURL, "SIGNET_DATA_DIR=" + dir, "SIGNET_ADMIN_TOKEN=admin-" + filepath.Base(dir),
		"SIGNET_LOG_KEY_FILE=" + il.keyFile, "SIGNET_WITNESS_POLICY=" + policy, "SIGNET_RATE_LIMIT_FAILURES=0"}, env...)
	p := start(t, bin, env, "--addr", addr)
	tokens[p.addr] = "admin-" + filepath.Base(dir)
	return p, client.New(p.addr, client.WithAdminToken(tokens[p.addr]))
}

// signetCLI builds the signet command, registers a key for a new signer
// with it, and runs it with args (an entry on standard input) against p.
func signetCLI(t *testing.T, p *proc, args ...string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "signet")
	if out, err := exec.Command("go", "build", "-o", bin, "../signet").CombinedOutput(); err != nil {
		t.Fatalf("go build signet: %v\n%s", err, out)
	}
	home := t.TempDir()
	key := filepath.Join(home, "key.jwk")
	env := append(os.Environ(), "HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, "config"),
		"SIGNET_SERVER="+p.addr, "SIGNET_ADMIN_TOKEN="+tokens[p.addr], "SIGNET_KEY="+key)
	run := func(stdin string, args ...string) string {
		cmd := exec.Command(bin, args...)
		cmd.Env, cmd.Stdin = env, strings.NewReader(stdin)
		var stdout, stderr strings.Builder
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("signet %v: %v\n%s%s", args, err, stdout.String(), stderr.String())
		}
		return stdout.String()
	}
	run("", "keygen", "-o", key)
	run("", "register", "--signer", "cli-witnessed")
	return run(`{"journal_id":"JE-witnessed"}`, args...)
}

// tokens are the admin tokens of the servers the tests start, by address.
var tokens = map[string]string{}

// readyWitnesses reads the witnesses' status from /readyz.
func readyWitnesses(t *testing.T, p *proc) map[string]ledger.WitnessStatus {
	resp, err := http.Get(p.addr + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Witnesses []ledger.WitnessStatus `json:"witnesses"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	out := map[string]ledger.WitnessStatus{}
	for _, w := range body.Witnesses {
		out[w.Name] = w
	}
	return out
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t *testing.T, what string, d time.Duration, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(d)
	last := ""
	for time.Now().Before(deadline) {
		var ok bool
		if ok, last = cond(); ok {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s: not within %v; last: %s", what, d, last)
}

// cosignedBy waits until the named witnesses have cosigned size.
func cosignedBy(t *testing.T, p *proc, size int64, names ...string) {
	t.Helper()
	eventually(t, fmt.Sprintf("witnesses %v cosign size %d", names, size), 30*time.Second, func() (bool, string) {
		ws := readyWitnesses(t, p)
		for _, n := range names {
			if ws[n].CosignedSize < size {
				return false, fmt.Sprintf("%+v", ws)
			}
		}
		return true, ""
	})
}

func getCheckpoint(t *testing.T, p *proc, c *client.Client, query string) (int, []byte) {
	t.Helper()
	hdr := http.Header{"Authorization": {"Bearer " + tokens[p.addr]}}
	r, err := c.Do(t.Context(), http.MethodGet, "/v1/checkpoint"+query, "", nil, hdr)
	if err != nil {
		t.Fatal(err)
	}
	return r.Status, r.Body
}

func headSize(t *testing.T, c *client.Client) int64 {
	t.Helper()
	msg, err := c.Checkpoint(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	cp, err := signet.ParseCheckpointUnverified(msg)
	if err != nil {
		t.Fatal(err)
	}
	return cp.Size
}

func submitN(t *testing.T, c *client.Client, signer string, n int, tag string) {
	t.Helper()
	ctx := t.Context()
	k := mustKey(t)
	if _, err := c.Register(ctx, signer, k, nil); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if _, err := c.Submit(ctx, k, fmt.Appendf(nil, `{"journal_id":"JE-%s-%d"}`, tag, i)); err != nil {
			t.Fatal(err)
		}
	}
}

// TestWitnessInterop runs signetd with a policy naming an omniwitness and a
// litewitness (2 of 2): a witness down at start catches up, both cosign,
// the checkpoint carries cosignatures that verify, ?witnessed=1 meets the
// quorum, a restarted witness catches up, and a second server on the same
// database is answered 409 and retries from the witness's size.
func TestWitnessInterop(t *testing.T) {
	bin := buildSignetd(t)
	il := newInteropLog(t)
	il.omni.start() // litewitness is down at first
	dbURL := signettest.Schema(t)
	p, c := il.server(t, bin, dbURL, true)
	submitN(t, c, "alice", 3, "a")
	n := headSize(t, c)
	cosignedBy(t, p, n, "omni")
	if st, body := getCheckpoint(t, p, c, "?witnessed=1"); st != 404 || !strings.Contains(string(body), "quorum") {
		t.Errorf("?witnessed=1 with one of two witnesses = %d %s; want 404 naming the quorum", st, body)
	}
	if ws := readyWitnesses(t, p); ws["lite"].Failures == 0 || ws["lite"].LastError == "" {
		t.Errorf("/readyz lite witness, down = %+v; want failures and the error", ws["lite"])
	}

	il.lite.start()
	cosignedBy(t, p, n, "omni", "lite") // the backed-off witness is retried without a new head
	st, msg := getCheckpoint(t, p, c, "")
	if got := il.pol.Cosigners(msg); st != 200 || !slices.Equal(got, []string{"omni", "lite"}) {
		t.Fatalf("/v1/checkpoint = %d, cosigned by %v; want both:\n%s", st, got, msg)
	}
	if _, err := il.pol.Open(msg, il.origin, il.vkey); err != nil {
		t.Errorf("Policy.Open(/v1/checkpoint) = %v", err)
	}
	st, msg = getCheckpoint(t, p, c, "?witnessed=1")
	if cp, err := il.pol.Open(msg, il.origin, il.vkey); st != 200 || err != nil || cp.Size != n {
		t.Errorf("?witnessed=1 = %d, %v (%v); want size %d meeting the quorum", st, cp, err, n)
	}
	for _, bad := range []string{"?witnessed=yes", "?witnessed=", "?witnessed=2"} {
		if st, body := getCheckpoint(t, p, c, bad); st != 400 {
			t.Errorf("GET /v1/checkpoint%s = %d %s; want 400", bad, st, body)
		}
	}
	proof, err := c.InclusionProof(t.Context(), 0, 0)
	if err != nil || !slices.Equal(il.pol.Cosigners([]byte(proof.Checkpoint)), []string{"omni", "lite"}) {
		t.Errorf("/v1/proof/inclusion checkpoint = %v, %q; want both cosignatures", err, proof.Checkpoint)
	}

	// omniwitness restarted mid-run, its state on disk: the push while it
	// is down fails and backs off; it catches up once it is back.
	il.omni.stop()
	submitN(t, c, "bob", 1, "b")
	n2 := headSize(t, c)
	eventually(t, "a failed push to the stopped omniwitness", 20*time.Second, func() (bool, string) {
		ws := readyWitnesses(t, p)
		return ws["omni"].Failures > 0, fmt.Sprintf("%+v", ws["omni"])
	})
	il.omni.start()
	cosignedBy(t, p, n2, "omni", "lite")

	// A second server on the same database pushes too; the first, which
	// does not see its heads, is then answered 409 and retries from the
	// witnesses' size.
	p2, c2 := il.server(t, bin, dbURL, true)
	submitN(t, c2, "carol", 1, "c")
	cosignedBy(t, p2, headSize(t, c2), "omni", "lite")
	submitN(t, c, "dave", 1, "d")
	n3 := headSize(t, c)
	cosignedBy(t, p, n3, "omni", "lite")
	if !strings.Contains(p.all.String(), "witness is at another tree size") {
		t.Errorf("the first server's logs show no 409 retry:\n%s", p.all.String())
	}
	st, msg = getCheckpoint(t, p2, c2, "?witnessed=1")
	if cp, err := il.pol.Open(msg, il.origin, il.vkey); st != 200 || err != nil || cp.Size != n3 {
		t.Errorf("second server: ?witnessed=1 = %d, %v (%v); want size %d", st, cp, err, n3)
	}
	// signet submit --witnessed waits for a checkpoint that covers the
	// entry and meets the 2-of-2 quorum, and prints it.
	out := signetCLI(t, p, "submit", "--witnessed", "--timeout", "30s", "--json")
	var sub struct {
		Index     int64  `json:"index"`
		Witnessed string `json:"witnessed_checkpoint"`
	}
	if err := json.Unmarshal([]byte(out), &sub); err != nil {
		t.Fatalf("signet submit --witnessed --json = %q: %v", out, err)
	}
	if cp, err := il.pol.Open([]byte(sub.Witnessed), il.origin, il.vkey); err != nil || cp.Size <= sub.Index {
		t.Errorf("signet submit --witnessed printed %v (%v) for record %d; want a checkpoint covering it that meets the quorum", cp, err, sub.Index)
	}
	for _, q := range []*proc{p, p2} {
		for name, w := range readyWitnesses(t, q) {
			if w.Alarm != "" {
				t.Errorf("honest log: witness %s alarm %q", name, w.Alarm)
			}
		}
	}
}

// TestWitnessForkAlarm rewrites the log under the same key: a second
// database with other records, served with the log's key, first of the
// same size as the log the witnesses cosigned, then larger. Both external
// witnesses and a real "signet witness" (following the honest log)
// refuse it (409, then 422 with a proof from their size); signet witness
// keeps both forged checkpoints as evidence. The rewritten log's server
// raises the alarm on each, serves no cosignature and no witnessed
// checkpoint; "signet checkpoint --policy" with a 2-of-3 policy refuses
// it (exit 3, no quorum) and accepts the honest log, which the witnesses
// go on cosigning.
func TestWitnessForkAlarm(t *testing.T) {
	w := startThreeWitnessed(t)
	bin, signetBin, il, ours, clientPolicy, p, c := w.bin, w.signetBin, w.il, w.ours, w.clientPolicy, w.p, w.c
	submitN(t, c, "alice", 3, "honest")
	n := headSize(t, c)
	cosignedBy(t, p, n, "omni", "lite", "ours")

	// The rewrite: same key, other records, the same size, built before
	// the forged server meets the witnesses.
	forged := "sqlite:" + filepath.Join(t.TempDir(), "forged.db")
	f, fc := il.server(t, bin, forged, false)
	submitN(t, fc, "mallory", 3, "forged")
	if got := headSize(t, fc); got != n {
		t.Fatalf("forged log size %d, want %d", got, n)
	}
	f.cmd.Process.Signal(syscall.SIGTERM)
	<-f.done
	f, fc = il.server(t, bin, forged, true)

	alarmed := func(size int64) {
		t.Helper()
		eventually(t, fmt.Sprintf("an alarm from every witness about size %d", size), 30*time.Second, func() (bool, string) {
			ws := readyWitnesses(t, f)
			for _, name := range []string{"omni", "lite", "ours"} {
				w := ws[name]
				if !strings.Contains(w.Alarm, "(422") || !strings.Contains(w.Alarm, fmt.Sprintf("size %d as inconsistent", size)) || w.CosignedSize != 0 {
					return false, fmt.Sprintf("%+v", ws)
				}
			}
			return true, ""
		})
	}
	alarmed(n) // equal size: the witness holds another root for it
	_, sameSize := getCheckpoint(t, f, fc, "")
	submitN(t, fc, "mallory2", 1, "forged-more")
	alarmed(headSize(t, fc)) // larger: the proof from the witness's size fails
	_, larger := getCheckpoint(t, f, fc, "")
	ours.keptEvidence(t, "root", sameSize)
	ours.keptEvidence(t, "proof", larger)
	if !strings.Contains(f.all.String(), `"level":"ERROR","msg":"witness alarm: possible fork of this log"`) {
		t.Errorf("the forged log's server logged no alarm at ERROR:\n%s", f.all.String())
	}
	if st, msg := getCheckpoint(t, f, fc, ""); st != 200 || len(il.pol.Cosigners(msg)) != 0 {
		t.Errorf("forged /v1/checkpoint = %d, cosigned by %v; want no cosignature", st, il.pol.Cosigners(msg))
	}
	if st, body := getCheckpoint(t, f, fc, "?witnessed=1"); st != 404 {
		t.Errorf("forged ?witnessed=1 = %d %s; want 404", st, body)
	}

	// A client holding the policy refuses the rewritten log for want of
	// cosignatures, and accepts the honest one.
	if out, code := clientCheckpoint(t, signetBin, f, clientPolicy); code != 3 || !strings.Contains(out, "missing omni, lite, ours") {
		t.Errorf("signet checkpoint --policy against the forged log = exit %d:\n%s\nwant exit 3, no quorum", code, out)
	}

	// The honest log is still witnessed, and never alarmed.
	submitN(t, c, "bob", 1, "honest-more")
	cosignedCheckpoint(t, p, c, il, headSize(t, c), "omni", "lite", "ours")
	if out, code := clientCheckpoint(t, signetBin, p, clientPolicy); code != 0 || !strings.Contains(out, "quorum two-of-three met") {
		t.Errorf("signet checkpoint --policy against the honest log = exit %d:\n%s", code, out)
	}
	for name, w := range readyWitnesses(t, p) {
		if w.Alarm != "" {
			t.Errorf("honest log: witness %s alarm %q", name, w.Alarm)
		}
	}
}
