package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
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
	"github.com/signet-ledger/signet/keys"
	"github.com/signet-ledger/signet/ledger"
	"github.com/signet-ledger/signet/postgres"
	"golang.org/x/mod/sumdb/note"
)

// The tests in this file add Signet's own witness to the external ones:
// the real signet binary running "signet witness serve" with its own key
// and state dir, fetching the log's records with a reader token.

// ourWitness is a "signet witness" process following one log.
type ourWitness struct {
	extWitness
	bin      string // the signet binary
	keyFile  string
	stateDir string
	origin   string
}

// buildSignet builds the signet command.
func buildSignet(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "signet")
	if out, err := exec.Command("go", "build", "-o", bin, "../signet").CombinedOutput(); err != nil {
		t.Fatalf("go build signet: %v\n%s", err, out)
	}
	return bin
}

// signetRun runs the signet binary with env added to a clean home of its
// own, and returns its output and exit code.
func signetRun(t *testing.T, bin string, env []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	home := t.TempDir()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), append([]string{"HOME=" + home, "XDG_CONFIG_HOME=" + filepath.Join(home, "config"),
		"SIGNET_POLICY=", "SIGNET_TOKEN=", "SIGNET_ADMIN_TOKEN="}, env...)...)
	var o, e strings.Builder
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	if ee, ok := errors.AsType[*exec.ExitError](err); ok {
		return o.String(), e.String(), ee.ExitCode()
	}
	if err != nil {
		t.Fatalf("signet %v: %v", args, err)
	}
	return o.String(), e.String(), 0
}

// signetOK runs signet and fails the test unless it exits 0.
func signetOK(t *testing.T, bin string, env []string, args ...string) string {
	t.Helper()
	out, errOut, code := signetRun(t, bin, env, args...)
	if code != 0 {
		t.Fatalf("signet %v exited %d:\n%s%s", args, code, out, errOut)
	}
	return out
}

