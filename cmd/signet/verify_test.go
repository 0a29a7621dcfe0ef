package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/signet-ledger/signet/internal/signettest"
)

// lyingTransport rewrites the body of the answers to one path.
type lyingTransport struct {
	path string
	edit func([]byte) []byte
}

func (l *lyingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(r)
	if err != nil || r.URL.Path != l.path {
		return resp, err
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	b = l.edit(b)
	resp.Body, resp.ContentLength = io.NopCloser(bytes.NewReader(b)), int64(len(b))
	resp.Header.Del("Content-Length")
	return resp, nil
}

// editJSON changes members of a JSON answer.
func editJSON(f func(m map[string]any)) func([]byte) []byte {
	return func(b []byte) []byte {
		var m map[string]any
		json.Unmarshal(b, &m)
		f(m)
		out, _ := json.Marshal(m)
		return out
	}
}

func TestVerifyDisagreement(t *testing.T) {
	e := signettest.New(t, signettest.Options{})
	grow(t, e, "alice", 4)
	c := newCLI(t, e)
	c.ok("verify", "2")

	// The server sends record 2 with another payload but says it verifies.
	c.sys.HTTPClient = &http.Client{Transport: &lyingTransport{path: "/v1/entries/2", edit: editJSON(func(m map[string]any) {
		m["payload"] = map[string]any{"n": 1000000}
	})}}
	_, errOut, code := c.run("verify", "2")
	if code != ExitVerify {
		t.Fatalf("verify with a forged shown payload = exit %d, want 3\n%s", code, errOut)
	}
	wantContains(t, "verify: disagreement", errOut, "DISAGREE", "verified: the server says true, the local checks say false")

	// The server sends record 2 with a changed signature.
	c.sys.HTTPClient = &http.Client{Transport: &lyingTransport{path: "/v1/entries/2", edit: editJSON(func(m map[string]any) {
		jws := m["jws"].(map[string]any)
		sig := jws["signature"].(string)
		flip := "A"
		if sig[10] == 'A' {
			flip = "B"
		}
		jws["signature"] = sig[:10] + flip + sig[11:]
	})}}
	out, errOut, code := c.run("verify", "2")
	if code != ExitVerify {
		t.Fatalf("verify with a forged signature = exit %d, want 3\n%s", code, errOut)
	}
	wantContains(t, "verify: forged signature", out, "record_hash    ok       FAILED")
	wantContains(t, "verify: forged signature", errOut, "record_hash: the server says ok, the local check says FAILED")

	// The server lies in its inclusion proof.
	c.sys.HTTPClient = &http.Client{Transport: &lyingTransport{path: "/v1/proof/inclusion", edit: editJSON(func(m map[string]any) {
		h := m["hashes"].([]any)
		h[0], h[1] = h[1], h[0]
	})}}
	wantContains(t, "verify: forged proof", c.fails(ExitVerify, "verify", "2"), "inclusion: the server says ok, the local check says FAILED")

	// A record tampered with in the database: both say so, and agree.
	c.sys.HTTPClient = nil
	if _, err := e.DB.Exec(context.Background(), `UPDATE records SET payload = $1 WHERE idx = 2`, "eyJuIjo5OTk5OX0"); err != nil {
		t.Fatal(err)
	}
	out, errOut, code = c.run("verify", "2")
	if code != ExitVerify || strings.Contains(errOut, "DISAGREE") {
		t.Fatalf("verify of a tampered record = exit %d\n%s%s", code, out, errOut)
	}
	wantContains(t, "verify: tampered", out, "record 2: NOT verified", "record_hash    FAILED   FAILED")
	var v verdict
	out, _, _ = c.run("verify", "2", "--json")
	if err := json.Unmarshal([]byte(out), &v); err != nil || v.Verified || !v.Agree || v.Local.Checks["record_hash"] {
		t.Errorf("verify --json = %+v, %v", v, err)
	}
}
