package ledger

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"

	"github.com/signet-ledger/signet"
	"github.com/signet-ledger/signet/keys"
	"golang.org/x/mod/sumdb/tlog"
)

// importBatch is how many records one import transaction writes.
const importBatch = 1000

// Import loads a whole log into an empty store: records come from next in
// index order (io.EOF ends them), and cp is the signed checkpoint of
// exactly those records. Each record's hash, chain link and signature are
// checked again as it is loaded, the registry is re-derived from the key
// records, and the Merkle tree is rebuilt, as the sequencer would have
// built them: every rule of a record and R25 ([signet.CheckTree]) are
// package signet's, returned as a [*signet.RuleError]; next's errors are
// returned as they are. Records are written in batches; only the last batch sets the
// head's checkpoint, so a log whose import stopped half-way has none, and
// the sequencer refuses to append to it. It returns the number of records.
func Import(ctx context.Context, store Store, next func() (*Record, error), cp *Checkpoint) (int64, error) {
	h, err := store.Head(ctx)
	if err != nil {
		return 0, err
	}
	if h.Size != 0 {
		return 0, fmt.Errorf("ledger: import needs an empty store; this one has %d records", h.Size)
	}
	im := &importer{store: store, replay: signet.NewReplay(), hashes: map[int64]tlog.Hash{}}
	for {
		b, err := im.batch(next, cp)
		if err != nil {
			return im.n, err
		}
		if len(b.Records) == 0 {
			break
		}
		last := im.n == cp.Size
		if err := im.write(ctx, b, cp, last); err != nil {
			return im.n - int64(len(b.Records)), err
		}
		if last {
			return im.n, nil
		}
	}
	return im.n, fmt.Errorf("ledger: the import has %d records, but its checkpoint covers %d", im.n, cp.Size)
}

// importer is one import's running state.
type importer struct {
	store  Store
	replay *signet.Replay
	hashes map[int64]tlog.Hash // the tree's frontier, plus the current batch's hashes
	n      int64
	prev   Hash
	keys   keys.BatchKeyCache
}

// batch reads and checks up to importBatch records, and none beyond cp.
// Every rule of the log is applied to them as the audit does
// ([signet.Replay.NextAll], the entries' signatures checked together on
// every core), and the errors are the ones reading and checking the
// records one by one would meet first.
func (im *importer) batch(next func() (*Record, error), cp *Checkpoint) (*Batch, error) {
	var recs []*Record
	var stop error // what ended the reading early, reported after the records before it
	for len(recs) < importBatch {
		rec, err := next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			stop = err
			break
		}
		if im.n+int64(len(recs)) == cp.Size { // a record beyond the checkpoint's tree: R25, whatever the root
			stop = fmt.Errorf("ledger: import: %w", signet.CheckTree(cp, cp.Size+1, tlog.Hash{}, nil))
			break
		}
		recs = append(recs, rec)
	}
	changes, n, err := im.replay.NextAll(recs, runtime.GOMAXPROCS(0), &im.keys)
	if err != nil {
		return nil, fmt.Errorf("ledger: import: record %d: %w", recs[n].Index, err)
	}
	if stop != nil {
		return nil, stop
	}
	b := &Batch{}
	read := im.reader()
	for i, rec := range recs {
		b.add(changes[i])
		if j, err := rec.JWS(); err == nil {
			rec.Nonce = j.Header.Nonce
		}
		sh, err := tlog.StoredHashesForRecordHash(im.n, LeafHash(rec.Hash), read)
		if err != nil {
			return nil, err
		}
		for k, x := range sh {
			idx := tlog.StoredHashIndex(0, im.n) + int64(k)
			im.hashes[idx] = x
			b.Hashes = append(b.Hashes, StoredHash{idx, x})
		}
		b.Records = append(b.Records, rec)
		im.n, im.prev = im.n+1, rec.Hash
	}
	return b, nil
}

// reader reads the stored hashes held in memory; the frontier is always there.
func (im *importer) reader() tlog.HashReader {
	return tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		return readThrough(im.hashes, idx, func(miss []int64) ([]tlog.Hash, error) {
			return nil, fmt.Errorf("ledger: import: stored hash %d not in memory", miss[0])
		})
	})
}

// write commits b; the last batch carries the checkpoint, after its root
// is checked.
func (im *importer) write(ctx context.Context, b *Batch, cp *Checkpoint, last bool) error {
	b.Head = Head{Size: im.n, Hash: im.prev}
	read := im.reader()
	if last {
		root, err := tlog.TreeHash(im.n, read)
		if err != nil {
			return err
		}
		if err := signet.CheckTree(cp, im.n, root, nil); err != nil {
			return fmt.Errorf("ledger: import: %w", err)
		}
		// The head holds what the log signed; cosignatures an export
		// carries are not the log's to keep (witnesses cosign again).
		b.Head.Checkpoint = cp.Signed
		if b.Head.Checkpoint == nil { // a checkpoint parsed unverified: as given
			b.Head.Checkpoint = cp.Note
		}
	}
	start := im.n - int64(len(b.Records))
	err := im.store.Sequence(ctx, func(ctx context.Context, tx Tx) error {
		snap, err := tx.Snapshot(ctx, SnapshotQuery{HashesFor: -1})
		if err != nil {
			return err
		}
		if snap.Head.Size != start {
			return fmt.Errorf("ledger: import: the store changed during the import (%d records, want %d)", snap.Head.Size, start)
		}
		return tx.Write(ctx, b)
	})
	if err != nil {
		return err
	}
	keep := make(map[int64]tlog.Hash)
	for _, idx := range Frontier(im.n) {
		keep[idx] = im.hashes[idx]
	}
	im.hashes = keep
	return nil
}
