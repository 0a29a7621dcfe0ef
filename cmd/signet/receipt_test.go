package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/signet-ledger/signet"
	"github.com/signet-ledger/signet/internal/signettest"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// witnessedLog is a server with a log of registrations, entries and a
// key change, two test witnesses, and the policies a client may hold.
type witnessedLog struct {
	e                *signettest.Env
	c                *cli
	w1, w2           signettest.Witness
	none, two, wrong string // policy files: quorum none; W1 and W2; another log key
}

func newWitnessedLog(t *testing.T) *witnessedLog {
	e := signettest.New(t, signettest.Options{})
	ctx := context.Background()
	alice := e.Register(t, "alice")                                           // 0
	if _, err := e.Client.Submit(ctx, alice, []byte(`{"n":1}`)); err != nil { // 1
		t.Fatal(err)
	}
	alice2 := signettest.Key(t)
	if _, err := e.Client.AddKey(ctx, "alice", alice, alice2); err != nil { // 2
		t.Fatal(err)
	}
	if _, err := e.Client.Submit(ctx, alice2, []byte(`{"n":2,"memo":"<&>"}`)); err != nil { // 3
		t.Fatal(err)
	}
	l := &witnessedLog{e: e, c: newCLI(t, e), w1: signettest.NewWitness(t, "w1.example/witness"), w2: signettest.NewWitness(t, "w2.example/witness")}
	_, other, _ := note.GenerateKey(rand.Reader, e.Origin)
	l.none = l.c.write("none.policy", fmt.Sprintf("log %s\nquorum none\n", e.LogKey))
	l.two = l.c.write("two.policy", fmt.Sprintf("log %s\nwitness W1 %s\nwitness W2 %s\ngroup both all W1 W2\nquorum both\n", e.LogKey, l.w1.VKey, l.w2.VKey))
	l.wrong = l.c.write("wrong.policy", fmt.Sprintf("log %s\nquorum none\n", other))
	return l
}

// TestPolicyCheckpointVerifyAudit: checkpoint, verify and audit take
// --policy. The server does not collect cosignatures yet, so quorum none
// passes and a real quorum fails naming both witnesses; an export whose
// checkpoint carries the witnesses' cosignatures passes.
func TestPolicyCheckpointVerifyAudit(t *testing.T) {
	l := newWitnessedLog(t)
	c := l.c
	wantContains(t, "checkpoint --policy none", c.ok("checkpoint", "--policy", l.none), "size     4", "quorum none")
	errOut := c.fails(ExitVerify, "checkpoint", "--policy", l.two)
	wantContains(t, "checkpoint --policy two", errOut, "quorum both", "missing W1, W2", "hint:")
	wantContains(t, "checkpoint --policy wrong", c.fails(ExitVerify, "checkpoint", "--policy", l.wrong), "policy", "not")

	wantContains(t, "verify --policy none", c.ok("verify", "3", "--policy", l.none), "record 3: verified", "witnesses      quorum none")
	c.env["SIGNET_POLICY"] = l.two
	wantContains(t, "verify with SIGNET_POLICY", c.fails(ExitVerify, "verify", "3"), "missing W1, W2")
	delete(c.env, "SIGNET_POLICY")

	export := c.path("log.ndjson")
	c.ok("export", "-o", export)
	wantContains(t, "audit --policy none", c.ok("audit", export, "--policy", l.none), "audit OK: 4 records")
	out, _, code := c.run("audit", export, "--policy", l.two)
	if code != ExitVerify || !strings.Contains(out, "R24") || !strings.Contains(out, "missing W1, W2") {
		t.Errorf("audit --policy two = exit %d:\n%s", code, out)
	}
	if out, _, code := c.run("audit", export, "--policy", l.wrong); code != ExitVerify {
		t.Errorf("audit --policy wrong = exit %d:\n%s", code, out)
	}

	// The same export with its checkpoint cosigned by both witnesses.
	b, _ := os.ReadFile(export)
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	var end signet.WireExportEnd
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &end); err != nil {
		t.Fatal(err)
	}
	plain := []byte(end.Checkpoint)
	cosigned := l.w2.Cosign(t, l.w1.Cosign(t, plain))
	end.Checkpoint = string(cosigned)
	endLine, _ := json.Marshal(end)
	lines[len(lines)-1] = string(endLine)
	witnessed := c.write("witnessed.ndjson", strings.Join(lines, "\n")+"\n")
	wantContains(t, "audit --policy two of a cosigned export", c.ok("audit", witnessed, "--policy", l.two), "audit OK")
	c.ok("audit", witnessed, "--policy", l.two, "--checkpoint", c.write("cosigned.cp", string(cosigned)))
	out, _, code = c.run("audit", witnessed, "--policy", l.two, "--checkpoint", c.write("one.cp", string(l.w1.Cosign(t, plain))))
	if code != ExitVerify || !strings.Contains(out, "missing W2") {
		t.Errorf("audit --checkpoint cosigned by W1 only = exit %d:\n%s", code, out)
	}
}

