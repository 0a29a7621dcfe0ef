package signet

import (
	"context"
	"fmt"

	"golang.org/x/mod/sumdb/tlog"
)

// A ReceiptSource is what [BuildReceipt] reads a log through: the server's
// engine, or a client over HTTP.
type ReceiptSource interface {
	// ProvedRecord returns record i in export form with its inclusion
	// proof in the tree of size records.
	ProvedRecord(ctx context.Context, i, size int64) (*WireRecord, []tlog.Hash, error)
	// KeyEvents returns the index of the record that added signer's key
	// kid and, if the key is revoked, the index of its revocation; ok is
	// false if the log has no such key.
	KeyEvents(ctx context.Context, signer, kid string) (added int64, revoked *int64, ok bool, err error)
}

// BuildReceipt assembles the receipt of record index in the checkpoint cp
// (docs/PROTOCOL.md §9): the record and its inclusion proof in cp's tree
// and, unless the record is a registration or the operator's, the record
// that added its signing key and, if cp's tree holds it, that key's
// revocation, each with its inclusion proof in the same tree. A key the
// source does not know, or one added after cp, is left out: the receipt's
// key check then fails, as it should. It checks nothing itself; verify
// the result ([Receipt.Verify]) before handing it on.
func BuildReceipt(ctx context.Context, src ReceiptSource, index int64, cp *Checkpoint) (*Receipt, error) {
	if index < 0 || index >= cp.Size {
		return nil, fmt.Errorf("signet: record %d is not in the checkpoint of size %d", index, cp.Size)
	}
	w, p, err := src.ProvedRecord(ctx, index, cp.Size)
	if err != nil {
		return nil, err
	}
	r := &Receipt{Index: index, Record: w, Proof: p, Checkpoint: cp.Note}
	if w.Kind == string(KindRegistered) || w.KID == "" {
		return r, nil
	}
	added, revoked, ok, err := src.KeyEvents(ctx, w.Signer, w.KID)
	if err != nil || !ok || added >= cp.Size {
		return r, err
	}
	if r.Key, err = receiptRecord(ctx, src, added, cp.Size); err != nil {
		return nil, err
	}
	if revoked != nil && *revoked < cp.Size {
		if r.Revocation, err = receiptRecord(ctx, src, *revoked, cp.Size); err != nil {
			return nil, err
		}
	}
	return r, nil
}

func receiptRecord(ctx context.Context, src ReceiptSource, i, size int64) (*ReceiptRecord, error) {
	w, p, err := src.ProvedRecord(ctx, i, size)
	if err != nil {
		return nil, err
	}
	return &ReceiptRecord{Record: w, Inclusion: p}, nil
}
