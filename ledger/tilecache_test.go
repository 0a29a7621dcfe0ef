package ledger

import (
	"bytes"
	"testing"
)

// TestTileCacheBound: the cache never holds more than its bound of bytes,
// drops the least recently used tile first, and keeps nothing when its
// bound is 0 or negative.
func TestTileCacheBound(t *testing.T) {
	c := newTileCache(3 * 100)
	tile := func(n int64) Tile { return Tile{Level: 0, N: n, Width: TileWidth} }
	data := func(n int64) []byte { return bytes.Repeat([]byte{byte(n)}, 100) }
	for n := range int64(3) {
		c.add(tile(n), data(n))
	}
	c.get(tile(0)) // 1 is now the least recently used
	c.add(tile(3), data(3))
	if tiles, b := c.size(); tiles != 3 || b != 300 {
		t.Errorf("size() = %d tiles, %d bytes; want 3, 300", tiles, b)
	}
	for n, want := range []bool{true, false, true, true} {
		got, ok := c.get(tile(int64(n)))
		if ok != want || ok && !bytes.Equal(got, data(int64(n))) {
			t.Errorf("get(tile %d) = %x, %v; want held %v", n, got, ok, want)
		}
	}
	c.add(tile(9), make([]byte, 301))
	if _, ok := c.get(tile(9)); ok {
		t.Errorf("the cache kept a tile larger than its bound")
	}
	for _, max := range []int64{0, -1} {
		off := newTileCache(max)
		off.add(tile(0), data(0))
		if _, ok := off.get(tile(0)); ok {
			t.Errorf("a cache bounded by %d kept a tile", max)
		}
	}
}
