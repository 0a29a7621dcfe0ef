package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/signet-ledger/signet/client"
	"github.com/signet-ledger/signet/internal/signettest"
)

// TestFlow walks the newcomer's path: register, submit, read, list, verify.
func TestFlow(t *testing.T) {
	e := signettest.New(t, signettest.Options{})
	ctx := context.Background()
	k := e.Register(t, "alice")
	for i := 0; i < 3; i++ {
		a, err := e.Client.Submit(ctx, k, []byte(fmt.Sprintf(`{"journal_id":"JE%06d","amount":"16453.24"}`, i)))
		if err != nil {
			t.Fatalf("Submit = %v", err)
		}
		if a.Index != int64(i+1) || a.Signer != "alice" || a.Kind != "entry" || a.Existing {
			t.Errorf("Submit = index %d signer %q kind %q existing %v", a.Index, a.Signer, a.Kind, a.Existing)
		}
		if a.Location != fmt.Sprintf("/v1/entries/%d", a.Index) {
			t.Errorf("Location = %q", a.Location)
		}
	}
	r, err := e.Client.Entry(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	var p map[string]any
	if err := json.Unmarshal(r.Payload, &p); err != nil || p["journal_id"] != "JE000001" {
		t.Errorf("Entry(2).Payload = %s", r.Payload)
	}
	if r.JWS == nil || r.JWS.Signature == "" {
		t.Errorf("Entry(2) has no JWS")
	}
	for i := int64(0); i < 4; i++ {
		v, err := e.Client.Verify(ctx, i)
		if err != nil {
			t.Fatal(err)
		}
		if !v.Verified || v.Signer.Signer != "alice" || len(v.Problems) != 0 {
			t.Errorf("Verify(%d) = %+v", i, v)
		}
	}
	page, err := e.Client.Entries(ctx, client.Query{Limit: 2})
	if err != nil || len(page.Entries) != 2 || page.Next == nil || *page.Next != "1" {
		t.Fatalf("Entries(limit 2) = %+v, %v", page, err)
	}
	page, err = e.Client.Entries(ctx, client.Query{After: *page.Next, Limit: 2})
	if err != nil || len(page.Entries) != 2 || page.Entries[0].Index != 2 {
		t.Fatalf("Entries(after 1) = %+v, %v", page, err)
	}
	page, err = e.Client.Entries(ctx, client.Query{After: "3"})
	if err != nil || len(page.Entries) != 0 || page.Next != nil {
		t.Fatalf("Entries(after 3) = %+v, %v", page, err)
	}
}
