package main

import (
	"net/http"
	"strings"
	"testing"

	"github.com/signet-ledger/signet/internal/signettest"
)

// TestListStopsWhenPagesDoNotAdvance: a server whose next page does not
// move on would have list page forever; it stops with an error instead.
func TestListStopsWhenPagesDoNotAdvance(t *testing.T) {
	e := signettest.New(t, signettest.Options{})
	grow(t, e, "alice", 4)
	for name, edit := range map[string]func(m map[string]any){
		"next goes back":       func(m map[string]any) { m["next"] = "1" },
		"empty pages go on":    func(m map[string]any) { m["entries"], m["next"] = []any{}, "3" },
		"next is the same one": func(m map[string]any) { m["entries"], m["next"] = m["entries"].([]any)[:1], "0" },
	} {
		t.Run(name, func(t *testing.T) {
			c := newCLI(t, e)
			pages := 0
			c.sys.HTTPClient = &http.Client{Transport: &lyingTransport{path: "/v1/entries", edit: func(b []byte) []byte {
				if pages++; pages > 20 {
					t.Fatalf("list asked for %d pages of a log of 4 records", pages)
				}
				return editJSON(edit)(b)
			}}}
			wantContains(t, "list: stderr", c.fails(ExitVerify, "list"), "pages do not advance")
		})
	}
}

// TestListMatch: list --match prints the entries whose payload contains
// the object; a malformed one is the server's 400, shown on stderr.
func TestListMatch(t *testing.T) {
	e := signettest.New(t, signettest.Options{})
	grow(t, e, "alice", 5) // entries {"n":1} .. {"n":4}, at indexes 1 to 4
	c := newCLI(t, e)
	out := c.ok("list", "--match", `{"n":3}`)
	if lines := strings.Split(strings.TrimSpace(out), "\n"); len(lines) != 1 || !strings.HasPrefix(lines[0], "3 ") {
		t.Errorf("list --match {\"n\":3} = %q, want the one line of record 3", out)
	}
	if out := c.ok("list", "--match", `{"n":9}`); out != "" {
		t.Errorf("list --match {\"n\":9} = %q, want nothing", out)
	}
	wantContains(t, "list --match [1]", c.fails(ExitError, "list", "--match", "[1]"), "match must be one JSON object")
}

// TestSigners: signers prints the directory, escaping nothing a signer id
// could hold, and --json gives one object per signer.
func TestSigners(t *testing.T) {
	e := signettest.New(t, signettest.Options{})
	e.Register(t, "bob")
	e.Register(t, "alice")
	c := newCLI(t, e)
	out := c.ok("signers")
	if lines := strings.Split(strings.TrimSpace(out), "\n"); len(lines) != 2 || !strings.HasPrefix(lines[0], "alice ") ||
		!strings.Contains(lines[0], " active     1 active   0 revoked") {
		t.Errorf("signers = %q, want alice then bob, each active with one key", out)
	}
	wantContains(t, "signers --json", c.ok("--json", "signers"), `{"signer":"alice","registered_at":`, `"status":"active","active_keys":1,"revoked_keys":0}`)
}