// readerToken writes a new reader token to a file (mode 0600) and returns
// both.
func readerToken(t *testing.T) (token, file string) {
	var b [12]byte
	rand.Read(b[:])
	token = "reader-" + hex.EncodeToString(b[:])
	file = filepath.Join(t.TempDir(), "reader.token")
	if err := os.WriteFile(file, []byte(token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return token, file
}

// newOurWitness makes a key and a state dir for a "signet witness" that
// follows il's log at logURL, reading it with the token in tokenFile.
// start runs it (again on the same state); stop kills it with SIGKILL.
func newOurWitness(t *testing.T, bin string, il *interopLog, logURL, tokenFile string) *ourWitness {
	dir := t.TempDir()
	w := &ourWitness{bin: bin, keyFile: filepath.Join(dir, "witness.key"), stateDir: filepath.Join(dir, "state"), origin: il.origin}
	w.name = "ours"
	w.vkey = strings.TrimSpace(signetOK(t, bin, nil, "witness", "keygen", "--name", "witness.test/ours", "-o", w.keyFile))
	logs := filepath.Join(dir, "logs.txt")
	os.WriteFile(logs, fmt.Appendf(nil, "# the logs this witness follows\nlog %s %s %s\n", il.vkey, logURL, tokenFile), 0o600)
	addr := freeAddr(t)
	w.url = "http://" + addr
	w.start = func() {
		w.stop = runTool(t, "signet witness", exec.Command(bin, "witness", "serve", "--listen", addr, "--key", w.keyFile,
			"--state", w.stateDir, "--logs", logs, "--poll", "250ms", "--catch-up-timeout", "3s"))
		waitListening(t, "signet witness", addr)
	}
	return w
}

// logDir is the folder of the log's copy and evidence in the state dir.
func (w *ourWitness) logDir() string {
	dirs, _ := filepath.Glob(filepath.Join(w.stateDir, "logs", "*"))
	if len(dirs) != 1 {
		return filepath.Join(w.stateDir, "logs", "missing")
	}
	return dirs[0]
}

// monitored fetches the witness's GET /<hex SHA-256 of origin>/checkpoint.
func (w *ourWitness) monitored(t *testing.T) (int, string) {
	sum := sha256.Sum256([]byte(w.origin))
	resp, err := http.Get(w.url + "/" + hex.EncodeToString(sum[:]) + "/checkpoint")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// keptEvidence checks that the witness kept, in an evidence folder of
// kind, the checkpoint presented to it: the text (origin, size, root) of
// the note cp, and the reason.
func (w *ourWitness) keptEvidence(t *testing.T, kind string, cp []byte) {
	t.Helper()
	text, _, _ := strings.Cut(string(cp), "\n\n")
	dirs, _ := filepath.Glob(filepath.Join(w.logDir(), "evidence", kind+"-*"))
	for _, d := range dirs {
		b, _ := os.ReadFile(filepath.Join(d, "presented.checkpoint"))
		reason, _ := os.ReadFile(filepath.Join(d, "reason.txt"))
		if strings.HasPrefix(string(b), text+"\n\n") && strings.HasPrefix(string(reason), kind+"\n") {
			return
		}
	}
	t.Errorf("signet witness kept no %s evidence holding the checkpoint\n%s\n(found %v)", kind, text, dirs)
}

// threePolicy is a policy naming omniwitness, litewitness and ours, with
// the quorum quorum (a group line given as "group NAME ...").
func threePolicy(il *interopLog, ours *ourWitness, group string) string {
	return fmt.Sprintf("log %s\nwitness omni %s %s\nwitness lite %s %s\nwitness ours %s %s\n%s\nquorum %s\n",
		il.vkey, il.omni.vkey, il.omni.url, il.lite.vkey, il.lite.url, ours.vkey, ours.url, group, strings.Fields(group)[1])
}

// writePolicy writes a policy file for clients.
func writePolicy(t *testing.T, pol string) string {
	f := filepath.Join(t.TempDir(), "client.policy")
	if err := os.WriteFile(f, []byte(pol), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

// cosignedCheckpoint waits until p's /v1/checkpoint is of size and
// carries exactly the cosignatures of names, as il's policy verifies them.
func cosignedCheckpoint(t *testing.T, p *proc, c *client.Client, il *interopLog, size int64, names ...string) {
	t.Helper()
	want := slices.Sorted(slices.Values(names))
	eventually(t, fmt.Sprintf("/v1/checkpoint of size %d cosigned by %v", size, want), 30*time.Second, func() (bool, string) {
		st, msg := getCheckpoint(t, p, c, "")
		cp, err := ledger.ParseCheckpointUnverified(msg)
		if st != 200 || err != nil {
			return false, fmt.Sprintf("%d %v %s", st, err, msg)
		}
		got := slices.Sorted(slices.Values(il.pol.Cosigners(msg)))
		return cp.Size == size && slices.Equal(got, want), fmt.Sprintf("size %d cosigned by %v", cp.Size, got)
	})
}

// clientCheckpoint runs "signet checkpoint --policy policy" against p,
// as a client with no pinned key or checkpoint, and returns its output
// and exit code.
func clientCheckpoint(t *testing.T, bin string, p *proc, policy string) (string, int) {
	t.Helper()
	out, errOut, code := signetRun(t, bin, []string{"SIGNET_SERVER=" + p.addr, "SIGNET_TOKEN=" + tokens[p.addr]},
		"checkpoint", "--policy", policy)
	return out + errOut, code
}

// threeWitnessed is a real signetd on PostgreSQL, reads behind a token,
// whose policy needs omniwitness, litewitness and a signet witness process
// (all three running), and a client policy needing two of the three.
type threeWitnessed struct {
	bin, signetBin string
	il             *interopLog
	ours           *ourWitness
	clientPolicy   string
	p              *proc
	c              *client.Client
}

func startThreeWitnessed(t *testing.T) *threeWitnessed {
	w := &threeWitnessed{bin: buildSignetd(t), signetBin: buildSignet(t), il: newInteropLog(t)}
	addr := freeAddr(t)
	reader, readerFile := readerToken(t)
	w.ours = newOurWitness(t, w.signetBin, w.il, "http://"+addr, readerFile)
	w.il.setPolicy(t, threePolicy(w.il, w.ours, "group all-three all omni lite ours"))
	w.clientPolicy = writePolicy(t, threePolicy(w.il, w.ours, "group two-of-three 2 omni lite ours"))
	w.il.omni.start()
	w.il.lite.start()
	w.ours.start()
	w.p, w.c = w.il.serve(t, w.bin, signettest.Schema(t), w.il.policy, addr, "SIGNET_READER_TOKEN="+reader)
	return w
}

// TestWitnessThreeOneOurs runs signetd with a policy naming omniwitness,
// litewitness and a real "signet witness" process (the signet binary,
// reading the log's export with a reader token), all three needed for the
// server's quorum. All three cosign; a client policy needing two of three
// passes "signet checkpoint --policy" with all three, and with two (ours
// stopped); with only omniwitness running it fails with exit 3 naming
// the two missing witnesses.
func TestWitnessThreeOneOurs(t *testing.T) {
	w := startThreeWitnessed(t)
	signetBin, il, ours, clientPolicy, p, c := w.signetBin, w.il, w.ours, w.clientPolicy, w.p, w.c

	submitN(t, c, "alice", 3, "a")
	n := headSize(t, c)
	cosignedCheckpoint(t, p, c, il, n, "omni", "lite", "ours")
	st, msg := getCheckpoint(t, p, c, "?witnessed=1")
	if cp, err := il.pol.Open(msg, il.origin, il.vkey); st != 200 || err != nil || cp.Size != n {
		t.Errorf("?witnessed=1, all three needed = %d, %v (%v); want size %d", st, cp, err, n)
	}
	out, code := clientCheckpoint(t, signetBin, p, clientPolicy)
	if code != 0 || !strings.Contains(out, "quorum two-of-three met") {
		t.Errorf("signet checkpoint --policy (2 of 3), all three cosigned = exit %d:\n%s", code, out)
	}
	if st, body := ours.monitored(t); st != 200 || !slices.Contains(il.pol.Cosigners([]byte(body)), "ours") {
		t.Errorf("signet witness GET /<origin hash>/checkpoint = %d %q; want its cosigned checkpoint", st, body)
	}

	// Ours stopped: two of three still meet the client's quorum.
	ours.stop()
	submitN(t, c, "bob", 1, "b")
	n = headSize(t, c)
	cosignedCheckpoint(t, p, c, il, n, "omni", "lite")
	if out, code := clientCheckpoint(t, signetBin, p, clientPolicy); code != 0 {
		t.Errorf("signet checkpoint --policy (2 of 3), cosigned by omni and lite = exit %d:\n%s", code, out)
	}

	// Only omniwitness left: one of three is refused, naming the others.
	il.lite.stop()
	submitN(t, c, "carol", 1, "c")
	n = headSize(t, c)
	cosignedCheckpoint(t, p, c, il, n, "omni")
	out, code = clientCheckpoint(t, signetBin, p, clientPolicy)
	if code != 3 || !strings.Contains(out, "quorum two-of-three") || !strings.Contains(out, "missing lite, ours") {
		t.Errorf("signet checkpoint --policy (2 of 3), cosigned by omni alone = exit %d:\n%s\nwant exit 3 naming lite and ours", code, out)
	}

	// Ours restarted on its state dir catches up and cosigns again.
	ours.start()
	cosignedCheckpoint(t, p, c, il, n, "omni", "ours")
	for name, w := range readyWitnesses(t, p) {
		if w.Alarm != "" {
			t.Errorf("honest log: witness %s alarm %q", name, w.Alarm)
		}
	}
}

// appender appends entries to a log until stopped.
type appender struct {
	stop chan struct{}
	done chan error
}

func startAppending(t *testing.T, c *client.Client, signer string) *appender {
	t.Helper()
	k := mustKey(t)
	if _, err := c.Register(t.Context(), signer, k, nil); err != nil {
		t.Fatal(err)
	}
	a := &appender{stop: make(chan struct{}), done: make(chan error, 1)}
	stop := a.stop
	go func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				a.done <- nil
				return
			default:
			}
			ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second) // witnessing must never hold an append
			_, err := c.Submit(ctx, k, fmt.Appendf(nil, `{"journal_id":"JE-load-%d"}`, i))
			cancel()
			if err != nil {
				a.done <- fmt.Errorf("append %d: %w", i, err)
				return
			}
		}
	}()
	t.Cleanup(func() { a.finish(t) })
	return a
}

// finish stops the appends and fails the test if one failed.
func (a *appender) finish(t *testing.T) {
	if a.stop == nil {
		return
	}
	close(a.stop)
	a.stop = nil
	if err := <-a.done; err != nil {
		t.Errorf("appending: %v", err)
	}
}

// TestSignetWitnessKill9 runs a real "signet witness" for a log that
// keeps appending, kills it with SIGKILL three times mid-run and
// restarts it on the same state dir each time: it goes on cosigning
// (never below what it cosigned before, so signetd raises no alarm), its
// copy audits clean with "signet audit DIR --log-key K", and "signetd
// import" of "signet witness export" restores a log whose checkpoint is
// the original's at that size.
func TestSignetWitnessKill9(t *testing.T) {
	bin, signetBin := buildSignetd(t), buildSignet(t)
	il := newLogKey(t)
	addr := freeAddr(t)
	reader, readerFile := readerToken(t)
	ours := newOurWitness(t, signetBin, il, "http://"+addr, readerFile)
	il.setPolicy(t, fmt.Sprintf("log %s\nwitness ours %s %s\nquorum ours\n", il.vkey, ours.vkey, ours.url))
	ours.start()
	p, c := il.serve(t, bin, signettest.Schema(t), il.policy, addr, "SIGNET_READER_TOKEN="+reader)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("signetd output:\n%s", p.all.String())
		}
	})

	load := startAppending(t, c, "alice")
	cosigned := int64(0)
	for kill := range 3 {
		eventually(t, fmt.Sprintf("signet witness cosigning past size %d (run %d)", cosigned, kill+1), 30*time.Second, func() (bool, string) {
			ws := readyWitnesses(t, p)["ours"]
			return ws.CosignedSize > cosigned && ws.Failures == 0, fmt.Sprintf("%+v", ws)
		})
		ours.stop() // SIGKILL, while the log appends
		cosigned = readyWitnesses(t, p)["ours"].CosignedSize
		eventually(t, "signetd failing to reach the killed witness", 30*time.Second, func() (bool, string) {
			ws := readyWitnesses(t, p)["ours"]
			return ws.Failures > 0, fmt.Sprintf("%+v", ws)
		})
		ours.start()
	}
	eventually(t, fmt.Sprintf("signet witness cosigning past size %d after its last restart", cosigned), 30*time.Second, func() (bool, string) {
		ws := readyWitnesses(t, p)["ours"]
		return ws.CosignedSize > cosigned, fmt.Sprintf("%+v", ws)
	})
	load.finish(t)
	n := headSize(t, c)
	cosignedCheckpoint(t, p, c, il, n, "ours")
	if ws := readyWitnesses(t, p)["ours"]; ws.Alarm != "" {
		t.Errorf("after restarts, the witness's alarm = %q", ws.Alarm)
	}
	if st, body := ours.monitored(t); st != 200 || !strings.HasPrefix(body, fmt.Sprintf("%s\n%d\n", il.origin, n)) {
		t.Errorf("signet witness GET /<origin hash>/checkpoint = %d %q; want its cosigned checkpoint of size %d", st, body, n)
	}

	// Its copy audits clean, and restores the log.
	out := signetOK(t, signetBin, nil, "audit", ours.logDir(), "--log-key", il.vkey)
	if !strings.Contains(out, fmt.Sprintf("audit OK: %d records", n)) {
		t.Errorf("signet audit of the witness's copy = %q; want %d records OK", out, n)
	}
	export := filepath.Join(t.TempDir(), "copy.ndjson")
	signetOK(t, signetBin, nil, "witness", "export", "--state", ours.stateDir, "-o", export, il.origin)
	restored := []string{"DATABASE_URL=sqlite:" + filepath.Join(t.TempDir(), "restored.db"), "SIGNET_DATA_DIR=" + t.TempDir(),
		"SIGNET_LOG_KEY_FILE=" + il.keyFile, "SIGNET_ADMIN_TOKEN=admin", "SIGNET_WITNESS_POLICY="}
	if out, err := runCmd(bin, restored, "import", export); err != nil || !strings.Contains(out, fmt.Sprintf("imported %d records", n)) {
		t.Fatalf("signetd import of the witness's copy = %v\n%s", err, out)
	}
	q := start(t, bin, restored)
	got, err := client.New(q.addr, client.WithAdminToken("admin")).Checkpoint(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	_, want := getCheckpoint(t, p, c, "")
	gotText, _, _ := strings.Cut(string(got), "\n\n")
	wantText, _, _ := strings.Cut(string(want), "\n\n")
	if gotText != wantText {
		t.Errorf("the restored log's checkpoint is\n%s\nwant the original's at size %d:\n%s", got, n, want)
	}
	v, err := note.NewVerifier(il.vkey)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := signet.OpenCheckpoint(got, il.origin, v); err != nil {
		t.Errorf("the restored log's checkpoint does not verify with the log's key: %v\n%s", err, got)
	}
}

