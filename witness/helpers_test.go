package witness_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/signet-ledger/signet"
	"github.com/signet-ledger/signet/api"
	"github.com/signet-ledger/signet/internal/signettest"
	"github.com/signet-ledger/signet/keys"
	"github.com/signet-ledger/signet/ledger"
	"github.com/signet-ledger/signet/witness"
	fnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"
)

const origin = "signet.test/log"

// logKey is a log's signing key, shared by servers that sign "one" log.
type logKey struct {
	signer note.Signer
	vkey   string
}

func newLogKey(t *testing.T) logKey {
	skey, vkey, err := note.GenerateKey(rand.Reader, origin)
	if err != nil {
		t.Fatal(err)
	}
	s, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	return logKey{s, vkey}
}

// server starts a signetd (PostgreSQL, real HTTP) that signs with k.
func server(t *testing.T, k logKey) *signettest.Env {
	v, _ := note.NewVerifier(k.vkey)
	return signettest.New(t, signettest.Options{
		Ledger: func(c *ledger.Config) { c.Signer, c.Verifier = k.signer, v },
		API:    func(c *api.Config) { c.LogKey = k.vkey },
	})
}

// grow registers signer and submits n entries with its key.
func grow(t *testing.T, e *signettest.Env, signer string, n int) keys.PrivateKey {
	k := e.Register(t, signer)
	for i := range n {
		if _, err := e.Client.Submit(context.Background(), k, fmt.Appendf(nil, `{"journal_id":"JE%d"}`, i)); err != nil {
			t.Fatal(err)
		}
	}
	return k
}

// wit is a running witness and its HTTP server.
type wit struct {
	t      *testing.T
	w      *witness.Witness
	srv    *httptest.Server
	vkey   string
	dir    string
	cancel context.CancelFunc
	done   chan struct{}
}

func witnessKey(t *testing.T) string {
	skey, _, err := witness.GenerateKey("witness.test/w1")
	if err != nil {
		t.Fatal(err)
	}
	return skey
}

// startWitness opens a witness on dir following the logs and serves it;
// it is stopped when the test ends, unless stopped before.
func startWitness(t *testing.T, skey, dir string, logs ...witness.LogConfig) *wit {
	t.Helper()
	w, err := witness.New(witness.Config{Key: skey, StateDir: dir, Logs: logs,
		PollInterval: 200 * time.Millisecond, CatchUpTimeout: 5 * time.Second, FetchRecords: 7})
	if err != nil {
		t.Fatalf("witness.New = %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	x := &wit{t: t, w: w, srv: httptest.NewServer(w.Handler()), vkey: w.VerifierKey(), dir: dir, cancel: cancel, done: make(chan struct{})}
	go func() { w.Run(ctx); close(x.done) }()
	t.Cleanup(x.stop)
	return x
}

func (x *wit) stop() {
	if x.cancel == nil {
		return
	}
	x.cancel()
	<-x.done
	x.srv.Close()
	x.w.Close()
	x.cancel = nil
}

func logConfig(e *signettest.Env, k logKey) witness.LogConfig {
	return witness.LogConfig{VerifierKey: k.vkey, URL: e.URL}
}

// answer is an HTTP answer.
type answer struct {
	status      int
	contentType string
	body        string
}

// post sends an add-checkpoint body.
func (x *wit) post(body []byte) answer {
	x.t.Helper()
	resp, err := http.Post(x.srv.URL+"/add-checkpoint", "text/plain", bytes.NewReader(body))
	if err != nil {
		x.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, resp.Header.Get("Content-Type"), string(b)}
}

// request builds the add-checkpoint body a log would send: e's latest
// checkpoint and the consistency proof from old.
func request(t *testing.T, e *signettest.Env, old int64) ([]byte, []byte) {
	t.Helper()
	ctx := context.Background()
	cp, err := e.Client.Checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	req := signet.AddCheckpointRequest{OldSize: old, Checkpoint: cp}
	if size := checkpointSize(t, cp); old > 0 && old < size {
		p, err := e.Client.ConsistencyProof(ctx, old, size)
		if err != nil {
			t.Fatal(err)
		}
		req.Proof = p.Hashes
	}
	return req.Marshal(), cp
}

func checkpointSize(t *testing.T, cp []byte) int64 {
	c, err := ledger.ParseCheckpointUnverified(cp)
	if err != nil {
		t.Fatal(err)
	}
	return c.Size
}

// cosigned checks that a is a 200 with one cosignature of the witness
// on cp, verified by formats' cosignature/v1 verifier, and returns the
// cosigned note.
func (x *wit) cosigned(a answer, cp []byte) []byte {
	x.t.Helper()
	if a.status != http.StatusOK {
		x.t.Fatalf("add-checkpoint = %d %q, want 200", a.status, a.body)
	}
	if !strings.HasPrefix(a.body, "— witness.test/w1 ") || strings.Count(a.body, "\n") != 1 {
		x.t.Fatalf("add-checkpoint answered %q, want one cosignature line", a.body)
	}
	v, err := fnote.NewVerifierForCosignatureV1(x.vkey)
	if err != nil {
		x.t.Fatal(err)
	}
	text, _, _ := bytes.Cut(cp, []byte("\n\n"))
	msg := append(append(bytes.Clone(text), "\n\n"...), a.body...)
	n, err := note.Open(msg, note.VerifierList(v))
	if err != nil || len(n.Sigs) != 1 {
		x.t.Fatalf("opening the cosigned checkpoint with %s = %v", x.vkey, err)
	}
	ts, err := fnote.CoSigV1Timestamp(n.Sigs[0])
	if err != nil || time.Since(ts) > time.Minute || time.Until(ts) > time.Minute {
		x.t.Errorf("cosignature timestamp = %v, %v; want about now", ts, err)
	}
	return msg
}

// writeBehindRules appends to e's database, as the operator could with
// the store's own Tx.Write, one entry of signer's whose payload is not
// the one its JWS signed (R18), with a correct record hash, chain link
// and tree, and a checkpoint signed by the log's key: a consistent tree
// holding a record no honest log holds.
func writeBehindRules(t *testing.T, e *signettest.Env, k logKey, signer string, key keys.PrivateKey) {
	nonce, err := e.Client.Nonce(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	signettest.WriteRuleBreak(t, e.Store, k.signer, origin, e.Client, signer, key, nonce)
}

func strconvItoa(n int64) string { return fmt.Sprint(n) }
