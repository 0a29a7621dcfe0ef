package witness_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/signet-ledger/signet"
	"github.com/signet-ledger/signet/api"
	"github.com/signet-ledger/signet/client"
	"github.com/signet-ledger/signet/internal/signettest"
	"github.com/signet-ledger/signet/keys"
	"github.com/signet-ledger/signet/ledger"
	"github.com/signet-ledger/signet/witness"
	fnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
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
	ctx := context.Background()
	h, err := e.Store.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	nonce, err := e.Client.Nonce(ctx)
	if err != nil {
		t.Fatal(err)
	}
	j, err := e.Client.Sign(client.Signer{Key: key}, "/v1/entries", nonce, []byte(`{"journal_id":"JE1","amount":"1.00"}`))
	if err != nil {
		t.Fatal(err)
	}
	n := h.Size
	rec := &ledger.Record{Index: n, Kind: ledger.KindEntry, Signer: signer, KID: key.Public().Thumbprint(),
		IntegratedTime: ledger.Time(time.Now()), Protected: j.Protected, Signature: j.Signature, Nonce: nonce,
		Payload: base64.RawURLEncoding.EncodeToString([]byte(`{"journal_id":"JE1","amount":"999999.00"}`)), PrevHash: h.Hash}
	rec.Hash = ledger.RecordHash(rec)
	added := map[int64]tlog.Hash{}
	read := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			if hh, ok := added[x]; ok {
				out[i] = hh
				continue
			}
			hs, err := e.Store.ReadHashes(ctx, []int64{x})
			if err != nil {
				return nil, err
			}
			out[i] = hs[0]
		}
		return out, nil
	})
	sh, err := tlog.StoredHashesForRecordHash(n, ledger.LeafHash(rec.Hash), read)
	if err != nil {
		t.Fatal(err)
	}
	b := &ledger.Batch{Records: []*ledger.Record{rec}}
	for i, x := range sh {
		idx := tlog.StoredHashIndex(0, n) + int64(i)
		added[idx] = x
		b.Hashes = append(b.Hashes, ledger.StoredHash{Index: idx, Hash: x})
	}
	root, err := tlog.TreeHash(n+1, read)
	if err != nil {
		t.Fatal(err)
	}
	if b.Head.Checkpoint, err = ledger.SignCheckpoint(k.signer, origin, n+1, root); err != nil {
		t.Fatal(err)
	}
	b.Head.Size, b.Head.Hash = n+1, rec.Hash
	if err := e.Store.Sequence(ctx, func(ctx context.Context, tx ledger.Tx) error {
		if _, err := tx.Snapshot(ctx, ledger.SnapshotQuery{HashesFor: -1}); err != nil {
			return err
		}
		return tx.Write(ctx, b)
	}); err != nil {
		t.Fatalf("writing behind the rules: %v", err)
	}
}

func strconvItoa(n int64) string { return fmt.Sprint(n) }
