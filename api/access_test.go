package api_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/signet-ledger/signet/api"
	"github.com/signet-ledger/signet/internal/signettest"
)

// TestReadAccessToken: with token read access, every read needs a reader
// or admin token; health, nonce and log key stay open.
func TestReadAccessToken(t *testing.T) {
	e := signettest.New(t, signettest.Options{API: func(c *api.Config) {
		c.PublicReads = false
		c.ReaderTokens = []string{"reader-one", "reader-two"}
	}})
	ctx := context.Background()
	k := e.Register(t, "alice")
	if _, err := e.Client.Submit(ctx, k, []byte(`{"a":1}`)); err != nil {
		t.Fatal(err)
	}
	reads := []string{"/v1/entries", "/v1/entries/0", "/v1/entries/0/verify", "/verify?id=0", "/v1/checkpoint",
		"/v1/signers/alice", "/v1/proof/inclusion?index=0", "/v1/proof/consistency?from=1", "/v1/log/export"}
	for _, path := range reads {
		for _, tc := range []struct {
			token string
			want  int
		}{{"", 401}, {"wrong", 401}, {"reader-one", 200}, {"reader-two", 200}, {e.AdminToken, 200}} {
			hdr := http.Header{}
			if tc.token != "" {
				hdr.Set("Authorization", "Bearer "+tc.token)
			}
			r, err := e.Client.Do(ctx, "GET", path, "", nil, hdr)
			if err != nil {
				t.Fatal(err)
			}
			if r.Status != tc.want {
				t.Errorf("GET %s with token %q = %d, want %d", path, tc.token, r.Status, tc.want)
			}
		}
	}
	for _, path := range []string{"/healthz", "/readyz", "/v1/log/key", "/v1/nonce"} {
		r, err := e.Client.Do(ctx, "GET", path, "", nil, nil)
		if err != nil || r.Status >= 400 {
			t.Errorf("GET %s without token = %v, %v; want open", path, r.Status, err)
		}
	}
	// A reader token is not an admin token.
	r, _ := e.Client.Do(ctx, "POST", "/v1/signers/alice/keys/x/revoke", "application/json", []byte(`{"reason":"x"}`),
		http.Header{"Authorization": {"Bearer reader-one"}})
	if r.Status != 401 {
		t.Errorf("operator revoke with a reader token = %d, want 401", r.Status)
	}
}

// TestRateLimits: per address and per kid, 429 with Retry-After, and the
// log does not change.
func TestRateLimits(t *testing.T) {
	e := signettest.New(t, signettest.Options{API: func(c *api.Config) {
		c.RateLimit = api.RateLimit{PerAddr: 0.5, Burst: 8}
	}})
	ctx := context.Background()
	var limited int
	for i := 0; i < 12; i++ {
		r, err := e.Client.Do(ctx, "GET", "/v1/entries", "", nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		if r.Status == 429 {
			limited++
			if r.Header.Get("Retry-After") == "" {
				t.Errorf("429 without Retry-After")
			}
		}
	}
	if limited < 3 {
		t.Errorf("per-address limit: %d of 12 requests limited, want at least 3", limited)
	}

	e = signettest.New(t, signettest.Options{API: func(c *api.Config) {
		c.RateLimit = api.RateLimit{PerKID: 0.5, Burst: 3}
	}})
	k := e.Register(t, "alice")
	before := e.Size(t)
	ok, limited := 0, 0
	for i := 0; i < 6; i++ {
		_, err := e.Client.Submit(ctx, k, []byte(`{"n":1}`))
		switch {
		case err == nil:
			ok++
		case signettest.IsProblem(err, "rateLimited"):
			limited++
		default:
			t.Fatalf("Submit = %v", err)
		}
	}
	if ok != 3 || limited != 3 || e.Size(t) != before+3 {
		t.Errorf("per-kid limit: %d accepted, %d limited, log grew %d; want 3, 3, 3", ok, limited, e.Size(t)-before)
	}
}
