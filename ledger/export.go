package ledger

import (
	"context"

	"golang.org/x/mod/sumdb/tlog"
)

// ExportEnd closes an export: the checkpoint the export is checked
// against and, when the export stops before the checkpoint's tree, the
// consistency proof from the exported tree to it.
type ExportEnd struct {
	TreeSize    int64 // size of the exported prefix (the export's "to")
	Checkpoint  []byte
	Consistency tlog.TreeProof // from TreeSize to the checkpoint's size; empty if equal
}

// exportPage is how many records one read of an export fetches: the
// export holds at most this many in memory, whatever the log's size.
const exportPage = 1000

// Export calls emit for each record with from <= index < to in index
// order (to 0 means the latest checkpoint's size), reading a page at a
// time, and returns the checkpoint to check them against.
func (l *Log) Export(ctx context.Context, from, to int64, emit func(*Record) error) (*ExportEnd, error) {
	t, h, err := l.treeSize(ctx, to)
	if err != nil {
		return nil, err
	}
	if from < 0 || from > t {
		return nil, malformedf("from must be between 0 and %d, got %d", t, from)
	}
	for after := from - 1; after < t-1; {
		recs, err := l.store.Records(ctx, Query{After: after, Limit: exportPage})
		if err != nil {
			return nil, err
		}
		if len(recs) == 0 {
			break
		}
		for _, r := range recs {
			if r.Index >= t {
				return l.exportEnd(ctx, t, h)
			}
			if err := emit(r); err != nil {
				return nil, err
			}
		}
		after = recs[len(recs)-1].Index
	}
	return l.exportEnd(ctx, t, h)
}

func (l *Log) exportEnd(ctx context.Context, t int64, h Head) (*ExportEnd, error) {
	// The checkpoint with every cosignature collected for it, so that an
	// export audits against a witness policy.
	cp, err := l.cosigned(ctx, h)
	if err != nil {
		return nil, err
	}
	end := &ExportEnd{TreeSize: t, Checkpoint: cp}
	if t < h.Size {
		p, err := tlog.ProveTree(h.Size, t, l.hashReader(ctx, nil))
		if err != nil {
			return nil, err
		}
		end.Consistency = p
	}
	return end, nil
}
