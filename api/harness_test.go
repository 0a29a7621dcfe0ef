package api_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/signet-ledger/signet/client"
	"github.com/signet-ledger/signet/internal/signettest"
	"github.com/signet-ledger/signet/keys"
)

// Helpers shared by the proof, key, rebuild and rewrite tests.

// expectProblem checks that r is a problem+json answer with status and
// type urn:signet:error:<name>, and returns it.
func expectProblem(t *testing.T, what string, r *client.Response, status int, name string) client.Problem {
	t.Helper()
	var p client.Problem
	if err := json.Unmarshal(r.Body, &p); err != nil {
		t.Errorf("%s: answer is not JSON: %d %s", what, r.Status, r.Body)
		return p
	}
	if r.Status != status || p.Type != "urn:signet:error:"+name {
		t.Errorf("%s = %d %s (%s), want %d urn:signet:error:%s", what, r.Status, p.Type, p.Detail, status, name)
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
		t.Errorf("%s: Content-Type = %q, want application/problem+json", what, ct)
	}
	if p.Detail == "" {
		t.Errorf("%s: problem has no detail", what)
	}
	return p
}

// httpGet sends a GET and returns the raw answer.
func httpGet(t *testing.T, c *client.Client, path string) *client.Response {
	t.Helper()
	r, err := c.Do(context.Background(), http.MethodGet, path, "", nil, nil)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	return r
}

// decodeOK checks that r is a 2xx answer and decodes it into v.
func decodeOK(t *testing.T, what string, r *client.Response, v any) {
	t.Helper()
	if r.Status < 200 || r.Status > 299 {
		t.Fatalf("%s = %d %s", what, r.Status, r.Body)
	}
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("%s: decoding %s: %v", what, r.Body, err)
	}
}

// signFor signs payload for path with key, named by kid, and a fresh nonce.
func signFor(t *testing.T, e *signettest.Env, key keys.PrivateKey, path string, payload []byte) *keys.JWS {
	t.Helper()
	nonce, err := e.Client.Nonce(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	j, err := key.Sign(keys.Header{Kid: key.Public().Thumbprint(), Nonce: nonce, URL: e.URL + path}, payload)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

// postJWS posts j (flattened) to path.
func postJWS(t *testing.T, e *signettest.Env, path string, j *keys.JWS) *client.Response {
	t.Helper()
	r, err := e.Client.Do(context.Background(), http.MethodPost, path, "application/jose+json", j.Flattened(), nil)
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	return r
}

// flipSignature returns j with one bit of its signature changed.
func flipSignature(j *keys.JWS) *keys.JWS {
	sig, _ := base64.RawURLEncoding.DecodeString(j.Signature)
	sig[7] ^= 0x10
	c := *j
	c.Signature = base64.RawURLEncoding.EncodeToString(sig)
	return &c
}
