package ledger_test

import (
	"bytes"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/signet-ledger/signet/ledger"
	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"golang.org/x/mod/sumdb/tlog"
)

// memTree is a tlog tree held in memory: the stored hashes in a map, as
// the sequencer writes them to the tree_hashes table.
type memTree struct {
	stored map[int64]tlog.Hash
	size   int64
}

func (m *memTree) ReadHashes(idx []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(idx))
	for i, x := range idx {
		out[i] = m.stored[x]
	}
	return out, nil
}

// add appends a leaf whose data is the 32-byte record hash h.
func (m *memTree) add(t *testing.T, h ledger.Hash) {
	hs, err := tlog.StoredHashes(m.size, h[:], m)
	if err != nil {
		t.Fatalf("StoredHashes(%d) = %v", m.size, err)
	}
	base := tlog.StoredHashIndex(0, m.size)
	for k, x := range hs {
		m.stored[base+int64(k)] = x
	}
	m.size++
}

func proofBytes(p []tlog.Hash) [][]byte {
	out := make([][]byte, len(p))
	for i := range p {
		out[i] = p[i][:]
	}
	return out
}

// TestTlogProofsVerifyWithMerkleLibrary builds a tree of 100,000 random
// record hashes with tlog, the library the log uses, and checks 200 random
// inclusion proofs and 200 random consistency proofs with an independent
// implementation, github.com/transparency-dev/merkle. The roots the proofs
// are checked against come from merkle's compact ranges, not from tlog, so
// the two libraries must agree on the leaf hash, the tree shape and the
// proof encoding.
func TestTlogProofsVerifyWithMerkleLibrary(t *testing.T) {
	const n = 100_000
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rnd := rand.New(rand.NewPCG(seed, seed^0x5167))

	type incl struct{ index, size int64 }
	type cons struct{ from, to int64 }
	var inclusions []incl
	var consistencies []cons
	want := map[int64]bool{1: true, 2: true, 3: true, 1 << 16: true, n - 1: true, n: true}
	for range 200 {
		size := 1 + rnd.Int64N(n)
		inclusions = append(inclusions, incl{rnd.Int64N(size), size})
		to := 1 + rnd.Int64N(n)
		consistencies = append(consistencies, cons{1 + rnd.Int64N(to), to})
		want[size], want[to] = true, true
	}
	// Edge cases: the first and last leaf, a power-of-two boundary, and
	// equal sizes (an empty consistency proof).
	inclusions = append(inclusions, incl{0, n}, incl{n - 1, n}, incl{0, 1}, incl{1<<16 - 1, 1 << 16}, incl{1 << 16, n})
	consistencies = append(consistencies, cons{1, n}, cons{n, n}, cons{1 << 16, n}, cons{n - 1, n}, cons{1, 2}, cons{2, 3})
	for _, c := range consistencies {
		want[c.from] = true
	}

	tree := &memTree{stored: map[int64]tlog.Hash{}}
	rf := &compact.RangeFactory{Hash: rfc6962.DefaultHasher.HashChildren}
	cr := rf.NewEmptyRange(0)
	roots := map[int64][]byte{}
	leaves := make([]tlog.Hash, n)
	for i := range int64(n) {
		var h ledger.Hash
		for j := 0; j < len(h); j += 8 {
			v := rnd.Uint64()
			for b := 0; b < 8; b++ {
				h[j+b] = byte(v >> (8 * b))
			}
		}
		tree.add(t, h)
		leaf := rfc6962.DefaultHasher.HashLeaf(h[:])
		if lh := ledger.LeafHash(h); !bytes.Equal(lh[:], leaf) {
			t.Fatalf("LeafHash(%x) = %x, merkle HashLeaf = %x", h, lh, leaf)
		}
		if got := tree.stored[tlog.StoredHashIndex(0, i)]; !bytes.Equal(got[:], leaf) {
			t.Fatalf("tlog stored leaf %d = %x, merkle HashLeaf = %x", i, got, leaf)
		}
		leaves[i] = tlog.Hash(leaf)
		if err := cr.Append(leaf, nil); err != nil {
			t.Fatal(err)
		}
		if want[i+1] {
			r, err := cr.GetRootHash(nil)
			if err != nil {
				t.Fatal(err)
			}
			roots[i+1] = r
		}
	}

	sizes := make([]int64, 0, len(roots))
	for s := range roots {
		sizes = append(sizes, s)
	}
	slices.Sort(sizes)
	for _, s := range sizes {
		th, err := tlog.TreeHash(s, tree)
		if err != nil || !bytes.Equal(th[:], roots[s]) {
			t.Errorf("tlog.TreeHash(%d) = %x, %v; merkle compact range root = %x", s, th, err, roots[s])
		}
	}

	for _, c := range inclusions {
		p, err := tlog.ProveRecord(c.size, c.index, tree)
		if err != nil {
			t.Fatalf("ProveRecord(%d, %d) = %v", c.size, c.index, err)
		}
		leaf := leaves[c.index]
		if err := proof.VerifyInclusion(rfc6962.DefaultHasher, uint64(c.index), uint64(c.size), leaf[:], proofBytes(p), roots[c.size]); err != nil {
			t.Errorf("VerifyInclusion(index %d, size %d) = %v", c.index, c.size, err)
		}
		// The same proof must not prove another leaf.
		other := leaves[(c.index+1)%n]
		if other != leaf && proof.VerifyInclusion(rfc6962.DefaultHasher, uint64(c.index), uint64(c.size), other[:], proofBytes(p), roots[c.size]) == nil {
			t.Errorf("VerifyInclusion(index %d, size %d) accepted the wrong leaf", c.index, c.size)
		}
	}

	for _, c := range consistencies {
		p, err := tlog.ProveTree(c.to, c.from, tree)
		if err != nil {
			t.Fatalf("ProveTree(%d, %d) = %v", c.to, c.from, err)
		}
		if err := proof.VerifyConsistency(rfc6962.DefaultHasher, uint64(c.from), uint64(c.to), proofBytes(p), roots[c.from], roots[c.to]); err != nil {
			t.Errorf("VerifyConsistency(%d, %d) = %v", c.from, c.to, err)
		}
		if c.from == c.to {
			continue
		}
		// A proof must not link the old root to a changed new one.
		bad := bytes.Clone(roots[c.to])
		bad[0] ^= 1
		if proof.VerifyConsistency(rfc6962.DefaultHasher, uint64(c.from), uint64(c.to), proofBytes(p), roots[c.from], bad) == nil {
			t.Errorf("VerifyConsistency(%d, %d) accepted a changed new root", c.from, c.to)
		}
	}
}
