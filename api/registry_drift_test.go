package api_test

import (
	"context"
	"strings"
	"testing"

	"github.com/signet-ledger/signet/client"
	"github.com/signet-ledger/signet/internal/signettest"
)

// TestRegistryDriftDetected: the registry table is a copy; when a database
// administrator clears a revocation in it, verify notices that the log's
// key records say otherwise.
func TestRegistryDriftDetected(t *testing.T) {
	e := signettest.New(t, signettest.Options{})
	ctx := context.Background()
	k1 := e.Register(t, "alice")
	k2 := signettest.Key(t)
	if _, err := e.Client.AddKey(ctx, "alice", k1, k2); err != nil {
		t.Fatal(err)
	}
	a, err := e.Client.Submit(ctx, k1, []byte(`{"n":1}`))
	if err != nil {
		t.Fatal(err)
	}
	kid1 := k1.Public().Thumbprint()
	if _, err := e.Client.Revoke(ctx, "alice", kid1, k2, client.RevokeRequest{Reason: "rotated"}); err != nil {
		t.Fatal(err)
	}
	if v, err := e.Client.Verify(ctx, a.Index); err != nil || !v.Verified || v.Signer.KeyStatus != "revoked" {
		t.Fatalf("Verify before drift = %+v, %v; want verified, key revoked", v, err)
	}
	if _, err := e.DB.Exec(ctx, `UPDATE signer_keys SET revoked_at = NULL, revoked_us = NULL WHERE kid = $1`, kid1); err != nil {
		t.Fatal(err)
	}
	v, err := e.Client.Verify(ctx, a.Index)
	if err != nil {
		t.Fatal(err)
	}
	if v.Verified || v.Checks["signature"] || !strings.Contains(strings.Join(v.Problems, " "), "disagrees with the log") {
		t.Errorf("Verify after clearing the revocation in the table = %+v; want not verified, drift named", v)
	}
}
