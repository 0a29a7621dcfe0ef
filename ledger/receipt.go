package ledger

import (
	"context"
	"fmt"

	"github.com/signet-ledger/signet"
	"golang.org/x/mod/sumdb/tlog"
)

// Receipt builds the receipt ([signet.Receipt], docs/PROTOCOL.md §9) of
// record index, as `signet receipt` does over HTTP: in the newest
// checkpoint that meets the witness policy's quorum if it covers the
// record ([Log.WitnessedCheckpoint]), else in the latest ([Log.Checkpoint]),
// with every cosignature stored for it; with the record that added its
// signing key and, if the checkpoint holds one, that key's revocation,
// each with its inclusion proof. The key is the one the replay of the
// log's key records knows, not the registry tables'. It verifies nothing:
// a record changed in the database gives a receipt that fails its checks
// ([signet.Receipt.Verify]), which is how an auditor learns of it. A
// record beyond the log wraps [ErrNotFound].
func (l *Log) Receipt(ctx context.Context, index int64) (*signet.Receipt, error) {
	cp, err := l.receiptCheckpoint(ctx, index)
	if err != nil {
		return nil, err
	}
	rec, proof, err := l.provedRecord(ctx, index, cp.Size)
	if err != nil {
		return nil, err
	}
	r := &signet.Receipt{Index: index, Record: rec.Wire(), Proof: proof, Checkpoint: cp.Note}
	if rec.Kind == KindRegistered || rec.KID == "" {
		return r, nil
	}
	k, ok, err := l.reg.key(ctx, rec.KID, cp.Size)
	if err != nil {
		return nil, err
	}
	if !ok || k.AddedAt >= cp.Size {
		return r, nil // no key to carry: the receipt's key check fails, as it should
	}
	if r.Key, err = l.receiptRecord(ctx, k.AddedAt, cp.Size); err != nil {
		return nil, err
	}
	if k.Revocation != nil && k.Revocation.At < cp.Size {
		if r.Revocation, err = l.receiptRecord(ctx, k.Revocation.At, cp.Size); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// receiptCheckpoint is the checkpoint a receipt of record index uses.
func (l *Log) receiptCheckpoint(ctx context.Context, index int64) (*Checkpoint, error) {
	h, err := l.store.Head(ctx)
	if err != nil {
		return nil, err
	}
	if index < 0 || index >= h.Size {
		return nil, fmt.Errorf("%w: the log has %d records; there is no record %d", ErrNotFound, h.Size, index)
	}
	if l.cfg.Witnesses != nil {
		if msg, err := l.WitnessedCheckpoint(ctx); err == nil {
			if cp, err := OpenCheckpoint(msg, l.cfg.Origin, l.cfg.Verifier); err == nil && cp.Size > index {
				return cp, nil
			}
		}
	}
	msg, err := l.cosigned(ctx, h)
	if err != nil {
		return nil, err
	}
	cp, err := OpenCheckpoint(msg, l.cfg.Origin, l.cfg.Verifier)
	if err != nil {
		return nil, fmt.Errorf("%w: the latest checkpoint does not verify with the log's key: %w", ErrCorrupt, err)
	}
	return cp, nil
}

// provedRecord reads record i and its inclusion proof in the tree of size.
func (l *Log) provedRecord(ctx context.Context, i, size int64) (*Record, tlog.RecordProof, error) {
	rec, err := l.Record(ctx, i)
	if err != nil {
		return nil, nil, err
	}
	p, err := l.ProveInclusion(ctx, i, size)
	if err != nil {
		return nil, nil, err
	}
	return rec, p.Proof, nil
}

func (l *Log) receiptRecord(ctx context.Context, i, size int64) (*signet.ReceiptRecord, error) {
	rec, p, err := l.provedRecord(ctx, i, size)
	if err != nil {
		return nil, err
	}
	return &signet.ReceiptRecord{Record: rec.Wire(), Inclusion: p}, nil
}
