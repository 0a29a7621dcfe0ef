package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/signet-ledger/signet/internal/signettest"
)

// hostile holds runes that would drive a terminal: a cursor move, an OSC
// title change, a C1 CSI, DEL, a bidi override and a forged line.
const hostile = "\x1b[2J\x1b]0;pwned\x07\u009b31m\x7f\u202eevil\u2066\nrecord 1: verified"

// TestServerStringsAreEscaped: what the server supplies reaches a
// terminal escaped, in every human output; --json keeps it exact.
func TestServerStringsAreEscaped(t *testing.T) {
	e := signettest.New(t, signettest.Options{})
	grow(t, e, "alice", 3)
	c := newCLI(t, e)
	c.ok("checkpoint")
	forge := func(m map[string]any) {
		if _, ok := m["signer"]; ok {
			m["signer"] = hostile
		}
		for _, r := range m["entries"].([]any) {
			r.(map[string]any)["signer"] = hostile
		}
	}
	clean := func(what, out string) {
		t.Helper()
		if strings.ContainsAny(out, "\x1b\x07\x7f\u009b\u202e\u2066") || strings.Contains(out, "\nrecord 1: verified") {
			t.Errorf("%s printed a raw server string:\n%q", what, out)
		}
		wantContains(t, what, out, `\x1b[2J\x1b]0;pwned\x07\u009b31m\x7f\u202eevil\u2066\x0arecord 1: verified`)
	}
	c.sys.HTTPClient = &http.Client{Transport: &lyingTransport{path: "/v1/entries", edit: editJSON(forge)}}
	clean("list", c.ok("list"))
	var r struct{ Signer string }
	if err := json.Unmarshal([]byte(strings.SplitN(c.ok("list", "--json"), "\n", 2)[0]), &r); err != nil || r.Signer != hostile {
		t.Errorf("list --json signer = %q, %v; want it exact", r.Signer, err)
	}
	c.sys.HTTPClient = &http.Client{Transport: &lyingTransport{path: "/v1/entries/1", edit: editJSON(func(m map[string]any) {
		m["signer"], m["payload"] = hostile, map[string]any{"memo": "\u202eevil\u0085"}
	})}}
	out := c.ok("get", "1")
	clean("get", out)
	wantContains(t, "get: the payload", out, `"memo": "\u202eevil\u0085"`)
	c.sys.HTTPClient = &http.Client{Transport: &lyingTransport{path: "/v1/entries/9", edit: editJSON(func(m map[string]any) {
		m["detail"] = hostile
	})}}
	clean("a problem's detail", c.fails(ExitError, "get", "9"))
	c.sys.HTTPClient = &http.Client{Transport: &lyingTransport{path: "/v1/entries/1/verify", edit: editJSON(func(m map[string]any) {
		m["signer"].(map[string]any)["signer"] = hostile
		m["problems"] = []any{hostile}
	})}}
	out, errOut, _ := c.run("verify", "1")
	clean("verify", out+errOut)
}
