package memstore

import (
	"fmt"

	"github.com/signet-ledger/signet/ledger"
)

// constraint is the error of a Write that breaks the schema.
func constraint(format string, args ...any) error {
	return fmt.Errorf("memstore: constraint violated: "+format, args...)
}

// stage writes b into v's top layer, in the real stores' order: records,
// stored hashes, new signers, new keys, revocations (a key may be added
// and revoked in one batch), spent nonces, and last the head, guarded by size, the head
// size the transaction read. On an error the top layer holds part of b
// and must be dropped.
func stage(v view, b *ledger.Batch, size int64) error {
	top := v.top()
	for _, r := range b.Records {
		if err := stageRecord(v, r); err != nil {
			return err
		}
	}
	for _, h := range b.Hashes {
		if _, ok := v.hash(h.Index); ok {
			return constraint("tree_hashes: stored hash %d exists", h.Index)
		}
		top.hashes[h.Index] = &hashRow{Hash: append([]byte(nil), h.Hash[:]...)}
	}
	for _, sg := range b.NewSigners {
		if _, ok := v.signer(sg.ID); ok {
			return constraint("signers: signer %q exists", sg.ID)
		}
		top.signers[sg.ID] = &signerRow{ID: sg.ID, RegisteredAt: sg.RegisteredAt, RegisteredUS: sg.RegisteredTime.UnixMicro()}
	}
	for _, k := range b.NewKeys {
		if _, ok := v.key(k.KID); ok {
			return constraint("signer_keys: key %s exists", k.KID)
		}
		if _, ok := v.signer(k.Signer); !ok {
			return constraint("signer_keys: key %s of signer %q, who does not exist", k.KID, k.Signer)
		}
		top.keys[k.KID] = newKeyRow(k)
		top.keysOf[k.Signer] = append(top.keysOf[k.Signer], k.KID)
	}
	for _, k := range b.Revoked {
		row, ok := v.key(k.KID)
		if !ok || k.Revocation == nil {
			return fmt.Errorf("memstore: revoking key %s: no such key, or no revocation", k.KID)
		}
		top.keys[k.KID] = row.revoked(k.Revocation)
	}
	for _, n := range b.Spent {
		if v.spent(n) {
			return constraint("spent_nonces: nonce %q is spent", n)
		}
		top.spent[n] = b.SpentTime.UnixMicro()
	}
	if !b.ForgetBefore.IsZero() {
		top.forget = b.ForgetBefore.UnixMicro()
	}
	if v.head().Size != size {
		return fmt.Errorf("memstore: the log head moved under the lock")
	}
	if len(b.Records) > 0 { // a batch of only spent nonces leaves the head
		top.head = newHeadRow(b.Head)
	}
	return nil
}

// stageRecord adds r to v's top layer: it must be the next record, and
// its nonce unused.
func stageRecord(v view, r *ledger.Record) error {
	top := v.top()
	switch next := v.next(); {
	case r.Index < next:
		return constraint("records: record %d exists", r.Index)
	case r.Index > next:
		return fmt.Errorf("memstore: record %d does not follow record %d: a batch's records run on from the head", r.Index, next-1)
	}
	if r.Nonce != "" {
		if v.byNonce(r.Nonce) != nil {
			return constraint("records: the nonce of record %d was used", r.Index)
		}
		top.nonces[r.Nonce] = r.Index
	}
	top.records = append(top.records, newRecordRow(r))
	return nil
}
