package ui

import (
	"fmt"
	"html/template"
	"net/url"
	"time"

	"github.com/signet-ledger/signet/ledger"
)

var funcs = template.FuncMap{
	"when":    when,
	"iso":     func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	"ago":     ago,
	"kind":    kindWords,
	"keyhash": func(h uint32) string { return fmt.Sprintf("%08x", h) },
	"deref":   func(p *int64) int64 { return *p },
	"path":    url.PathEscape,
}

// when is a time as the pages show it: UTC, to the second.
func when(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

// ago is how long before now t was, in words.
func ago(t time.Time) string {
	d := time.Since(t)
	switch {
	case d < 0:
		return "in the future"
	case d < time.Minute:
		return plural(int(d/time.Second), "second") + " ago"
	case d < time.Hour:
		return plural(int(d/time.Minute), "minute") + " ago"
	case d < 48*time.Hour:
		return plural(int(d/time.Hour), "hour") + " ago"
	}
	return plural(int(d/(24*time.Hour)), "day") + " ago"
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}

// kindWords says what a kind of record is.
func kindWords(k ledger.Kind) string {
	switch k {
	case ledger.KindEntry:
		return "Journal entry"
	case ledger.KindRegistered:
		return "Signer registered"
	case ledger.KindKeyAdded:
		return "Key added"
	case ledger.KindKeyRevoked:
		return "Key revoked"
	}
	return string(k)
}
