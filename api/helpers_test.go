package api_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/signet-ledger/signet/client"
	"github.com/signet-ledger/signet/internal/signettest"
	"github.com/signet-ledger/signet/ledger"
	"github.com/signet-ledger/signet/registry"
	"golang.org/x/mod/sumdb/tlog"
)

// Test helpers that build JWS by hand with crypto/ed25519, so that tests
// can send what the keys package would refuse to produce, and that check
// a whole log.

// rawKey is an Ed25519 key used through crypto/ed25519 alone.
type rawKey struct{ priv ed25519.PrivateKey }

func newRawKey(t testing.TB) rawKey {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return rawKey{priv}
}

func (k rawKey) pub() []byte { return k.priv.Public().(ed25519.PublicKey) }
func (k rawKey) x() string   { return b64(k.pub()) }
func (k rawKey) kid() string { return thumbprint(k.x()) }

func (k rawKey) jwk() map[string]string {
	return map[string]string{"kty": "OKP", "crv": "Ed25519", "x": k.x()}
}

// thumbprint is the RFC 7638 thumbprint of the Ed25519 JWK whose x is x,
// computed by hand: the required members in lexicographic order.
func thumbprint(x string) string {
	sum := sha256.Sum256([]byte(`{"crv":"Ed25519","kty":"OKP","x":"` + x + `"}`))
	return b64(sum[:])
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func decodeB64(t testing.TB, s string) []byte {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		t.Fatalf("decoding %q: %v", s, err)
	}
	return b
}

// header is a protected header under construction.
type header map[string]any

// with sets member name to v, or removes it when v is nil.
func (h header) with(name string, v any) header {
	if v == nil {
		delete(h, name)
	} else {
		h[name] = v
	}
	return h
}

func (h header) json() []byte {
	b, err := json.Marshal(h)
	if err != nil {
		panic(err)
	}
	return b
}

// rawJWS is the three parts of a JWS, base64url, exactly as sent.
type rawJWS struct {
	Protected string `json:"protected"`
	Payload   string `json:"payload"`
	Signature string `json:"signature"`
}

// signRaw signs the given protected header and payload bytes with k.
func signRaw(k rawKey, protected, payload []byte) rawJWS {
	j := rawJWS{Protected: b64(protected), Payload: b64(payload)}
	j.Signature = b64(ed25519.Sign(k.priv, []byte(j.Protected+"."+j.Payload)))
	return j
}

func (j rawJWS) flattened() []byte {
	b, _ := json.Marshal(j)
	return b
}

func (j rawJWS) compact() []byte { return []byte(j.Protected + "." + j.Payload + "." + j.Signature) }

// freshNonce returns an unused nonce from e.
func freshNonce(t testing.TB, e *signettest.Env) string {
	t.Helper()
	n, err := e.Client.Nonce(context.Background())
	if err != nil {
		t.Fatalf("Nonce() = %v", err)
	}
	return n
}

// entryHeader is a valid protected header of an entry signed by k.
func entryHeader(t testing.TB, e *signettest.Env, k rawKey) header {
	return header{"alg": "EdDSA", "kid": k.kid(), "nonce": freshNonce(t, e), "url": e.URL + "/v1/entries"}
}

// registerHeader is a valid protected header of the registration of k.
func registerHeader(t testing.TB, e *signettest.Env, k rawKey) header {
	return header{"alg": "EdDSA", "jwk": k.jwk(), "nonce": freshNonce(t, e), "url": e.URL + "/v1/signers"}
}

// request is one raw HTTP request.
type request struct {
	method, path, ctype string
	body                []byte
	token               string // bearer token; none if empty
}

func (r request) String() string { return r.method + " " + r.path }

func send(t testing.TB, e *signettest.Env, r request) *client.Response {
	t.Helper()
	var hdr http.Header
	if r.token != "" {
		hdr = http.Header{"Authorization": {"Bearer " + r.token}}
	}
	resp, err := e.Client.Do(context.Background(), r.method, r.path, r.ctype, r.body, hdr)
	if err != nil {
		t.Fatalf("%s: %v", r, err)
	}
	return resp
}

