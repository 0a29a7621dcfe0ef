package main

import "testing"

func TestSafe(t *testing.T) {
	for in, want := range map[string]string{
		"alice":                  "alice",
		"caf\u00e9 \u65e5\u672c": "caf\u00e9 \u65e5\u672c",
		"a\nb\r\tc":              `a\x0ab\x0d\x09c`,
		"\x1b[2J\x1b]0;t\x07":    `\x1b[2J\x1b]0;t\x07`,
		"del\x7f":                `del\x7f`,
		"c1\u009b31m":            `c1\u009b31m`,
		"\u202eevil\u202c":       `\u202eevil\u202c`,
		"\u2066x\u2069":          `\u2066x\u2069`,
		"bad\xffutf8":            `bad\xffutf8`,
		"real \ufffd":            "real \ufffd",
	} {
		if got := safe(in); got != want {
			t.Errorf("safe(%q) = %q, want %q", in, got, want)
		}
	}
	if got := safeLines("a\x1b\nb"); got != "a\\x1b\nb" {
		t.Errorf("safeLines = %q", got)
	}
}
