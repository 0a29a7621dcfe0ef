package ledger_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"testing"

	"github.com/signet-ledger/signet/internal/signettest"
	"github.com/signet-ledger/signet/internal/vectors"
	"github.com/signet-ledger/signet/ledger"
	"golang.org/x/mod/sumdb/tlog"
)

// bulkMem is a Log on an in-memory store holding a bulk log of n records.
func bulkMem(t *testing.T, n int, edit func(*ledger.Config)) (*signettest.Mem, *signettest.Bulk) {
	b := signettest.NewBulk(t, n)
	m := signettest.NewMem(t, func(cfg *ledger.Config) {
		signettest.UseBulkKey(t)(cfg)
		if edit != nil {
			edit(cfg)
		}
	})
	b.Import(t, m.Store)
	return m, b
}

func logTiles(m *signettest.Mem) signettest.TileReader {
	return func(path string) ([]byte, error) {
		t, err := ledger.ParseTilePath(path)
		if err != nil {
			return nil, err
		}
		return m.Log.Tile(context.Background(), t)
	}
}

// TestTilesProveTrees: the tiles of a log of 600 records prove, through
// x/mod's TileHashReader (which checks every tile against the tree's
// root), the root of every tree size up to the log's, including sizes
// whose rightmost tiles at levels 0 and 1 are partial, and inclusion in
// them.
func TestTilesProveTrees(t *testing.T) {
	m, b := bulkMem(t, 600, nil)
	for _, size := range []int64{1, 2, 255, 256, 257, 511, 512, 513, 599, 600} {
		tree := b.Tree(t, size)
		r := tlog.TileHashReader(tree, logTiles(m))
		if h, err := tlog.TreeHash(size, r); err != nil || h != tree.Hash {
			t.Fatalf("TreeHash(%d) through the tiles = %v, %v; want %v", size, h, err, tree.Hash)
		}
		for _, i := range []int64{0, size / 2, size - 1} {
			p, err := tlog.ProveRecord(size, i, r)
			if err == nil {
				err = tlog.CheckRecord(p, size, tree.Hash, i, ledger.LeafHash(b.Records[i].Hash))
			}
			if err != nil {
				t.Fatalf("record %d in tree %d through the tiles: %v", i, size, err)
			}
		}
	}
}

// TestEntryBundles: each entry of a bundle is its record's hash with a
// big-endian uint16 length 32 before it, and its leaf hash is the hash at
// the same place in the level-0 tile.
func TestEntryBundles(t *testing.T) {
	m, b := bulkMem(t, 600, nil)
	ctx := context.Background()
	for _, x := range []ledger.Tile{{ledger.EntriesLevel, 0, 256}, {ledger.EntriesLevel, 1, 256},
		{ledger.EntriesLevel, 2, 88}, {ledger.EntriesLevel, 1, 3}} {
		bundle, err := m.Log.Tile(ctx, x)
		if err != nil {
			t.Fatalf("Tile(%s) = %v", x.Path(), err)
		}
		leaves, err := m.Log.Tile(ctx, ledger.Tile{Level: 0, N: x.N, Width: x.Width})
		if err != nil {
			t.Fatal(err)
		}
		if len(bundle) != 34*x.Width || len(leaves) != 32*x.Width {
			t.Fatalf("%s has %d bytes and its level-0 tile %d; want %d and %d", x.Path(), len(bundle), len(leaves), 34*x.Width, 32*x.Width)
		}
		for i := range x.Width {
			e := bundle[34*i : 34*(i+1)]
			rec := b.Records[x.N*256+int64(i)]
			if binary.BigEndian.Uint16(e) != 32 || !bytes.Equal(e[2:], rec.Hash[:]) {
				t.Fatalf("%s entry %d = %x, want 0020 and the hash of record %d, %s", x.Path(), i, e, rec.Index, rec.Hash)
			}
			if leaf := tlog.RecordHash(e[2:]); !bytes.Equal(leaf[:], leaves[32*i:32*(i+1)]) {
				t.Fatalf("%s entry %d: leaf hash %v, but the level-0 tile has %x", x.Path(), i, leaf, leaves[32*i:32*(i+1)])
			}
		}
	}
}

