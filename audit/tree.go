package audit

import "golang.org/x/mod/sumdb/tlog"

// compactRange folds leaf hashes into the RFC 6962 Merkle tree of the
// leaves appended so far, keeping only the roots of the perfect subtrees
// the tree's size decomposes into: one per set bit of the size, so at most
// 64 hashes whatever the number of leaves.
type compactRange struct {
	size   int64
	hashes []tlog.Hash // roots of perfect subtrees, largest (leftmost) first
}

// append adds the next leaf, merging equal-sized subtrees as a binary
// counter carries.
func (c *compactRange) append(leaf tlog.Hash) {
	c.hashes = append(c.hashes, leaf)
	for n := c.size; n&1 == 1; n >>= 1 {
		l := len(c.hashes)
		c.hashes[l-2] = tlog.NodeHash(c.hashes[l-2], c.hashes[l-1])
		c.hashes = c.hashes[:l-1]
	}
	c.size++
}

// root returns the tree hash of the leaves so far, as [tlog.TreeHash]
// computes it: the subtrees hashed together from the right.
func (c *compactRange) root() tlog.Hash {
	if len(c.hashes) == 0 {
		return tlog.Hash{}
	}
	h := c.hashes[len(c.hashes)-1]
	for i := len(c.hashes) - 2; i >= 0; i-- {
		h = tlog.NodeHash(c.hashes[i], h)
	}
	return h
}
