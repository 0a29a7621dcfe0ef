package main

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// safe returns s fit for a terminal: every rune that could move the
// cursor, start an escape sequence or reorder the text shown is written
// as an escape instead. That is C0 controls (newline and ESC included),
// DEL and C1 controls, as \xNN or \u00NN; the bidirectional overrides and
// isolates U+202A to U+202E and U+2066 to U+2069, and the line and
// paragraph separators U+2028 and U+2029, as \uNNNN; and each byte that
// is not UTF-8, as \xNN. Every string the server supplied passes
// through it before a human sees it; --json output does not, as its
// encoder escapes what JSON needs and keeps the rest exact.
func safe(s string) string {
	if !strings.ContainsFunc(s, unsafeRune) && utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for i, r := range s {
		switch {
		case r == utf8.RuneError && !strings.HasPrefix(s[i:], "\uFFFD"):
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r < 0x80 && unsafeRune(r):
			fmt.Fprintf(&b, `\x%02x`, r)
		case unsafeRune(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func unsafeRune(r rune) bool {
	return r < 0x20 || r >= 0x7f && r <= 0x9f || r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069 || r == 0x2028 || r == 0x2029
}

// safeLines is [safe] for a text of several lines: each line is made
// safe and the newlines kept.
func safeLines(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = safe(l)
	}
	return strings.Join(lines, "\n")
}
