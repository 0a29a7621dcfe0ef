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

// TestRegistryRowTheLogDoesNotBack: a database administrator inserts a key
// row for alice that no key record made. The key signs nothing (the log's
// registry does not know it), the intrusion is named, and alice's appends
// are refused until the tables are repaired, with nothing written.
func TestRegistryRowTheLogDoesNotBack(t *testing.T) {
	e := signettest.New(t, signettest.Options{})
	ctx := context.Background()
	alice := e.Register(t, "alice")
	if r := submitWith(t, e, alice, `{"n":1}`); r.Status != 201 {
		t.Fatalf("submit = %d %s", r.Status, r.Body)
	}
	mallory := signettest.Key(t)
	if _, err := e.DB.Exec(ctx, `INSERT INTO signer_keys (kid, signer, x, added_at, added_us) VALUES ($1, 'alice', $2, 1, 0)`,
		mallory.Public().Thumbprint(), mallory.Public().JWK().X); err != nil {
		t.Fatal(err)
	}
	before := keyStateOf(t, e)
	expectProblem(t, "entry signed by a key only the tables know", submitWith(t, e, mallory, `{"n":2}`), 400, "unknownKey")
	r := submitWith(t, e, alice, `{"n":3}`)
	if r.Status != 500 || !strings.Contains(string(r.Body), "internal") {
		t.Errorf("alice's entry beside a forged row = %d %s, want 500: the tables are corrupt", r.Status, r.Body)
	}
	if after := keyStateOf(t, e); after != before {
		t.Errorf("refused appends changed the log: %+v -> %+v", before, after)
	}
	if _, err := e.DB.Exec(ctx, `DELETE FROM signer_keys WHERE kid = $1`, mallory.Public().Thumbprint()); err != nil {
		t.Fatal(err)
	}
	if r := submitWith(t, e, alice, `{"n":4}`); r.Status != 201 {
		t.Errorf("alice's entry after the row is removed = %d %s, want 201", r.Status, r.Body)
	}
}
