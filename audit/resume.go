package audit

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/bits"

	"github.com/signet-ledger/signet"
	"golang.org/x/mod/sumdb/tlog"
)

// Resume is where an audit that found no failure stopped, as
// [Summary.Resume] gives it: all that a later audit of the same log needs
// to check the records after it without reading the ones before
// ([Options.Resume]). It holds no entry, so it grows with the log's key
// records only. Its JSON form is
//
//	{"size":N,"prev_hash":"<64 hex>","tree":["<base64>",...],"key_records":[<export line>,...]}
//
// Whoever keeps it vouches for it as for a pinned checkpoint: an audit
// resumed from a changed Resume checks the log against the change.
type Resume struct {
	// Size is the number of records audited, from index 0.
	Size int64 `json:"size"`
	// Prev is the hash of record Size-1; zero when Size is 0.
	Prev signet.Hash `json:"prev_hash"`
	// Tree is the compact range of the records' Merkle tree: the roots of
	// the perfect subtrees that Size decomposes into, largest (leftmost)
	// first, one per set bit of Size.
	Tree []tlog.Hash `json:"tree"`
	// KeyRecords are the export lines of every key record among the Size
	// records, in index order.
	KeyRecords []json.RawMessage `json:"key_records"`
}

// Root returns the root of the Merkle tree of the Size records.
func (r *Resume) Root() tlog.Hash {
	c := compactRange{size: r.Size, hashes: r.Tree}
	return c.root()
}

// resume starts the audit where r stopped: the replay rebuilt from its
// key records, each line read as the audit reads a line, and the tree
// from its compact range.
func (a *auditor) resume(r *Resume) error {
	if r.Size < 0 || len(r.Tree) != bits.OnesCount64(uint64(r.Size)) {
		return fmt.Errorf("audit: the resume state: %d tree hashes for %d records", len(r.Tree), r.Size)
	}
	recs := make([]*signet.Record, 0, len(r.KeyRecords))
	for _, line := range r.KeyRecords {
		w, end, err := signet.ParseExportLine(line)
		if err == nil && end != nil {
			err = fmt.Errorf("an end line among the key records")
		}
		var rec *signet.Record
		if err == nil {
			rec, err = w.Record()
		}
		if err == nil {
			err = signet.CheckShownPayload(w.Payload, rec.Payload)
		}
		if err != nil {
			return fmt.Errorf("audit: the resume state: %w", err)
		}
		recs = append(recs, rec)
	}
	replay, err := signet.ResumeReplay(recs, r.Size, r.Prev)
	if err != nil {
		return fmt.Errorf("audit: the resume state: %w", err)
	}
	a.replay, a.last = replay, r.Prev
	a.tree = compactRange{size: r.Size, hashes: append([]tlog.Hash(nil), r.Tree...)}
	a.keyLines = append([]json.RawMessage(nil), r.KeyRecords...)
	return nil
}

// keep notes rec, just applied from line: the last hash, and the line
// if rec is a key record.
func (a *auditor) keep(rec *signet.Record, line []byte) {
	a.last = rec.Hash
	if rec.Kind != signet.KindEntry {
		a.keyLines = append(a.keyLines, bytes.Clone(line))
	}
}

// externalBeforeExport relates the checkpoint given apart to the records
// before a resumed export: of their own tree it is compared at the end
// as any other; of a smaller one it cannot be checked, the records it
// holds being unread.
func (a *auditor) externalBeforeExport() error {
	switch ext := a.external; {
	case ext.Size == 0 || ext.Size > a.tree.size:
	case ext.Size == a.tree.size:
		root := a.tree.root()
		a.extRoot = &root
	default:
		return failure(signet.RuleExternalCpoint, -1, 0, nil, "the checkpoint given apart is of %d records, before the %d the audit resumes after: it cannot be compared", ext.Size, a.tree.size)
	}
	return nil
}
