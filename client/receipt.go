package client

import (
	"context"
	"fmt"

	"github.com/signet-ledger/signet"
	"golang.org/x/mod/sumdb/tlog"
)

// Receipt builds the receipt ([signet.Receipt]) of record index in cp, a
// checkpoint the caller has opened with the log's key: it fetches the
// record, its inclusion proof in cp's tree and, unless the record is a
// registration or the operator's, the record that added its signing key
// with that record's proof, and the key's revocation with its proof if
// the server lists one within cp. Each record's hash and inclusion in cp
// are checked as they arrive; a failure wraps [ErrVerification]. The
// caller should still verify the result ([signet.Receipt.Verify]) before
// handing it on.
func (c *Client) Receipt(ctx context.Context, index int64, cp *signet.Checkpoint) (*signet.Receipt, error) {
	if index >= cp.Size {
		return nil, verifyFailed("record %d is not in the checkpoint of size %d", index, cp.Size)
	}
	w, p, err := c.provedRecord(ctx, index, cp)
	if err != nil {
		return nil, err
	}
	r := &signet.Receipt{Index: index, Record: w, Proof: p, Checkpoint: cp.Note}
	if w.Kind == string(signet.KindRegistered) || w.KID == "" {
		return r, nil
	}
	s, err := c.Signer(ctx, w.Signer)
	if err != nil {
		return nil, fmt.Errorf("signet: fetching signer %q's keys: %w", w.Signer, err)
	}
	for _, k := range s.Keys {
		if k.KID != w.KID {
			continue
		}
		if r.Key, err = c.receiptRecord(ctx, k.LogIndex, cp); err != nil {
			return nil, err
		}
		if k.RevokedAtIndex != nil && *k.RevokedAtIndex < cp.Size {
			if r.Revocation, err = c.receiptRecord(ctx, *k.RevokedAtIndex, cp); err != nil {
				return nil, err
			}
		}
		return r, nil
	}
	return nil, verifyFailed("the server lists no key %s for signer %q", w.KID, w.Signer)
}

// provedRecord fetches record i in export form with its inclusion proof
// in cp, both checked.
func (c *Client) provedRecord(ctx context.Context, i int64, cp *signet.Checkpoint) (*signet.WireRecord, []tlog.Hash, error) {
	r, err := c.Entry(ctx, i)
	if err != nil {
		return nil, nil, fmt.Errorf("signet: fetching record %d: %w", i, err)
	}
	rec, err := LedgerRecord(r)
	if err != nil {
		return nil, nil, verifyFailed("%v", err)
	}
	if err := CheckRecordHash(rec); err != nil {
		return nil, nil, err
	}
	p, err := c.InclusionProof(ctx, i, cp.Size)
	if err != nil {
		return nil, nil, fmt.Errorf("signet: fetching the inclusion proof of record %d: %w", i, err)
	}
	if err := VerifyInclusion(rec, p, cp); err != nil {
		return nil, nil, err
	}
	return ExportForm(r), p.Hashes, nil
}

func (c *Client) receiptRecord(ctx context.Context, i int64, cp *signet.Checkpoint) (*signet.ReceiptRecord, error) {
	w, p, err := c.provedRecord(ctx, i, cp)
	if err != nil {
		return nil, err
	}
	return &signet.ReceiptRecord{Record: w, Inclusion: p}, nil
}
