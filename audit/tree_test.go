package audit

import (
	"fmt"
	"testing"

	"golang.org/x/mod/sumdb/tlog"
)

// TestCompactRange compares the folded root with tlog's for every size up
// to 300 and checks the range stays at one hash per set bit.
func TestCompactRange(t *testing.T) {
	stored := map[int64]tlog.Hash{}
	read := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			out[i] = stored[x]
		}
		return out, nil
	})
	var c compactRange
	for n := int64(0); n < 300; n++ {
		data := fmt.Appendf(nil, "leaf %d", n)
		hs, err := tlog.StoredHashes(n, data, read)
		if err != nil {
			t.Fatal(err)
		}
		for k, h := range hs {
			stored[tlog.StoredHashIndex(0, n)+int64(k)] = h
		}
		c.append(tlog.RecordHash(data))
		want, err := tlog.TreeHash(n+1, read)
		if err != nil {
			t.Fatal(err)
		}
		if got := c.root(); got != want {
			t.Fatalf("root after %d leaves = %v, want %v", n+1, got, want)
		}
		if bits := popcount(n + 1); len(c.hashes) != bits {
			t.Fatalf("after %d leaves the range holds %d hashes, want %d", n+1, len(c.hashes), bits)
		}
	}
}

func popcount(n int64) int {
	k := 0
	for ; n > 0; n &= n - 1 {
		k++
	}
	return k
}
