package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/signet-ledger/signet/internal/signettest"
)

// smallPages makes every list request ask for pages of one record, so
// that a scan must follow next to the end.
type smallPages struct{ next http.RoundTripper }

func (s smallPages) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Path == "/v1/entries" {
		q := r.URL.Query()
		q.Set("limit", "1")
		r = r.Clone(r.Context())
		r.URL.RawQuery = q.Encode()
	}
	return s.next.RoundTrip(r)
}

// TestVerifyKeyStatusFromTheLog: verify takes a key's status from the
// key records of the log it checks, paged to the end and each proved in
// the checkpoint, not from what the server says of the signer.
func TestVerifyKeyStatusFromTheLog(t *testing.T) {
	e := signettest.New(t, signettest.Options{})
	c := newCLI(t, e)
	k1 := c.path("k1.jwk")
	kid1 := strings.TrimSpace(c.ok("keygen", "-o", k1))
	c.env["SIGNET_KEY"] = k1
	c.ok("register", "--signer", "alice") // 0
	c.stdin = `{"n":1}`
	c.ok("submit")                                                                    // 1, by k1
	c.ok("rotate-key", "--signer", "alice", "--new-key", c.path("k2.jwk"))            // 2
	c.ok("revoke-key", "--signer", "alice", "--kid", kid1, "--key", c.path("k2.jwk")) // 3
	verdictOf := func(args ...string) (verdict, string) {
		t.Helper()
		out, errOut, code := c.run(append(args, "--json")...)
		var v verdict
		if err := json.Unmarshal([]byte(out), &v); err != nil {
			t.Fatalf("signet %v = exit %d, %q %q: %v", args, code, out, errOut, err)
		}
		return v, errOut
	}

	// The server says k1 was revoked before record 1: the log says after.
	c.sys.HTTPClient = &http.Client{Transport: &lyingTransport{path: "/v1/signers/alice", edit: editJSON(func(m map[string]any) {
		for _, k := range m["keys"].([]any) {
			if k := k.(map[string]any); k["kid"] == kid1 {
				k["revoked_at_index"] = 0
			}
		}
	})}}
	if v, errOut := verdictOf("verify", "1"); !v.Verified || v.Local.KeyStatus != "revoked" {
		t.Errorf("verify 1 with the server lying about the key = %+v\n%s", v, errOut)
	}

	// One record a page: the revocation is found at the end of the scan.
	c.sys.HTTPClient = &http.Client{Transport: smallPages{http.DefaultTransport}}
	if v, errOut := verdictOf("verify", "1"); !v.Verified || v.Local.KeyStatus != "revoked" {
		t.Errorf("verify 1 with pages of one record = %+v\n%s", v, errOut)
	}

	// A key record changed in the list does not hash to what the log holds.
	c.sys.HTTPClient = &http.Client{Transport: &lyingTransport{path: "/v1/entries", edit: editJSON(func(m map[string]any) {
		for _, r := range m["entries"].([]any) {
			if r := r.(map[string]any); r["kind"] == "signer.key_revoked" {
				r["kid"] = "forged"
			}
		}
	})}}
	v, errOut := verdictOf("verify", "1")
	if v.Local.Checks["signature"] || !strings.Contains(strings.Join(v.Local.Problems, " "), "record 3") {
		t.Errorf("verify 1 with a forged key record = %+v\n%s", v, errOut)
	}
}
