package ledger_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/signet-ledger/signet/ledger"
	"golang.org/x/mod/sumdb/tlog"
)

func TestParseTilePath(t *testing.T) {
	for _, tc := range []struct {
		path string
		want ledger.Tile
	}{
		{"tile/0/000", ledger.Tile{Level: 0, N: 0, Width: 256}},
		{"tile/0/005.p/7", ledger.Tile{Level: 0, N: 5, Width: 7}},
		{"tile/1/999", ledger.Tile{Level: 1, N: 999, Width: 256}},
		{"tile/2/x001/000", ledger.Tile{Level: 2, N: 1000, Width: 256}},
		{"tile/0/x001/x234/067", ledger.Tile{Level: 0, N: 1234067, Width: 256}},
		{"tile/0/x001/x234/067.p/8", ledger.Tile{Level: 0, N: 1234067, Width: 8}},
		{"tile/63/000.p/1", ledger.Tile{Level: 63, N: 0, Width: 1}},
		{"tile/entries/000.p/255", ledger.Tile{Level: ledger.EntriesLevel, N: 0, Width: 255}},
		{"tile/entries/x273/001", ledger.Tile{Level: ledger.EntriesLevel, N: 273001, Width: 256}},
		{"tile/0/x009/x223/x372/x036/x854/x775/807", ledger.Tile{Level: 0, N: 1<<63 - 1, Width: 256}},
	} {
		got, err := ledger.ParseTilePath(tc.path)
		if err != nil || got != tc.want {
			t.Errorf("ParseTilePath(%q) = %+v, %v; want %+v", tc.path, got, err, tc.want)
		}
		if p := tc.want.Path(); p != tc.path {
			t.Errorf("%+v.Path() = %q, want %q", tc.want, p, tc.path)
		}
	}
}

// TestParseTilePathMalformed: every path that is not the one spelling of
// a tile is ErrMalformed.
func TestParseTilePathMalformed(t *testing.T) {
	for _, path := range []string{
		"", "tile", "tile/", "tile/0", "tile/0/", "tiles/0/000", "/tile/0/000", "tile/0/000/",
		"tile/00/000", "tile/+1/000", "tile/-1/000", "tile/64/000", "tile/1e1/000", "tile/data/000", "tile/Entries/000",
		"tile/0/0", "tile/0/00", "tile/0/0000", "tile/0/5", "tile/0/-01", "tile/0/+01", "tile/0/0x1", "tile/0/abc", "tile/0/١٢٣",
		"tile/0/x000", "tile/0/x005", "tile/0/x000/005", "tile/0/001/000", "tile/0/x1/000", "tile/0/xx001/000",
		"tile/0/x001/x000", "tile/0/x001//000",
		"tile/0/000.p", "tile/0/000.p/", "tile/0/000.p/0", "tile/0/000.p/256", "tile/0/000.p/300", "tile/0/000.p/07",
		"tile/0/000.p/+7", "tile/0/000.p/7/", "tile/0/000.p/7.p/7", "tile/0/.p/7", "tile/0/000.P/7", "tile/0/000p/7",
		"tile/0/x001.p/7/000", "tile/entries/000.p/-1",
		"tile/0/x009/x223/x372/x036/x854/x775/808", "tile/0/x999/x999/x999/x999/x999/x999/x999/999",
		"tile/0/000 ", "tile/0/000\x00", "tile/0/000?x=1",
	} {
		if got, err := ledger.ParseTilePath(path); !errors.Is(err, ledger.ErrMalformed) {
			t.Errorf("ParseTilePath(%q) = %+v, %v; want ErrMalformed", path, got, err)
		}
	}
}