// TestTilesNotFound: tiles beyond the published tree, and every tile of
// an empty log, are ErrNotFound.
func TestTilesNotFound(t *testing.T) {
	m, _ := bulkMem(t, 600, nil)
	ctx := context.Background()
	for _, x := range []ledger.Tile{{0, 2, 256}, {0, 2, 89}, {0, 3, 1}, {1, 0, 3}, {1, 0, 256}, {2, 0, 1},
		{ledger.EntriesLevel, 2, 256}, {ledger.EntriesLevel, 2, 89}, {63, 0, 1}, {0, 1<<63 - 1, 1}} {
		if _, err := m.Log.Tile(ctx, x); !errors.Is(err, ledger.ErrNotFound) {
			t.Errorf("Tile(%s) = %v, want ErrNotFound", x.Path(), err)
		}
	}
	empty := signettest.NewMem(t, nil)
	for _, x := range []ledger.Tile{{0, 0, 1}, {ledger.EntriesLevel, 0, 1}} {
		if _, err := empty.Log.Tile(ctx, x); !errors.Is(err, ledger.ErrNotFound) {
			t.Errorf("Tile(%s) of an empty log = %v, want ErrNotFound", x.Path(), err)
		}
	}
}

// TestTileCache: a full tile, once read, is answered from memory: a
// stored hash changed behind the log's back afterwards does not change
// it, while a partial tile, never cached, and a second Log on the same
// database, with a cache of its own, show the change.
func TestTileCache(t *testing.T) {
	m, _ := bulkMem(t, 600, nil)
	ctx := context.Background()
	full, part := ledger.Tile{Level: 0, N: 0, Width: 256}, ledger.Tile{Level: 0, N: 0, Width: 10}
	before, err := m.Log.Tile(ctx, full)
	if err != nil {
		t.Fatal(err)
	}
	before = bytes.Clone(before)
	if err := m.DB.Tamper("tree_hashes", "hash", tlog.StoredHashIndex(0, 5), bytes.Repeat([]byte{0xee}, 32)); err != nil {
		t.Fatal(err)
	}
	if got, _ := m.Log.Tile(ctx, full); !bytes.Equal(got, before) {
		t.Errorf("a cached full tile changed with the store")
	}
	if got, _ := m.Log.Tile(ctx, part); !bytes.Equal(got[5*32:6*32], bytes.Repeat([]byte{0xee}, 32)) {
		t.Errorf("a partial tile does not show the store's change: %x", got[5*32:6*32])
	}
	s, v := signettest.BulkKey(t)
	l2, err := ledger.Open(ctx, ledger.Config{Store: m.DB.Open(), Signer: s, Verifier: v, Origin: vectors.Origin})
	if err != nil {
		t.Fatal(err)
	}
	defer l2.Close()
	if got, _ := l2.Tile(ctx, full); !bytes.Equal(got[5*32:6*32], bytes.Repeat([]byte{0xee}, 32)) {
		t.Errorf("a second Log's full tile does not show the store's change: %x", got[5*32:6*32])
	}
}

// failingReads is a store whose reads of stored hashes and records fail
// with err.
type failingReads struct {
	ledger.Store
	err error
}

func (f failingReads) ReadHashes(context.Context, []int64) ([]tlog.Hash, error) { return nil, f.err }
func (f failingReads) Records(context.Context, ledger.Query) ([]*ledger.Record, error) {
	return nil, f.err
}

// TestTileStoreFailures: a store that cannot be reached makes a tile
// ErrUnavailable (503, retry); one that cannot give what its tree
// contains makes it ErrCorrupt (500), never ErrNotFound, which would tell
// the client the tile does not exist.
func TestTileStoreFailures(t *testing.T) {
	m, _ := bulkMem(t, 600, nil)
	ctx := context.Background()
	s, v := signettest.BulkKey(t)
	for _, tc := range []struct {
		err, want error
	}{
		{fmt.Errorf("%w: connection lost", ledger.ErrUnavailable), ledger.ErrUnavailable},
		{fmt.Errorf("%w: no such row", ledger.ErrNotFound), ledger.ErrCorrupt},
		{errors.New("disk I/O error"), ledger.ErrCorrupt},
	} {
		l, err := ledger.Open(ctx, ledger.Config{Store: failingReads{m.DB.Open(), tc.err}, Signer: s, Verifier: v, Origin: vectors.Origin})
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		for _, x := range []ledger.Tile{{0, 0, 256}, {1, 0, 2}, {ledger.EntriesLevel, 2, 88}} {
			_, err := l.Tile(ctx, x)
			if !errors.Is(err, tc.want) || tc.want == ledger.ErrCorrupt && errors.Is(err, ledger.ErrNotFound) {
				t.Errorf("Tile(%s) with reads failing with %q = %v, want %v", x.Path(), tc.err, err, tc.want)
			}
		}
	}
}
