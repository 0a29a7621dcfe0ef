package ui_test

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/signet-ledger/signet"
	"github.com/signet-ledger/signet/internal/signettest"
	"github.com/signet-ledger/signet/ledger"
)

// search fills the search form with signer, kind and match, sends it, and
// returns the status and the indexes of the records found.
func (tb *tab) search(signer, kind, match string) (int64, string) {
	tb.t.Helper()
	tb.open(tb.base + "/ui/search")
	for _, f := range [][2]string{{"#signer", signer}, {"#kind", kind}, {"#match", match}} {
		tb.eval(`document.querySelector(` + jsonString(f[0]) + `).value = ` + jsonString(f[1]))
	}
	code := tb.click(`form.search button`)
	return code, tb.found()
}

// found is the records a search page lists, as "5 8 10".
func (tb *tab) found() string {
	tb.t.Helper()
	var out []string
	for _, s := range tb.texts("section[aria-labelledby=results] tbody td:first-child") {
		out = append(out, strings.TrimPrefix(s, "Record "))
	}
	return strings.Join(out, " ")
}

// checkSearch: the search form's payload field selects exactly the
// records whose payload contains the object, nested objects and arrays
// and numbers by value included, combined with signer and kind, paged
// with the match kept; a malformed match gets the API's message, 400.
func checkSearch(t *testing.T, tb *tab, s *site, shoot bool) {
	tb.base = s.URL
	for _, c := range []struct {
		name, signer, kind, match, want string
	}{
		{"nested object", "", "", `{"period":{"quarter":1}}`, "5 8 10 12"},
		{"nested object, one signer", "alice", "", `{"period":{"quarter":1}}`, "8 10 12"},
		{"array element, number by value", "", "", `{"lines":[{"account":"1200","amount":7.0}]}`, "10"},
		{"two members at two depths", "", "", `{"journal_id":"JE8","period":{"quarter":2}}`, "11"},
		{"entries only", "", "entry", `{"journal_id":"JE4"}`, "5"},
		{"no record of that kind", "", "signer.registered", `{"journal_id":"JE4"}`, ""},
		{"no match", "", "", `{"period":{"quarter":3}}`, ""},
		{"empty field is no filter", "bob", "", "", "1 5"},
	} {
		code, got := tb.search(c.signer, c.kind, c.match)
		if code != 200 || got != c.want {
			t.Errorf("%s: search(signer %q, kind %q, match %s) = %d, records %q; want 200, %q", c.name, c.signer, c.kind, c.match, code, got, c.want)
		}
	}
	if v := tb.eval(`document.querySelector("#match").value`); v != "" {
		t.Errorf("match field after an empty search = %q", v)
	}
	if shoot {
		tb.search("alice", "entry", `{"period":{"quarter":1}}`)
		tb.screenshot("ui-search.png")
	}
	// Seven records of 2024, five to a page: the next page keeps the match.
	tb.search("", "", `{"period":{"year":2024}}`)
	if got := tb.found(); got != "5 8 9 10 11" {
		t.Errorf("first page of 2024 = %q", got)
	}
	if v := tb.eval(`document.querySelector("#match").value`); v != `{"period":{"year":2024}}` {
		t.Errorf("match field = %q, want the match searched", v)
	}
	if code := tb.click(`a[rel=next]`); code != 200 || tb.found() != "12 13" {
		t.Errorf("second page of 2024 = %d, %q; want 12 13", code, tb.found())
	}
	contains(t, "second page's address", tb.location(), "match="+url.QueryEscape(`{"period":{"year":2024}}`), "after=11")
	if n := tb.eval(`document.querySelectorAll('a[rel=next]').length`); n != float64(0) {
		t.Error("the last page links to a next page")
	}
	// A malformed match: 400 and the API's problem, in words.
	bad := `{"period":{"quarter":1},"period":{"quarter":2}}`
	if code, _ := tb.search("", "", bad); code != 400 {
		t.Errorf("malformed match = %d, want 400", code)
	}
	contains(t, "malformed match page", tb.text("main"), "Error 400", apiDetail(t, s, bad))
	tb.noDialogs()
}

// apiDetail is the detail of the problem GET /v1/entries answers for match.
func apiDetail(t *testing.T, s *site, match string) string {
	t.Helper()
	resp, body := get(t, s, "/v1/entries?match="+url.QueryEscape(match), "Authorization", "Bearer "+readerToken)
	var p struct{ Detail string }
	if err := json.Unmarshal([]byte(body), &p); err != nil || resp.StatusCode != 400 || p.Detail == "" {
		t.Fatalf("GET /v1/entries?match=%s = %d %q, want a 400 problem", match, resp.StatusCode, body)
	}
	return p.Detail
}

// TestMalformedMatchIsTheAPIsProblem: every malformed match the API
// refuses gets the search page's 400 with the API's own detail.
func TestMalformedMatchIsTheAPIsProblem(t *testing.T) {
	s := sqliteSite(t, access{public: true})
	for _, m := range []string{`[1]`, `"x"`, `{"a":1,"a":2}`, `{"a":`, `{"A":1} {}`, `{"n":1e}`, `{"s":"` + strings.Repeat("x", ledger.MaxMatchBytes) + `"}`} {
		want := apiDetail(t, s, m)
		resp, body := get(t, s, "/ui/search?match="+url.QueryEscape(m))
		if resp.StatusCode != 400 || !strings.Contains(html.UnescapeString(body), want) {
			t.Errorf("GET /ui/search?match=%.40s = %d, want 400 saying %q", m, resp.StatusCode, want)
		}
	}
}

