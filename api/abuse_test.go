package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/signet-ledger/signet/api"
	"github.com/signet-ledger/signet/client"
	"github.com/signet-ledger/signet/internal/signettest"
	"github.com/signet-ledger/signet/keys"
)

// attacker is a client at another address: the server trusts the test's
// loopback proxy, so X-Forwarded-For sets the address it sees.
func attacker(addr string) http.Header { return http.Header{"X-Forwarded-For": {addr}} }

// forged signs a request for /v1/entries that names victim's kid but is
// signed by another key: its signature does not verify.
func forged(t *testing.T, e *signettest.Env, victim keys.PrivateKey, payload string) []byte {
	t.Helper()
	nonce, err := e.Client.Nonce(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	j, err := signettest.Key(t).Sign(keys.Header{Alg: "EdDSA", Kid: victim.Public().Thumbprint(), Nonce: nonce,
		URL: e.URL + "/v1/entries"}, []byte(payload))
	if err != nil {
		t.Fatal(err)
	}
	return j.Flattened()
}

func abuseEnv(t *testing.T, rl api.RateLimit) *signettest.Env {
	return signettest.New(t, signettest.Options{API: func(c *api.Config) {
		c.RateLimit = rl
		c.TrustedProxies = []string{"127.0.0.1"}
	}})
}

// TestForgedRequestsDoNotSpendTheSignersBudget: requests under a victim's
// kid whose signatures do not verify cost the victim's key nothing; they
// cost their own address, which is soon refused outright. Before, the kid
// was charged before the signature was checked, and anyone could silence
// a signer (and stop them revoking a stolen key).
func TestForgedRequestsDoNotSpendTheSignersBudget(t *testing.T) {
	e := abuseEnv(t, api.RateLimit{PerKID: 1, Failures: 1, Burst: 5})
	victim := e.Register(t, "victim")
	ctx := context.Background()
	statuses := map[int]int{}
	for i := 0; i < 30; i++ {
		r, err := e.Client.Do(ctx, "POST", "/v1/entries", "application/jose+json", forged(t, e, victim, `{"forged":true}`), attacker("203.0.113.7"))
		if err != nil {
			t.Fatal(err)
		}
		statuses[r.Status]++
	}
	if statuses[400] == 0 || statuses[429] == 0 || statuses[400]+statuses[429] != 30 {
		t.Errorf("forged requests answered %v; want 400s (bad signature), then 429s once the address's failures ran out", statuses)
	}
	if statuses[400] > 7 {
		t.Errorf("%d forged requests had their signature checked; the address's failure budget is 5", statuses[400])
	}
	for i := 0; i < 5; i++ {
		if _, err := e.Client.Submit(ctx, victim, []byte(fmt.Sprintf(`{"n":%d}`, i))); err != nil {
			t.Fatalf("the victim's own request %d after the flood = %v", i, err)
		}
	}
	if _, err := e.Client.Submit(ctx, victim, []byte(`{"n":"over"}`)); !signettest.IsProblem(err, "rateLimited") {
		t.Errorf("the victim's 6th request within a second = %v; the per-kid limit must still hold for genuine requests", err)
	}
}

// TestInvalidBatchIsBoundedByTheAddressFailures: a batch of entries whose
// signatures do not verify gets only the address's failure budget
// checked; the rest are refused with 429 before any lookup or signature
// check. Every entry counts against the address's request limit.
func TestInvalidBatchIsBoundedByTheAddressFailures(t *testing.T) {
	e := abuseEnv(t, api.RateLimit{Failures: 1, Burst: 10})
	victim := e.Register(t, "victim")
	var entries [][]byte
	for i := 0; i < 300; i++ {
		entries = append(entries, forged(t, e, victim, fmt.Sprintf(`{"i":%d}`, i)))
	}
	statuses := batchStatuses(t, e, entries, "198.51.100.9")
	if statuses[400] < 10 || statuses[400] > 10+4 || statuses[429] != 300-statuses[400] {
		t.Errorf("a batch of 300 forged entries answered %v; want about 10 (the failure burst) 400s and the rest 429", statuses)
	}

	e = abuseEnv(t, api.RateLimit{PerAddr: 1, Burst: 20})
	k := e.Register(t, "alice")
	entries = nil
	for i := 0; i < 50; i++ {
		// Nonces from addresses of their own, so that only the batch
		// counts against 192.0.2.1.
		r, err := e.Client.Do(context.Background(), "HEAD", "/v1/nonce", "", nil, attacker(fmt.Sprintf("10.0.0.%d", i)))
		if err != nil || r.Header.Get("Replay-Nonce") == "" {
			t.Fatalf("HEAD /v1/nonce = %v, %v", r, err)
		}
		j, err := e.Client.Sign(client.Signer{Key: k}, "/v1/entries", r.Header.Get("Replay-Nonce"), fmt.Appendf(nil, `{"i":%d}`, i))
		if err != nil {
			t.Fatal(err)
		}
		entries = append(entries, j.Flattened())
	}
	before := e.Size(t)
	statuses = batchStatuses(t, e, entries, "192.0.2.1")
	if statuses[201] != 20 || statuses[429] != 30 || e.Size(t) != before+20 {
		t.Errorf("a batch of 50 from an address with 20 requests left answered %v, log grew %d; want 20 201s and 30 429s",
			statuses, e.Size(t)-before)
	}
}

func batchStatuses(t *testing.T, e *signettest.Env, entries [][]byte, addr string) map[int]int {
	t.Helper()
	raw := make([]json.RawMessage, len(entries))
	for i, b := range entries {
		raw[i] = b
	}
	body, _ := json.Marshal(map[string]any{"entries": raw})
	r, err := e.Client.Do(context.Background(), "POST", "/v1/entries:batch", "application/json", body, attacker(addr))
	if err != nil || r.Status != 200 {
		t.Fatalf("POST batch = %v, %v", r, err)
	}
	var out struct{ Results []client.BatchResult }
	if err := json.Unmarshal(r.Body, &out); err != nil {
		t.Fatal(err)
	}
	statuses := map[int]int{}
	for _, res := range out.Results {
		statuses[res.Status]++
	}
	return statuses
}

// TestKidMustBeAThumbprint: a kid that is not the 43-character thumbprint
// form is refused as malformed (R11) before anything looks it up or counts
// it, however long it is.
func TestKidMustBeAThumbprint(t *testing.T) {
	e := abuseEnv(t, api.RateLimit{PerKID: 100})
	k := e.Register(t, "alice")
	ctx := context.Background()
	for _, kid := range []string{strings.Repeat("A", 6000), "short", k.Public().Thumbprint() + "=", strings.Repeat("A", 42) + "B"} {
		nonce, _ := e.Client.Nonce(ctx)
		j, _ := k.Sign(keys.Header{Alg: "EdDSA", Kid: kid, Nonce: nonce, URL: e.URL + "/v1/entries"}, []byte(`{}`))
		r, err := e.Client.Do(ctx, "POST", "/v1/entries", "application/jose+json", j.Flattened(), nil)
		if err != nil {
			t.Fatal(err)
		}
		if r.Status != 400 || !strings.Contains(string(r.Body), "R11 ") || !strings.Contains(string(r.Body), "not a key thumbprint") {
			t.Errorf("kid %.20q...: %d %s; want 400 R11", kid, r.Status, r.Body)
		}
	}
}
