package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

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

// TestBatchBytesInFlightAreBounded: batches charge their size to a
// server-wide budget before their bodies are read; one that does not fit
// is answered 503 unread, with Retry-After, and its entries can be sent
// again. Before, concurrent largest batches were bounded only by the
// number of connections, at about 7 times their body each.
func TestBatchBytesInFlightAreBounded(t *testing.T) {
	const limit = 1 << 20
	e := signettest.New(t, signettest.Options{API: func(c *api.Config) {
		c.MaxBatchBody, c.BatchBytesInFlight = limit, limit
	}})
	k := e.Register(t, "alice")

	// A batch that declares the whole budget and sends its body slowly
	// holds it until its body is read.
	pr, pw := io.Pipe()
	t.Cleanup(func() { pw.CloseWithError(errors.New("test over")) }) // before the server closes
	slow, err := http.NewRequest("POST", e.URL+"/v1/entries:batch", pr)
	if err != nil {
		t.Fatal(err)
	}
	slow.ContentLength = limit
	slow.Header.Set("Content-Type", "application/json")
	done := make(chan int, 1)
	go func() {
		r, err := http.DefaultClient.Do(slow)
		if err != nil {
			done <- 0
			return
		}
		r.Body.Close()
		done <- r.StatusCode
	}()
	if _, err := pw.Write([]byte(`{"entries": [`)); err != nil {
		t.Fatal(err)
	}

	// Until the server reads the slow batch it holds no charge: probe
	// with an empty batch (400 when it gets in, 503 when it does not).
	for deadline := time.Now().Add(10 * time.Second); ; {
		r, err := e.Client.Do(context.Background(), "POST", "/v1/entries:batch", "application/json", []byte(`{"entries":[]}`), nil)
		if err != nil {
			t.Fatal(err)
		}
		if r.Status == 503 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("while a batch of the whole budget was being read, another batch answered %d", r.Status)
		}
		time.Sleep(5 * time.Millisecond)
	}
	j, err := e.Client.Sign(client.Signer{Key: k}, "/v1/entries", nonce(t, e), []byte(`{"n":1}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(map[string]any{"entries": []json.RawMessage{j.Flattened()}})
	before := e.Size(t)
	r, err := e.Client.Do(context.Background(), "POST", "/v1/entries:batch", "application/json", body, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != 503 || r.Header.Get("Retry-After") == "" || !strings.Contains(string(r.Body), "urn:signet:error:unavailable") {
		t.Fatalf("a batch over the budget answered %d %s (Retry-After %q); want 503 unavailable with Retry-After",
			r.Status, r.Body, r.Header.Get("Retry-After"))
	}
	if e.Size(t) != before {
		t.Fatalf("the refused batch wrote %d records", e.Size(t)-before)
	}

	// The slow batch ends (malformed, as it happens); its charge is
	// returned and the same entry, same nonce, goes through.
	pw.Write(bytes.Repeat([]byte(" "), limit-len(`{"entries": [`)))
	pw.Close()
	if st := <-done; st != 400 {
		t.Errorf("the slow malformed batch answered %d, want 400", st)
	}
	r, err = e.Client.Do(context.Background(), "POST", "/v1/entries:batch", "application/json", body, nil)
	if err != nil || r.Status != 200 || !strings.Contains(string(r.Body), `"status":201`) || e.Size(t) != before+1 {
		t.Fatalf("the batch sent again answered %v %s, %v; want its entry appended", r.Status, r.Body, err)
	}
}

func nonce(t *testing.T, e *signettest.Env) string {
	t.Helper()
	n, err := e.Client.Nonce(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}