// checkSigners: the directory is linked from the header and the
// overview, lists each signer with its key counts and links to its page,
// and pages by signer id.
func checkSigners(t *testing.T, tb *tab, s *site) {
	tb.open(s.URL + "/ui/")
	if n := tb.eval(`document.querySelectorAll('#directory-link[href="/ui/signers"]').length`); n != float64(1) {
		t.Error("the overview does not link to the signer directory")
	}
	if code := tb.click(`nav[aria-label=Main] a[href="/ui/signers"]`); code != 200 {
		t.Fatalf("signer directory = %d", code)
	}
	rows := tb.texts("main tbody tr")
	if len(rows) != 2 || !strings.HasPrefix(rows[0], "alice at record 0") || !strings.HasSuffix(rows[0], "1 1 can sign") ||
		!strings.HasPrefix(rows[1], "bob at record 1") || !strings.HasSuffix(rows[1], "1 0 can sign") {
		t.Errorf("directory = %q", rows)
	}
	// One to a page: alice, then bob, and no page after the last.
	tb.open(s.URL + "/ui/signers?limit=1")
	var pages []string
	for {
		pages = append(pages, strings.Join(tb.texts("main tbody td:first-child"), ","))
		if n := tb.eval(`document.querySelectorAll('a[rel=next]').length`); n == float64(0) || len(pages) > 3 {
			break
		}
		tb.click(`a[rel=next]`)
	}
	if strings.Join(pages, "|") != "alice|bob" {
		t.Errorf("directory pages of one = %q, want alice|bob", pages)
	}
	contains(t, "second page's address", tb.location(), "after=alice", "limit=1")
	if code := tb.click(`main tbody a[href="/ui/signers/bob"]`); code != 200 || tb.text("h1") != "Signer bob" {
		t.Errorf("bob's link = %d to %q", code, tb.text("h1"))
	}
	tb.noDialogs()
}

// checkWitnessed stores two witnesses' cosignatures of the latest
// checkpoint, made with their keys, as signetd stores a witness's answer:
// the checkpoint the API serves meets a policy that needs both, and the
// overview lists each cosignature with its time and age.
func checkWitnessed(t *testing.T, tb *tab, s *site) {
	ctx := context.Background()
	cp, err := s.Log.Checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c, err := signet.ParseCheckpointUnverified(cp)
	if err != nil {
		t.Fatal(err)
	}
	w1, w2 := signettest.NewWitness(t, "witness.example/one"), signettest.NewWitness(t, "witness.example/two")
	if err := s.Store.AddCosignatures(ctx, ledger.Cosigned{Size: c.Size, Checkpoint: cp, Cosignatures: []ledger.Cosignature{
		{Witness: w1.VKey, Line: w1.Line(t, cp)}, {Witness: w2.VKey, Line: w2.Line(t, cp)}}}); err != nil {
		t.Fatal(err)
	}
	policy, err := signet.ParsePolicy([]byte(fmt.Sprintf("log %s\nwitness W1 %s\nwitness W2 %s\ngroup both all W1 W2\nquorum both\n", s.LogKey, w1.VKey, w2.VKey)))
	if err != nil {
		t.Fatal(err)
	}
	if _, body := get(t, s, "/v1/checkpoint"); policy.Check([]byte(body)) != nil {
		t.Fatalf("the served checkpoint does not meet a policy of both witnesses: %v\n%s", policy.Check([]byte(body)), body)
	}
	tb.open(s.URL + "/ui/")
	sigs := tb.texts("ul.sigs li")
	age := regexp.MustCompile(`witness cosignature at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC \((\d+) seconds? ago\)$`)
	if len(sigs) != 3 || !strings.Contains(sigs[0], "the log's signature") {
		t.Fatalf("signatures = %q, want the log's and two witnesses'", sigs)
	}
	for i, name := range []string{w1.Name, w2.Name} {
		if !strings.HasPrefix(sigs[i+1], name+" key ") || !age.MatchString(sigs[i+1]) {
			t.Errorf("signature %d = %q, want %s's cosignature with its age", i+1, sigs[i+1], name)
		}
	}
	times := tb.eval(`[...document.querySelectorAll("ul.sigs time")].map(e => e.getAttribute("datetime"))`)
	for _, v := range times.([]any) {
		if at, err := time.Parse(time.RFC3339, v.(string)); err != nil || time.Since(at) > time.Minute || time.Since(at) < -time.Second {
			t.Errorf("cosignature time %v, want within the last minute", v)
		}
	}
	contains(t, "overview", tb.text("section[aria-labelledby=tree]"), "Records", "14")
	if strings.Contains(tb.text("main"), "No witness has cosigned") {
		t.Error("the overview says no witness cosigned")
	}
	tb.noDialogs()
}