// postEntry is the request that submits body as a flattened JWS.
func postEntry(body []byte) request {
	return request{method: http.MethodPost, path: "/v1/entries", ctype: "application/jose+json", body: body}
}

// registerRaw registers signer with a new key by a hand-built JWS.
func registerRaw(t testing.TB, e *signettest.Env, signer string) rawKey {
	t.Helper()
	k := newRawKey(t)
	j := signRaw(k, registerHeader(t, e, k).json(), []byte(`{"signer":"`+signer+`"}`))
	r := send(t, e, request{http.MethodPost, "/v1/signers", "application/jose+json", j.flattened(), e.AdminToken})
	if r.Status != http.StatusCreated {
		t.Fatalf("register %q = %d %s, want 201", signer, r.Status, r.Body)
	}
	return k
}

// submitRaw submits payload signed by k and requires 201.
func submitRaw(t testing.TB, e *signettest.Env, k rawKey, payload string) *client.Response {
	t.Helper()
	r := send(t, e, postEntry(signRaw(k, entryHeader(t, e, k).json(), []byte(payload)).flattened()))
	if r.Status != http.StatusCreated {
		t.Fatalf("submit %s = %d %s, want 201", payload, r.Status, r.Body)
	}
	return r
}

// checkProblem checks that r is a problem+json answer of the given status
// and type urn:signet:error:<name> with a detail; a POST answer must also
// carry a Replay-Nonce.
func checkProblem(t testing.TB, req request, r *client.Response, status int, name string) {
	t.Helper()
	var p client.Problem
	if err := json.Unmarshal(r.Body, &p); err != nil {
		t.Errorf("%s = %d %q, want a problem+json body", req, r.Status, r.Body)
	}
	if r.Status != status || p.Type != "urn:signet:error:"+name {
		t.Errorf("%s = %d %s (%s), want %d urn:signet:error:%s", req, r.Status, p.Type, p.Detail, status, name)
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
		t.Errorf("%s: Content-Type = %q, want application/problem+json", req, ct)
	}
	if p.Detail == "" || strings.Contains(p.Detail, "postgres") || strings.Contains(p.Detail, "result set") {
		t.Errorf("%s: detail = %q, want a clear one without database errors", req, p.Detail)
	}
	if req.method == http.MethodPost && r.Header.Get("Replay-Nonce") == "" {
		t.Errorf("%s: no Replay-Nonce header", req)
	}
}

// logState is what must not change when a request is refused.
type logState struct {
	size                   int64
	checkpoint             string
	records, signers, keys int64
}

func stateOf(t testing.TB, e *signettest.Env) logState {
	t.Helper()
	var s logState
	err := e.DB.QueryRow(context.Background(), `SELECT
		(SELECT size FROM log_head), (SELECT checkpoint FROM log_head), (SELECT count(*) FROM records),
		(SELECT count(*) FROM signers), (SELECT count(*) FROM signer_keys)`).
		Scan(&s.size, &s.checkpoint, &s.records, &s.signers, &s.keys)
	if err != nil {
		t.Fatalf("reading the log state: %v", err)
	}
	if s.size != e.Size(t) {
		t.Fatalf("log_head size %d, Size() = %d", s.size, e.Size(t))
	}
	return s
}

// checkChainSQL checks in SQL that the records are exactly the indexes
// 0..n-1, each prev_hash its predecessor's hash, and returns n.
func checkChainSQL(t testing.TB, e *signettest.Env) int64 {
	t.Helper()
	ctx := context.Background()
	var n, distinct, maxIdx int64
	if err := e.DB.QueryRow(ctx, `SELECT count(*), count(DISTINCT idx), coalesce(max(idx), -1) FROM records`).
		Scan(&n, &distinct, &maxIdx); err != nil {
		t.Fatal(err)
	}
	if n != distinct || maxIdx != n-1 || n != e.Size(t) {
		t.Fatalf("records: %d rows, %d distinct indexes, max %d, head size %d; want 0..n-1 once each", n, distinct, maxIdx, e.Size(t))
	}
	var broken []int64
	rows, err := e.DB.Query(ctx, `SELECT r.idx FROM records r LEFT JOIN records p ON p.idx = r.idx - 1
		WHERE (r.idx = 0 AND r.prev_hash <> decode(repeat('00', 32), 'hex')) OR (r.idx > 0 AND p.hash IS DISTINCT FROM r.prev_hash)`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var i int64
		rows.Scan(&i)
		broken = append(broken, i)
	}
	if len(broken) > 0 {
		t.Fatalf("records whose prev_hash is not their predecessor's hash: %v", broken)
	}
	return n
}

