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
	return signet.BuildReceipt(ctx, logReceipts{l, cp.Size}, index, cp)
}

// logReceipts is the log as a [signet.ReceiptSource], its keys as the
// replay of the key records of the tree of size knows them.
type logReceipts struct {
	l    *Log
	size int64
}

func (s logReceipts) ProvedRecord(ctx context.Context, i, size int64) (*signet.WireRecord, []tlog.Hash, error) {
	rec, err := s.l.Record(ctx, i)
	if err != nil {
		return nil, nil, err
	}
	p, err := s.l.ProveInclusion(ctx, i, size)
	if err != nil {
		return nil, nil, err
	}
	return rec.Wire(), p.Proof, nil
}

func (s logReceipts) KeyEvents(ctx context.Context, _, kid string) (int64, *int64, bool, error) {
	k, ok, err := s.l.reg.key(ctx, kid, s.size)
	if err != nil || !ok {
		return 0, nil, false, err
	}
	var revoked *int64
	if k.Revocation != nil {
		revoked = &k.Revocation.At
	}
	return k.AddedAt, revoked, true, nil
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
