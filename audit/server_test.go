package audit_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/signet-ledger/signet"
	"github.com/signet-ledger/signet/audit"
	"github.com/signet-ledger/signet/client"
	"github.com/signet-ledger/signet/internal/signettest"
)

// TestAuditServerExport audits what a real server exports, with every
// kind of record, whole and as a prefix: the auditor reads the server's
// format, not only the test generator's.
func TestAuditServerExport(t *testing.T) {
	e := signettest.New(t, signettest.Options{})
	ctx := context.Background()
	alice, bob := e.Register(t, "alice"), e.Register(t, "bob")
	for i := range 3 {
		if _, err := e.Client.Submit(ctx, alice, fmt.Appendf(nil, `{"n":%d,"memo":"<&> \u2028"}`, i)); err != nil {
			t.Fatal(err)
		}
	}
	alice2 := signettest.Key(t)
	if _, err := e.Client.AddKey(ctx, "alice", alice, alice2); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Client.Revoke(ctx, "alice", alice.Public().Thumbprint(), alice2, client.RevokeRequest{Reason: "rotated"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Client.Submit(ctx, alice2, []byte(`{"after":"rotation"}`)); err != nil {
		t.Fatal(err)
	}
	since := int64(1)
	if _, err := e.Client.RevokeAsOperator(ctx, "bob", bob.Public().Thumbprint(), client.RevokeRequest{Reason: "lost", CompromisedSince: &since}); err != nil {
		t.Fatal(err)
	}
	for _, to := range []int64{0, 1, 4, 7} {
		var buf bytes.Buffer
		if _, err := e.Client.Export(ctx, 0, to, &buf); err != nil {
			t.Fatal(err)
		}
		s, err := audit.Audit(ctx, &buf, audit.Options{LogKey: e.LogKey})
		if err != nil {
			t.Fatalf("Audit(export to %d) = %v", to, err)
		}
		if to == 0 && (s.Records != 9 || s.Signers != 2 || s.Keys != 3 || s.Revoked != 2 || s.Checkpoint.Size != 9) {
			t.Errorf("Audit(whole export) = %+v", s)
		}
	}
	// From another index than 0, an audit cannot replay the registry.
	var buf bytes.Buffer
	if _, err := e.Client.Export(ctx, 3, 0, &buf); err != nil {
		t.Fatal(err)
	}
	_, err := audit.Audit(ctx, &buf, audit.Options{LogKey: e.LogKey})
	wantFailure(t, err, 0, signet.RuleIndex)
}
