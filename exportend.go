package signet

import "golang.org/x/mod/sumdb/tlog"

// The rules of an export's end, R23 and R25, as functions of what a
// reader of the export has seen: [Audit] in package audit and every
// importer call them, so that the two cannot judge one export's end
// differently. R24, the checkpoint's signature, is [OpenCheckpoint]'s.

// NoEndLine is the R23 break of an export that ends after n records
// without its end line.
func NoEndLine(n int64) error {
	return broke(RuleEnd, ErrMalformed, "the export ends after %d records without its checkpoint line: it is truncated", n)
}

// LineAfterEnd is the R23 break of an export with a line after its end
// line.
func LineAfterEnd() error {
	return broke(RuleEnd, ErrMalformed, "a line follows the end line")
}

// CheckTreeSize applies R25 to the end line's tree_size: it is n, the
// number of records the export holds from index 0.
func (e *WireExportEnd) CheckTreeSize(n int64) error {
	if e.TreeSize != n {
		return broke(RuleTree, ErrMalformed, "the end line says tree_size %d, but the export holds %d records from index 0", e.TreeSize, n)
	}
	return nil
}

// CheckTree applies R25 to n records whose Merkle tree has root, and a
// checkpoint cp (already opened: R24) with the consistency proof from the
// records' tree to it: the checkpoint is of the records' tree itself
// (and there is no proof), or of a larger tree the proof links them to.
func CheckTree(cp *Checkpoint, n int64, root tlog.Hash, consistency tlog.TreeProof) error {
	switch {
	case cp.Size < n:
		return broke(RuleTree, ErrMalformed, "the checkpoint covers %d records, fewer than the %d exported", cp.Size, n)
	case cp.Size == n && root != cp.Root:
		return broke(RuleTree, ErrMalformed, "the Merkle root of the %d records is %s, but the checkpoint's is %s", n, root, cp.Root)
	case cp.Size == n && len(consistency) != 0:
		return broke(RuleTree, ErrMalformed, "the end line has a consistency proof, but the checkpoint is of the exported tree itself")
	case cp.Size > n && tlog.CheckTree(consistency, cp.Size, cp.Root, n, root) != nil:
		return broke(RuleTree, ErrMalformed, "the consistency proof does not link the %d records (root %s) to the checkpoint of %d", n, root, cp.Size)
	}
	return nil
}
