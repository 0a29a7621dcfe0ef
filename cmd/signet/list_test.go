package main

import (
	"net/http"
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