// writeBehindRules appends to the PostgreSQL log at dbURL, as its
// database administrator and the holder of the log key could, one entry
// of signer's whose payload is not the one its JWS signed (R18), with a
// correct record hash, chain link and tree, and a checkpoint signed by
// the log's key: a consistent tree holding a record no honest log holds.
// nonce is one the log handed out. It returns the new size.
func writeBehindRules(t *testing.T, dbURL string, il *interopLog, c *client.Client, signer string, key keys.PrivateKey, nonce string) int64 {
	s, err := postgres.Open(t.Context(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	logSigner, err := note.NewSigner(il.skey)
	if err != nil {
		t.Fatal(err)
	}
	return signettest.WriteRuleBreak(t, s, logSigner, il.origin, c, signer, key, nonce)
}

// TestSignetWitnessRefusesRuleBreak: a log whose tree is consistent but
// whose newest record breaks a rule (R18: its payload is not the one its
// JWS signed), written behind signetd's back under the log's key and then
// pushed by signetd itself to its witnesses. omniwitness, which checks
// only consistency, cosigns it; signet witness, which audits the records
// before it cosigns, refuses it with 422, keeps the record as evidence
// and its copy clean, and signetd reports the refusal as an alarm naming
// the rule.
func TestSignetWitnessRefusesRuleBreak(t *testing.T) {
	bin, signetBin := buildSignetd(t), buildSignet(t)
	il := newLogKey(t)
	il.omni = startOmniwitness(t, il.origin, il.vkey)
	addr := freeAddr(t)
	reader, readerFile := readerToken(t)
	ours := newOurWitness(t, signetBin, il, "http://"+addr, readerFile)
	il.setPolicy(t, fmt.Sprintf("log %s\nwitness omni %s %s\nwitness ours %s %s\ngroup both all omni ours\nquorum both\n",
		il.vkey, il.omni.vkey, il.omni.url, ours.vkey, ours.url))
	il.omni.start()
	ours.start()
	dbURL := signettest.Schema(t)
	p, c := il.serve(t, bin, dbURL, il.policy, addr, "SIGNET_READER_TOKEN="+reader)
	alice := mustKey(t)
	if _, err := c.Register(t.Context(), "alice", alice, nil); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if _, err := c.Submit(t.Context(), alice, fmt.Appendf(nil, `{"journal_id":"JE-%d"}`, i)); err != nil {
			t.Fatal(err)
		}
	}
	n := headSize(t, c)
	cosignedCheckpoint(t, p, c, il, n, "omni", "ours")
	nonce, err := c.Nonce(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	<-p.done

	bad := writeBehindRules(t, dbURL, il, c, "alice", alice, nonce)
	p, c = il.serve(t, bin, dbURL, il.policy, addr, "SIGNET_READER_TOKEN="+reader) // it pushes its head at start
	cosignedCheckpoint(t, p, c, il, bad, "omni")
	eventually(t, "signetd's alarm about signet witness's refusal", 30*time.Second, func() (bool, string) {
		w := readyWitnesses(t, p)["ours"]
		return strings.Contains(w.Alarm, "(422") && strings.Contains(w.Alarm, fmt.Sprintf("size %d ", bad)) &&
			strings.Contains(w.Alarm, "refused (records)") && strings.Contains(w.Alarm, "R18") && w.CosignedSize == n, fmt.Sprintf("%+v", w)
	})
	if !strings.Contains(p.all.String(), `"level":"ERROR","msg":"witness alarm: possible fork of this log"`) {
		t.Errorf("signetd logged no alarm at ERROR:\n%s", p.all.String())
	}
	if w := readyWitnesses(t, p)["omni"]; w.Alarm != "" {
		t.Errorf("omniwitness alarm %q: it checks only consistency, and the tree is consistent", w.Alarm)
	}
	ev, _ := filepath.Glob(filepath.Join(ours.logDir(), "evidence", "records-*", "records.ndjson"))
	if len(ev) == 0 {
		t.Fatal("signet witness kept no records evidence")
	}
	if b, _ := os.ReadFile(ev[0]); !strings.Contains(string(b), base64.RawURLEncoding.EncodeToString([]byte(`{"journal_id":"JE1","amount":"999999.00"}`))) &&
		!strings.Contains(string(b), "999999.00") {
		t.Errorf("the evidence does not hold the record that breaks the rule:\n%s", b)
	}
	out := signetOK(t, signetBin, nil, "audit", ours.logDir(), "--log-key", il.vkey)
	if !strings.Contains(out, fmt.Sprintf("audit OK: %d records", n)) {
		t.Errorf("signet audit of the witness's copy = %q; want the %d records before the bad one", out, n)
	}
}
