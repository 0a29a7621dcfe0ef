package ledger

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"

	"golang.org/x/mod/sumdb/tlog"
)

// Tile returns the contents of t in the published tree, the tree of the
// latest checkpoint ([Log.Checkpoint]), as c2sp.org/tlog-tiles serves
// them:
//
//   - a Merkle tree tile is its Width hashes, 32 bytes each, in order
//     ([tlog.ReadTileData] over the stored hashes);
//   - an entry bundle is, for each of its Width records in index order,
//     the big-endian uint16 32 and the record's 32-byte hash, so that the
//     RFC 6962 leaf hash of an entry, SHA-256(0x00 || entry), is the
//     record's leaf hash ([LeafHash]), the hash at the same place in the
//     level-0 tile.
//
// A tile the published tree does not contain ([Tile.In]) is an error
// wrapping [ErrNotFound]; so is every tile of an empty log. A store that
// cannot be reached gives [ErrUnavailable]; one that lacks what the tree
// contains, or fails otherwise, [ErrCorrupt]. Full tiles are
// answered from a cache bounded by [Config.TileCache] without reading the
// store. The returned slice may be shared: the caller must not modify it.
func (l *Log) Tile(ctx context.Context, t Tile) ([]byte, error) {
	if t.Full() {
		if b, ok := l.tiles.get(t); ok {
			return b, nil
		}
	}
	h, err := l.store.Head(ctx)
	if err != nil {
		return nil, err
	}
	if !t.In(h.Size) {
		return nil, fmt.Errorf("%w: %s is not in the published tree of %d records", ErrNotFound, t.Path(), h.Size)
	}
	var b []byte
	if t.Level == EntriesLevel {
		b, err = l.entryBundle(ctx, t)
	} else {
		b, err = tlog.ReadTileData(tlog.Tile{H: TileHeight, L: t.Level, N: t.N, W: t.Width}, l.hashReader(ctx, nil))
	}
	switch {
	case errors.Is(err, ErrUnavailable) || ctx.Err() != nil:
		return nil, fmt.Errorf("ledger: reading %s: %w", t.Path(), err)
	case err != nil:
		return nil, fmt.Errorf("%w: %s is in the tree of %d records, but the store cannot give it (%v)", ErrCorrupt, t.Path(), h.Size, err)
	}
	if t.Full() {
		l.tiles.add(t, b)
	}
	return b, nil
}

// entryBundle reads the records of bundle t, all of which the tree
// contains, and returns their hashes with their length prefixes.
func (l *Log) entryBundle(ctx context.Context, t Tile) ([]byte, error) {
	first := t.N * TileWidth
	recs, err := l.store.Records(ctx, Query{After: first - 1, Limit: t.Width})
	if err != nil {
		return nil, err
	}
	if len(recs) != t.Width {
		return nil, fmt.Errorf("ledger: the store has %d of records %d to %d", len(recs), first, first+int64(t.Width)-1)
	}
	b := make([]byte, 0, t.Width*(2+len(Hash{})))
	for i, r := range recs {
		if r.Index != first+int64(i) {
			return nil, fmt.Errorf("ledger: record %d is missing from the store", first+int64(i))
		}
		b = binary.BigEndian.AppendUint16(b, uint16(len(r.Hash)))
		b = append(b, r.Hash[:]...)
	}
	return b, nil
}
