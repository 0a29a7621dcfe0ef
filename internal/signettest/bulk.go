package signettest

import (
	"context"
	"fmt"
	"io"
	"testing"

	"github.com/signet-ledger/signet"
	"github.com/signet-ledger/signet/internal/vectors"
	"github.com/signet-ledger/signet/ledger"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// Bulk is a valid log made offline, fast enough for tens of thousands of
// records: alice registers the conformance vectors' key A1 (record 0) and
// signs every later record, an entry, with it. It is the log of the
// vectors' log key ([vectors.LogPrivateKey], origin [vectors.Origin]):
// import it into a store opened with [BulkKey], or with "signetd import"
// and that key's file.
type Bulk struct {
	Records    []*signet.Record
	Export     []byte // the whole log as "signet export" writes it
	Checkpoint *signet.Checkpoint

	stored []tlog.Hash // the tree's stored hashes, made by Tree
}

// NewBulk returns a log of n >= 1 records.
func NewBulk(t testing.TB, n int) *Bulk {
	t.Helper()
	steps := []vectors.Step{{Kind: signet.KindRegistered, Signer: "alice", Key: vectors.A1,
		Payload: func(string) []byte { return []byte(`{"signer":"alice"}`) }}}
	for i := 1; i < n; i++ {
		p := fmt.Appendf(nil, `{"journal_id":"JE-%07d","amount":"%d.00"}`, i, i)
		steps = append(steps, vectors.Step{Kind: signet.KindEntry, Signer: "alice", Key: vectors.A1,
			Payload: func(string) []byte { return p }})
	}
	sc := vectors.Scenario{Name: "bulk", Index: -1, Steps: steps}
	x, err := sc.Build()
	if err != nil {
		t.Fatal(err)
	}
	_, verifier := BulkKey(t)
	cp, err := signet.OpenCheckpoint([]byte(x.End.Checkpoint), vectors.Origin, verifier)
	if err != nil {
		t.Fatal(err)
	}
	return &Bulk{Records: x.Records, Export: x.Bytes(), Checkpoint: cp}
}

// BulkKey returns the signer and verifier of the log key of every
// [Bulk] log.
func BulkKey(t testing.TB) (note.Signer, note.Verifier) {
	s, err := note.NewSigner(vectors.LogPrivateKey())
	if err != nil {
		t.Fatal(err)
	}
	v, err := note.NewVerifier(vectors.LogKey())
	if err != nil {
		t.Fatal(err)
	}
	return s, v
}

// UseBulkKey sets cfg to the log key and origin of [Bulk] logs.
func UseBulkKey(t testing.TB) func(*ledger.Config) {
	s, v := BulkKey(t)
	return func(cfg *ledger.Config) {
		cfg.Signer, cfg.Verifier, cfg.Origin = s, v, vectors.Origin
	}
}

// Tree returns the tree of the first n records, computed here from the
// records' hashes, not read from any store.
func (b *Bulk) Tree(t testing.TB, n int64) tlog.Tree {
	t.Helper()
	if b.stored == nil {
		for i, r := range b.Records {
			hs, err := tlog.StoredHashes(int64(i), r.Hash[:], b)
			if err != nil {
				t.Fatal(err)
			}
			b.stored = append(b.stored, hs...)
		}
	}
	h, err := tlog.TreeHash(n, b)
	if err != nil {
		t.Fatal(err)
	}
	return tlog.Tree{N: n, Hash: h}
}

// ReadHashes reads the stored hashes of the records, for [Bulk.Tree].
func (b *Bulk) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		if x < 0 || x >= int64(len(b.stored)) {
			return nil, fmt.Errorf("signettest: no stored hash %d", x)
		}
		out[i] = b.stored[x]
	}
	return out, nil
}

// TileReader is a [tlog.TileReader] of the log's tiles (height 8) that
// reads each with fetch, given its path (ledger.Tile.Path), as a client
// of c2sp.org/tlog-tiles would.
type TileReader func(path string) ([]byte, error)

// Height returns 8.
func (TileReader) Height() int { return ledger.TileHeight }

// ReadTiles fetches each tile.
func (r TileReader) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, t := range tiles {
		b, err := r(ledger.Tile{Level: t.L, N: t.N, Width: t.W}.Path())
		if err != nil {
			return nil, err
		}
		out[i] = b
	}
	return out, nil
}

// SaveTiles keeps nothing.
func (TileReader) SaveTiles([]tlog.Tile, [][]byte) {}

// Import loads the log into store, which must be empty, with
// [ledger.Import]: every record is checked as "signetd import" checks it.
func (b *Bulk) Import(t testing.TB, store ledger.Store) {
	t.Helper()
	i := 0
	next := func() (*ledger.Record, error) {
		if i == len(b.Records) {
			return nil, io.EOF
		}
		i++
		return b.Records[i-1], nil
	}
	if _, err := ledger.Import(context.Background(), store, next, b.Checkpoint); err != nil {
		t.Fatal(err)
	}
}