// replayLog re-verifies the whole log offline: every record's hash, link
// and signature by [ledger.Replay] in index order, and the Merkle root of
// the record hashes against the latest checkpoint.
func replayLog(t testing.TB, e *signettest.Env) {
	t.Helper()
	ctx := context.Background()
	st := registry.NewState()
	var prev ledger.Hash
	var stored []tlog.Hash
	read := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			out[i] = stored[x]
		}
		return out, nil
	})
	n := int64(0)
	for {
		recs, err := e.Store.Records(ctx, ledger.Query{After: n - 1, Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) == 0 {
			break
		}
		for _, r := range recs {
			if r.Index != n || r.PrevHash != prev || ledger.RecordHash(r) != r.Hash {
				t.Fatalf("record %d: index %d, links %v, hash ok %v", n, r.Index, r.PrevHash == prev, ledger.RecordHash(r) == r.Hash)
			}
			if err := ledger.Replay(st, r); err != nil {
				t.Fatalf("Replay(record %d) = %v", n, err)
			}
			hs, err := tlog.StoredHashesForRecordHash(n, ledger.LeafHash(r.Hash), read)
			if err != nil {
				t.Fatal(err)
			}
			stored = append(stored, hs...)
			prev, n = r.Hash, n+1
		}
	}
	cpNote, err := e.Log.Checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cp, err := ledger.OpenCheckpoint(cpNote, e.Origin, e.Verifier)
	if err != nil {
		t.Fatal(err)
	}
	root, err := tlog.TreeHash(n, read)
	if err != nil || cp.Size != n || cp.Root != root {
		t.Fatalf("checkpoint (size %d, root %v) does not match the replayed log (size %d, root %v, %v)", cp.Size, cp.Root, n, root, err)
	}
}

// verifyIndex asks e to verify record i, by both routes, which must agree.
func verifyIndex(t testing.TB, e *signettest.Env, i int64) *client.Verification {
	t.Helper()
	var vs [2]client.Verification
	for j, path := range []string{fmt.Sprintf("/v1/entries/%d/verify", i), fmt.Sprintf("/verify?id=%d", i)} {
		r := send(t, e, request{method: http.MethodGet, path: path})
		if r.Status != http.StatusOK {
			t.Fatalf("GET %s = %d %s, want 200", path, r.Status, r.Body)
		}
		if err := json.Unmarshal(r.Body, &vs[j]); err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
	}
	a, _ := json.Marshal(vs[0])
	b, _ := json.Marshal(vs[1])
	if string(a) != string(b) {
		t.Errorf("verify %d: /v1/entries/%d/verify = %s, /verify?id=%d = %s, want the same", i, i, a, i, b)
	}
	return &vs[0]
}

// verifyAll requires GET verify of every index below n to answer verified.
func verifyAll(t testing.TB, e *signettest.Env, n int64) {
	t.Helper()
	var wg sync.WaitGroup
	var mu sync.Mutex
	var bad []string
	next := make(chan int64)
	for w := 0; w < 8; w++ {
		wg.Go(func() {
			for i := range next {
				v, err := e.Client.Verify(context.Background(), i)
				if err != nil || !v.Verified {
					mu.Lock()
					bad = append(bad, fmt.Sprintf("Verify(%d) = %+v, %v", i, v, err))
					mu.Unlock()
				}
			}
		})
	}
	for i := int64(0); i < n; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	if len(bad) > 0 {
		t.Fatalf("%d of %d records do not verify; first: %s", len(bad), n, bad[0])
	}
}
