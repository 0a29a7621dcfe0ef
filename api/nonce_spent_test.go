package api_test

import (
	"context"
	"strings"
	"testing"

	"github.com/signet-ledger/signet"
	"github.com/signet-ledger/signet/client"
	"github.com/signet-ledger/signet/internal/signettest"
)

// TestRefusedRequestSpendsItsNonce: a request whose signature verified and
// that the log refused uses up its nonce, as an accepted one does, on every
// server of the log. A self-revocation refused for being the last key,
// captured and replayed after the signer added a key, used to succeed.
func TestRefusedRequestSpendsItsNonce(t *testing.T) {
	e := signettest.New(t, signettest.Options{})
	ctx := context.Background()
	k := e.Register(t, "alice")
	kid := k.Public().Thumbprint()
	nonce, err := e.Client.Nonce(ctx)
	if err != nil {
		t.Fatal(err)
	}
	path := signet.RevokePath("alice", kid)
	j, err := e.Client.Sign(client.Signer{Key: k}, path, nonce, []byte(`{"reason":"retired"}`))
	if err != nil {
		t.Fatal(err)
	}
	captured := j.Flattened()
	r, err := e.Client.Do(ctx, "POST", path, "application/jose+json", captured, nil)
	if err != nil || r.Status != 409 {
		t.Fatalf("revoking the last key = %v, %v; want 409", r, err)
	}
	if _, err := e.Client.AddKey(ctx, "alice", k, signettest.Key(t)); err != nil {
		t.Fatal(err)
	}
	before := e.Size(t)
	for _, srv := range []*signettest.Env{e, e.Second(t)} {
		r, err := srv.Client.Do(ctx, "POST", path, "application/jose+json", captured, nil)
		if err != nil {
			t.Fatal(err)
		}
		if r.Status != 400 || !strings.Contains(string(r.Body), "badNonce") {
			t.Errorf("the captured refused request replayed at %s = %d %s; want 400 badNonce", srv.URL, r.Status, r.Body)
		}
	}
	if e.Size(t) != before {
		t.Errorf("the replay changed the log: %d records, want %d", e.Size(t), before)
	}
}
