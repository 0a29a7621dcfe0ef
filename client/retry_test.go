package client_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/signet-ledger/signet/client"
	"github.com/signet-ledger/signet/keys"
)

// TestSubmitResendsTheSameJWSAfter503: a 503 may hide a commit, so the
// client resends the identical JWS, which the server then recognises,
// rather than signing a new request that could append twice.
func TestSubmitResendsTheSameJWSAfter503(t *testing.T) {
	var mu sync.Mutex
	var bodies []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Replay-Nonce", "n"+r.Method)
		if r.Method == http.MethodHead {
			return
		}
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies = append(bodies, string(b))
		n := len(bodies)
		mu.Unlock()
		if n < 3 {
			w.Header().Set("Retry-After", "0")
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, `{"type":"urn:signet:error:unavailable","status":503}`)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		io.WriteString(w, `{"index":7,"kind":"entry"}`)
	}))
	defer srv.Close()
	k, _ := keys.GenerateKey()
	a, err := client.New(srv.URL, client.WithResendOn503(3)).Submit(context.Background(), k, []byte(`{"n":1}`))
	if err != nil || a.Index != 7 || !a.Existing {
		t.Fatalf("Submit = %+v, %v; want the existing record 7", a, err)
	}
	if len(bodies) != 3 || bodies[0] != bodies[1] || bodies[1] != bodies[2] {
		t.Errorf("sent %d bodies, identical: %v; want 3 identical", len(bodies), len(bodies) == 3 && bodies[0] == bodies[2])
	}
}
