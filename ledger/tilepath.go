package ledger

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// TileHeight is the height of every tile of the log's tile API
// (c2sp.org/tlog-tiles): a full tile holds TileWidth = 2^8 hashes, or
// entries.
const (
	TileHeight = 8
	TileWidth  = 1 << TileHeight
)

// EntriesLevel is the Level of an entry bundle in a [Tile].
const EntriesLevel = -1

// maxTileLevel is the highest level a tile path may name.
const maxTileLevel = 63

// Tile names one resource of c2sp.org/tlog-tiles: a Merkle tree tile, or
// an entry bundle.
//
// The tile at level L (0 to 63) and index N holds Width consecutive
// hashes of level 8·L of the tree, starting with hash N·256: hash i of
// it is the Merkle tree hash of records (N·256+i)·256^L up to, not
// including, (N·256+i+1)·256^L. Level 0 holds leaf hashes. The entry
// bundle N holds records N·256 to N·256+Width-1.
type Tile struct {
	Level int   // 0 to 63, or EntriesLevel
	N     int64 // the tile's index within its level, from 0
	Width int   // 1 to 255 for a partial tile, TileWidth for a full one
}

// Full reports whether t is a full tile (or entry bundle), which never
// changes once the tree contains it.
func (t Tile) Full() bool { return t.Width == TileWidth }

// Path returns t's path below the log's tile prefix, as c2sp.org/tlog-tiles
// spells it: "tile/<L>/<N>[.p/<W>]" or "tile/entries/<N>[.p/<W>]", where N
// is written in groups of three digits, every group but the last
// prefixed with "x" (1234067 is "x001/x234/067"), and ".p/<W>" follows a
// partial tile only.
func (t Tile) Path() string {
	level := "entries"
	if t.Level != EntriesLevel {
		level = strconv.Itoa(t.Level)
	}
	p := "tile/" + level + "/" + tileIndexPath(t.N)
	if !t.Full() {
		p += ".p/" + strconv.Itoa(t.Width)
	}
	return p
}

// tileIndexPath is n in three-digit groups, all but the last with "x".
func tileIndexPath(n int64) string {
	s := fmt.Sprintf("%03d", n%1000)
	for n >= 1000 {
		n /= 1000
		s = fmt.Sprintf("x%03d/%s", n%1000, s)
	}
	return s
}

// ParseTilePath parses a tile path as [Tile.Path] writes it. It accepts
// exactly that spelling: a level with a leading zero, an index with a
// leading all-zero group ("x000/005"), a width of 0 or 256, or anything
// else Path would not write is refused with an error wrapping
// [ErrMalformed]. It does not say whether the tile is in the tree (see
// [Tile.In]).
func ParseTilePath(path string) (Tile, error) {
	t, err := parseTilePath(path)
	if err != nil {
		return Tile{}, fmt.Errorf("%w: %q is not a tile path: %s", ErrMalformed, path, err)
	}
	if want := t.Path(); want != path {
		return Tile{}, malformedf("%q is not a tile path: the one spelling of that tile is %q", path, want)
	}
	return t, nil
}

// parseTilePath reads the parts of path without checking that it is the
// canonical spelling.
func parseTilePath(path string) (Tile, error) {
	parts := strings.Split(path, "/")
	if len(parts) < 3 || parts[0] != "tile" {
		return Tile{}, fmt.Errorf("it must be tile/<level>/<index> or tile/entries/<index>")
	}
	t := Tile{Level: EntriesLevel, Width: TileWidth}
	if parts[1] != "entries" {
		l, err := strconv.Atoi(parts[1])
		if err != nil || l < 0 || l > maxTileLevel {
			return Tile{}, fmt.Errorf("the level must be entries or a decimal integer from 0 to %d", maxTileLevel)
		}
		t.Level = l
	}
	groups := parts[2:]
	if n := len(groups); n >= 2 && strings.HasSuffix(groups[n-2], ".p") {
		w, err := strconv.Atoi(groups[n-1])
		if err != nil || w < 1 || w >= TileWidth {
			return Tile{}, fmt.Errorf("a partial tile's width must be a decimal integer from 1 to %d", TileWidth-1)
		}
		t.Width = w
		groups = append(groups[:n-2:n-2], strings.TrimSuffix(groups[n-2], ".p"))
	}
	for i, g := range groups {
		if i < len(groups)-1 {
			var ok bool
			if g, ok = strings.CutPrefix(g, "x"); !ok {
				return Tile{}, fmt.Errorf("every group of the index but the last begins with x")
			}
		}
		d, ok := threeDigits(g)
		if !ok {
			return Tile{}, fmt.Errorf("the index is written in groups of three decimal digits")
		}
		if t.N > (math.MaxInt64-d)/1000 {
			return Tile{}, fmt.Errorf("the index is too large")
		}
		t.N = t.N*1000 + d
	}
	return t, nil
}

// threeDigits parses exactly three ASCII decimal digits.
func threeDigits(s string) (int64, bool) {
	if len(s) != 3 {
		return 0, false
	}
	var n int64
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// In reports whether the tree of size records contains t: whether each of
// its Width hashes is the hash of a complete subtree of that tree (for an
// entry bundle: whether its records are all below size). A full tile is
// in every tree from the size that completes it on; a partial tile of
// width W at level L is in every tree that has at least its
// (N·256+W)·256^L records, whether or not the full tile exists too: it is
// the rightmost tile of the tree of exactly that size, so a client that
// holds that tree's checkpoint can fetch it.
func (t Tile) In(size int64) bool {
	level := max(t.Level, 0)
	if level*TileHeight > 62 || size < 0 || t.N < 0 || t.Width < 1 || t.Width > TileWidth {
		return false // one hash of the tile would span more than the 2^62 records any tree may hold
	}
	spans := size >> (level * TileHeight) // complete subtrees of the level in the tree
	w := int64(t.Width)
	return w <= spans && t.N <= (spans-w)/TileWidth
}