// FuzzParseTilePath: a path that parses is the one spelling of its tile,
// and x/mod's tlog, whose layout is the same but for the height after
// "tile/" and "data" for entries, accepts exactly the same paths (below
// level 64) and reads the same tile from them.
func FuzzParseTilePath(f *testing.F) {
	for _, s := range []string{"tile/0/000", "tile/entries/x001/x234/067.p/8", "tile/3/x000/001", "tile/0/000.p/0", "tile/data/000"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, path string) {
		tile, err := ledger.ParseTilePath(path)
		if err != nil && !errors.Is(err, ledger.ErrMalformed) {
			t.Fatalf("ParseTilePath(%q) = %v, not ErrMalformed", path, err)
		}
		if err == nil && tile.Path() != path {
			t.Fatalf("ParseTilePath(%q).Path() = %q", path, tile.Path())
		}
		rest, ok := strings.CutPrefix(path, "tile/")
		if !ok || strings.HasPrefix(rest, "data/") {
			return // x/mod's spelling of something else, or of nothing
		}
		xpath := "tile/8/" + rest
		if e, ok := strings.CutPrefix(rest, "entries/"); ok {
			xpath = "tile/8/data/" + e
		}
		x, xerr := tlog.ParseTilePath(xpath)
		if xerr == nil && x.L > 63 {
			return // a level c2sp.org/tlog-tiles does not have
		}
		want := tlog.Tile{H: 8, L: tile.Level, N: tile.N, W: tile.Width}
		if (err == nil) != (xerr == nil) || err == nil && x != want {
			t.Fatalf("ParseTilePath(%q) = %+v, %v; but tlog.ParseTilePath(%q) = %+v, %v", path, tile, err, xpath, x, xerr)
		}
	})
}

// TestTileInSpecExample: the tiles c2sp.org/tlog-tiles lists for a tree
// of 70,000 records and for one of 256, and nothing next to them.
func TestTileInSpecExample(t *testing.T) {
	type tile = ledger.Tile
	for _, tc := range []struct {
		size    int64
		in, out []tile
	}{
		{70000,
			[]tile{{0, 272, 256}, {0, 273, 112}, {ledger.EntriesLevel, 272, 256}, {ledger.EntriesLevel, 273, 112},
				{1, 0, 256}, {1, 1, 17}, {2, 0, 1}},
			[]tile{{0, 273, 256}, {0, 273, 113}, {0, 274, 1}, {ledger.EntriesLevel, 273, 113}, {1, 1, 256}, {1, 1, 18},
				{1, 2, 1}, {2, 0, 2}, {2, 0, 256}, {3, 0, 1}}},
		{256, []tile{{0, 0, 256}, {1, 0, 1}}, []tile{{0, 1, 1}, {1, 0, 2}, {2, 0, 1}}},
		{0, nil, []tile{{0, 0, 1}, {ledger.EntriesLevel, 0, 1}, {0, 0, 256}}},
		{1 << 62, []tile{{7, 0, 64}, {6, 63, 256}}, []tile{{7, 0, 65}, {6, 64, 1}, {8, 0, 1}, {63, 0, 1}}},
	} {
		for _, x := range tc.in {
			if !x.In(tc.size) {
				t.Errorf("%s.In(%d) = false, want true", x.Path(), tc.size)
			}
		}
		for _, x := range tc.out {
			if x.In(tc.size) {
				t.Errorf("%s.In(%d) = true, want false", x.Path(), tc.size)
			}
		}
	}
}

// TestTileInDefinition: Tile.In is the spec's definition, each of the
// tile's hashes the hash of a complete subtree of the tree, for every
// tile of levels 0 and 1 near trees of up to 70,000 records.
func TestTileInDefinition(t *testing.T) {
	for _, size := range []int64{0, 1, 2, 255, 256, 257, 511, 512, 65535, 65536, 65537, 70000} {
		for level := 0; level <= 2; level++ {
			span := int64(1) << (8 * level)
			for n := int64(0); n < 3; n++ {
				for w := 1; w <= 256; w++ {
					x := ledger.Tile{Level: level, N: n, Width: w}
					want := (n*256+int64(w))*span <= size
					if got := x.In(size); got != want {
						t.Fatalf("%s.In(%d) = %v, want %v", x.Path(), size, got, want)
					}
				}
			}
		}
	}
}