// noNetwork is an HTTP client that fails every request.
var noNetwork = &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
	return nil, errors.New("the test forbids the network")
})}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestReceiptOffline: signet receipt writes a receipt against the real
// server, which verify --receipt checks with the server stopped and no
// network; the receipt cosigned by the policy's witnesses meets its
// quorum; and each tampered part fails the check that covers it.
func TestReceiptOffline(t *testing.T) {
	l := newWitnessedLog(t)
	c := l.c
	file := c.path("r3.tlog-proof")
	wantContains(t, "receipt", c.ok("receipt", "3", "-o", file, "--policy", l.none), "receipt of record 3 written", "size 4 (the latest checkpoint)", "added at log index 2")
	wantContains(t, "receipt --policy two", c.fails(ExitVerify, "receipt", "3", "-o", c.path("x"), "--policy", l.two), "missing W1, W2")
	if _, err := os.Stat(c.path("x")); err == nil {
		t.Error("receipt wrote a receipt its policy refuses")
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	r, err := signet.ParseReceipt(b)
	if err != nil {
		t.Fatal(err)
	}
	r.Checkpoint = l.w2.Cosign(t, l.w1.Cosign(t, r.Checkpoint))
	cosigned := writeReceipt(t, c, "cosigned.tlog-proof", r)

	l.e.Server.Close()
	c.sys.HTTPClient = noNetwork
	out := c.ok("verify", "--receipt", cosigned, "--policy", l.two)
	wantContains(t, "verify --receipt", out, "receipt of record 3: verified offline", "cosigned by  W1, W2", "added at log index 2")
	c.ok("verify", "3", "--receipt", cosigned, "--policy", l.none)
	c.ok("verify", "--receipt", file, "--log-key", l.e.LogKey) // no policy: no quorum to meet
	// A client that never saw the log checks it with the policy's log key.
	fresh := newCLI(t, l.e)
	fresh.sys.HTTPClient = noNetwork
	fresh.ok("verify", "--receipt", cosigned, "--policy", l.two)
	wantContains(t, "verify --receipt without any log key", fresh.fails(ExitUsage, "verify", "--receipt", cosigned), "no log key")
	wantContains(t, "verify of another index", c.fails(ExitVerify, "verify", "2", "--receipt", cosigned, "--policy", l.two), "not 2")

	tamper := func(name string, edit func(r *signet.Receipt)) string {
		r, err := signet.ParseReceipt([]byte(readFile(t, cosigned)))
		if err != nil {
			t.Fatal(err)
		}
		edit(r)
		return writeReceipt(t, c, name, r)
	}
	for _, tc := range []struct {
		name   string
		file   string
		policy string
		want   []string // in stderr
	}{
		{"record payload changed", tamper("payload", func(r *signet.Receipt) {
			w := *r.Record
			w.JWS = &signet.WireJWS{Protected: w.JWS.Protected, Payload: base64.RawURLEncoding.EncodeToString([]byte(`{"n":3}`)), Signature: w.JWS.Signature}
			r.Record = &w
		}), l.two, []string{"record_hash: the hash of record 3's fields", "signature:", "inclusion:"}},
		{"proof hash changed", tamper("proof", func(r *signet.Receipt) { r.Proof[0][5] ^= 1 }), l.two, []string{"inclusion: the proof does not put record 3's leaf"}},
		{"index changed", tamper("index", func(r *signet.Receipt) { r.Index = 1 }), l.two, []string{"index: the proof is of index 1, the record is record 3"}},
		{"root changed", tamper("root", func(r *signet.Receipt) {
			f := strings.SplitN(string(r.Checkpoint), "\n", 4)
			f[2] = tlog.Hash{7}.String()
			r.Checkpoint = []byte(strings.Join(f, "\n"))
		}), l.two, []string{"checkpoint:", "witnesses:", "inclusion:"}},
		{"cosignature removed", writeReceipt(t, c, "one.tlog-proof", func() *signet.Receipt {
			r, _ := signet.ParseReceipt(b)
			r.Checkpoint = l.w1.Cosign(t, r.Checkpoint)
			return r
		}()), l.two, []string{"witnesses: checkpoint does not meet the policy's quorum both: cosigned by W1; missing W2"}},
		{"wrong log key in the policy", cosigned, l.wrong, []string{"the policy does not name this log key"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			errOut := c.fails(ExitVerify, "verify", "--receipt", tc.file, "--policy", tc.policy)
			wantContains(t, "verify --receipt ("+tc.name+")", errOut, tc.want...)
		})
	}
	if out, _, code := c.run("verify", "--receipt", c.write("junk", "c2sp.org/tlog-proof@v1\nindex 1\n\n")); code != ExitVerify {
		t.Errorf("verify --receipt of a broken file = exit %d\n%s", code, out)
	}
}

// TestReceiptWitnessedCheckpoint: when the server answers
// /v1/checkpoint?witnessed=1, the receipt is proved in that checkpoint
// and carries its cosignatures; a witnessed checkpoint too small for the
// record falls back to the latest.
func TestReceiptWitnessedCheckpoint(t *testing.T) {
	l := newWitnessedLog(t)
	ctx := context.Background()
	older, err := l.e.Client.Checkpoint(ctx) // size 4
	if err != nil {
		t.Fatal(err)
	}
	witnessedNote := l.w2.Cosign(t, l.w1.Cosign(t, older))
	if _, err := l.e.Client.Submit(ctx, l.e.Register(t, "bob"), []byte(`{"n":4}`)); err != nil { // 4, 5
		t.Fatal(err)
	}
	u, _ := url.Parse(l.e.URL)
	proxy := httputil.NewSingleHostReverseProxy(u)
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/checkpoint" && r.URL.Query().Get("witnessed") == "1" {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.Write(witnessedNote)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	defer front.Close()
	c := l.c
	c.env["SIGNET_SERVER"] = front.URL
	file := c.path("r3")
	wantContains(t, "receipt", c.ok("receipt", "3", "-o", file, "--policy", l.two), "size 4 (the newest witnessed checkpoint), 2 cosignatures")
	r, err := signet.ParseReceipt([]byte(readFile(t, file)))
	if err != nil || string(r.Checkpoint) != string(witnessedNote) {
		t.Fatalf("the receipt's checkpoint = %q, %v; want the witnessed one", r.Checkpoint, err)
	}
	_, errOut, code := c.run("receipt", "5", "-o", c.path("r5"), "--policy", l.none)
	if code != ExitOK || !strings.Contains(errOut, "does not cover record 5") {
		t.Errorf("receipt 5 = exit %d, stderr %q", code, errOut)
	}
	c.sys.HTTPClient = noNetwork
	c.ok("verify", "--receipt", file, "--policy", l.two)
	c.ok("verify", "--receipt", c.path("r5"), "--policy", l.none)
}

func writeReceipt(t *testing.T, c *cli, name string, r *signet.Receipt) string {
	t.Helper()
	b, err := r.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return c.write(name, string(b))
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
