package api_test

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/signet-ledger/signet/client"
	"github.com/signet-ledger/signet/internal/signettest"
)

// TestMatchEntries: GET /v1/entries?match= returns the entries whose
// payload contains the object, combined with signer and paged by next,
// each entry showing the payload that was signed.
func TestMatchEntries(t *testing.T) {
	e := signettest.New(t, signettest.Options{})
	ctx := context.Background()
	alice, bob := e.Register(t, "alice"), e.Register(t, "bob")
	var idx []int64
	for i, p := range []string{
		`{"journal_id":"JE000001","amount":1,"memo":"caf\u00e9"}`,
		`{"journal_id":"JE000002","amount":1.0}`,
		`{"journal_id":"JE000001","amount":2,"memo":"café"}`,
	} {
		k := alice
		if i == 1 {
			k = bob
		}
		a, err := e.Client.Submit(ctx, k, []byte(p))
		if err != nil {
			t.Fatalf("Submit(%s) = %v", p, err)
		}
		idx = append(idx, a.Record.Index)
	}
	for _, c := range []struct {
		q    client.Query
		want []int64
	}{
		{client.Query{Match: `{"journal_id":"JE000001"}`}, []int64{idx[0], idx[2]}},
		{client.Query{Match: `{"amount":1}`}, []int64{idx[0], idx[1]}},
		{client.Query{Match: `{"amount":1}`, Signer: "bob"}, []int64{idx[1]}},
		{client.Query{Match: `{"memo":"café"}`, Limit: 1}, []int64{idx[0], idx[2]}},
		{client.Query{Match: `{"journal_id":"JE000009"}`}, nil},
	} {
		var got []int64
		for r, err := range e.Client.Records(ctx, c.q) {
			if err != nil {
				t.Fatalf("Records(%+v) = %v", c.q, err)
			}
			if !strings.Contains(string(r.Payload), `"journal_id"`) {
				t.Errorf("Records(%+v): record %d shows payload %s", c.q, r.Index, r.Payload)
			}
			got = append(got, r.Index)
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("Records(%+v) = %v, want %v", c.q, got, c.want)
		}
	}
}

// TestMatchBadInput: a match that is not one strict JSON object of at most
// 4096 bytes is a 400 malformed problem.
func TestMatchBadInput(t *testing.T) {
	e := signettest.New(t, signettest.Options{})
	for _, m := range []string{"", "{", "[1]", "1", `"x"`, "null", `{"a":1,"a":2}`, `{"a":1} x`, `{"a":1e400}`,
		`{"a":"` + strings.Repeat("x", 4100) + `"}`, strings.Repeat("[", 70)} {
		r := httpGet(t, e.Client, "/v1/entries?match="+url.QueryEscape(m))
		expectProblem(t, "GET /v1/entries?match="+trim(m), r, 400, "malformed")
	}
}

func trim(s string) string {
	if len(s) > 20 {
		return s[:20] + "..."
	}
	return s
}

// TestSignerDirectory: GET /v1/signers pages through the signers in id
// order with their key counts; one whose every key is revoked is
// inactive. Bad paging parameters are 400s.
func TestSignerDirectory(t *testing.T) {
	e := signettest.New(t, signettest.Options{})
	ctx := context.Background()
	for _, id := range []string{"carol", "alice", "bob"} {
		e.Register(t, id)
	}
	bobKey, err := e.Client.Signer(ctx, "bob")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Client.RevokeAsOperator(ctx, "bob", bobKey.Keys[0].KID, client.RevokeRequest{Reason: "left"}); err != nil {
		t.Fatal(err)
	}
	var got []string
	for s, err := range e.Client.Signers(ctx, 1) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, s.Signer+" "+s.Status)
		want := map[string][2]int{"alice": {1, 0}, "bob": {0, 1}, "carol": {1, 0}}[s.Signer]
		if s.ActiveKeys != want[0] || s.RevokedKeys != want[1] {
			t.Errorf("signer %s: %d active, %d revoked keys; want %v", s.Signer, s.ActiveKeys, s.RevokedKeys, want)
		}
	}
	if want := []string{"alice active", "bob inactive", "carol active"}; !slices.Equal(got, want) {
		t.Errorf("Signers = %v, want %v", got, want)
	}
	p, err := e.Client.SignersPage(ctx, "alice", 0)
	if err != nil || len(p.Signers) != 2 || p.Next != nil {
		t.Errorf("SignersPage(after alice) = %+v, %v; want bob and carol, no next", p, err)
	}
	for _, q := range []string{"limit=0", "limit=1001", "limit=x", "after=Alice", "after=" + strings.Repeat("a", 129)} {
		expectProblem(t, "GET /v1/signers?"+q, httpGet(t, e.Client, "/v1/signers?"+q), 400, "malformed")
	}
}
