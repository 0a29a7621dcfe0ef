package api

import (
	"strconv"
	"testing"
)

// FuzzParseIndex: the index and tree-size parser of every read and proof
// endpoint accepts exactly the canonical decimal spelling.
func FuzzParseIndex(f *testing.F) {
	for _, s := range []string{"0", "1", "007", "-1", "+1", "", "9223372036854775807", "9223372036854775808", "1e3", " 1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseIndex("index", s)
		if err != nil {
			return
		}
		if n < 0 || strconv.FormatInt(n, 10) != s {
			t.Fatalf("ParseIndex(%q) = %d: not canonical", s, n)
		}
	})
}
