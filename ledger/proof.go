package ledger

import (
	"context"
	"fmt"

	"golang.org/x/mod/sumdb/tlog"
	"golang.org/x/sync/errgroup"
)

// InclusionProof proves that record Index is in the tree of TreeSize records.
type InclusionProof struct {
	Index    int64
	TreeSize int64
	LeafHash tlog.Hash // SHA-256(0x00 || record hash)
	Proof    tlog.RecordProof
	// Checkpoint is the signed note of TreeSize with its cosignatures (as
	// [Log.Checkpoint]), when TreeSize is the latest checkpoint's size;
	// nil otherwise.
	Checkpoint []byte
}

// ConsistencyProof proves that the tree of From records is a prefix of the
// tree of To records.
type ConsistencyProof struct {
	From, To   int64
	Proof      tlog.TreeProof
	Checkpoint []byte // as in InclusionProof, for To
}

// treeSize resolves a requested tree size: 0 means the latest checkpoint.
func (l *Log) treeSize(ctx context.Context, size int64) (int64, Head, error) {
	h, err := l.store.Head(ctx)
	if err != nil {
		return 0, h, err
	}
	switch {
	case size < 0:
		return 0, h, malformedf("a tree size cannot be negative")
	case size > h.Size:
		return 0, h, malformedf("tree size %d is beyond the log's %d records", size, h.Size)
	case size == 0 && h.Size == 0:
		return 0, h, malformedf("the log is empty: there is no tree to prove against")
	case size == 0:
		return h.Size, h, nil
	}
	return size, h, nil
}

// ProveInclusion proves record index in the tree of treeSize records
// (0 means the latest checkpoint). It reads O(log n) stored hashes.
func (l *Log) ProveInclusion(ctx context.Context, index, treeSize int64) (*InclusionProof, error) {
	t, h, err := l.treeSize(ctx, treeSize)
	if err != nil {
		return nil, err
	}
	if index < 0 || index >= t {
		return nil, malformedf("index %d is not in a tree of %d records", index, t)
	}
	p := &InclusionProof{Index: index, TreeSize: t}
	var g errgroup.Group
	g.Go(func() (err error) {
		p.Proof, p.LeafHash, err = l.proveRecord(ctx, t, index)
		if err != nil {
			return fmt.Errorf("ledger: proving record %d in tree %d: %w", index, t, err)
		}
		return nil
	})
	if t == h.Size {
		g.Go(func() (err error) {
			p.Checkpoint, err = l.cosigned(ctx, h)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return p, nil
}

// proveRecord proves record index in the tree of size records and reads
// the record's stored leaf hash with the proof's hashes, in one read.
func (l *Log) proveRecord(ctx context.Context, size, index int64) (tlog.RecordProof, tlog.Hash, error) {
	leafIdx := tlog.StoredHashIndex(0, index)
	var leaf []tlog.Hash
	read := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		hs, err := l.store.ReadHashes(ctx, append(idx[:len(idx):len(idx)], leafIdx))
		if err != nil {
			return nil, err
		}
		leaf = hs[len(hs)-1:]
		return hs[:len(hs)-1], nil
	})
	proof, err := tlog.ProveRecord(size, index, read)
	if err == nil && leaf == nil { // a one-record tree needs no proof hashes
		leaf, err = l.store.ReadHashes(ctx, []int64{leafIdx})
	}
	if err != nil {
		return nil, tlog.Hash{}, err
	}
	return proof, leaf[0], nil
}

// ProveConsistency proves the tree of from records a prefix of the tree
// of to records (0 means the latest checkpoint); 1 <= from <= to.
func (l *Log) ProveConsistency(ctx context.Context, from, to int64) (*ConsistencyProof, error) {
	t, h, err := l.treeSize(ctx, to)
	if err != nil {
		return nil, err
	}
	if from < 1 || from > t {
		return nil, malformedf("from must be between 1 and the tree size %d, got %d", t, from)
	}
	proof, err := tlog.ProveTree(t, from, l.hashReader(ctx, nil))
	if err != nil {
		return nil, fmt.Errorf("ledger: proving tree %d in tree %d: %w", from, t, err)
	}
	p := &ConsistencyProof{From: from, To: t, Proof: proof}
	if t == h.Size {
		if p.Checkpoint, err = l.cosigned(ctx, h); err != nil {
			return nil, err
		}
	}
	return p, nil
}
