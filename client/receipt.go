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
	r, err := signet.BuildReceipt(ctx, receipts{c, cp}, index, cp)
	if err != nil {
		return nil, err
	}
	if r.Record.Kind != string(signet.KindRegistered) && r.Record.KID != "" && r.Key == nil {
		return nil, verifyFailed("the server lists no key %s for signer %q within the checkpoint", r.Record.KID, r.Record.Signer)
	}
	return r, nil
}

// receipts is the server as a [signet.ReceiptSource]: each record's hash
// and inclusion in cp are checked as they arrive.
type receipts struct {
	c  *Client
	cp *signet.Checkpoint
}

func (s receipts) ProvedRecord(ctx context.Context, i, _ int64) (*signet.WireRecord, []tlog.Hash, error) {
	return s.c.provedRecord(ctx, i, s.cp)
}

func (s receipts) KeyEvents(ctx context.Context, signer, kid string) (int64, *int64, bool, error) {
	sg, err := s.c.Signer(ctx, signer)
	if err != nil {
		return 0, nil, false, fmt.Errorf("signet: fetching signer %q's keys: %w", signer, err)
	}
	for _, k := range sg.Keys {
		if k.KID == kid {
			return k.LogIndex, k.RevokedAtIndex, true, nil
		}
	}
	return 0, nil, false, nil
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
