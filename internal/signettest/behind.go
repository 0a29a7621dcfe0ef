package signettest

import (
	"context"
	"encoding/base64"
	"testing"
	"time"

	"github.com/signet-ledger/signet/client"
	"github.com/signet-ledger/signet/keys"
	"github.com/signet-ledger/signet/ledger"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// WriteRuleBreak appends to s, as an operator could with the store's own
// Tx.Write, one entry of signer's whose payload is not the one its JWS
// signed (R18), with a correct record hash, chain link and Merkle tree and
// a checkpoint of origin signed by logSigner: a consistent tree holding a
// record no honest log holds. c signs the JWS with key for nonce (one the
// log handed out). It returns the new size.
func WriteRuleBreak(t testing.TB, s ledger.Store, logSigner note.Signer, origin string, c *client.Client, signer string, key keys.PrivateKey, nonce string) int64 {
	t.Helper()
	ctx := context.Background()
	h, err := s.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	j, err := c.Sign(client.Signer{Key: key}, "/v1/entries", nonce, []byte(`{"journal_id":"JE1","amount":"1.00"}`))
	if err != nil {
		t.Fatal(err)
	}
	n := h.Size
	rec := &ledger.Record{Index: n, Kind: ledger.KindEntry, Signer: signer, KID: key.Public().Thumbprint(),
		IntegratedTime: ledger.Time(time.Now()), Protected: j.Protected, Signature: j.Signature, Nonce: nonce,
		Payload: base64.RawURLEncoding.EncodeToString([]byte(`{"journal_id":"JE1","amount":"999999.00"}`)), PrevHash: h.Hash}
	rec.Hash = ledger.RecordHash(rec)
	added := map[int64]tlog.Hash{}
	read := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			if hh, ok := added[x]; ok {
				out[i] = hh
				continue
			}
			hs, err := s.ReadHashes(ctx, []int64{x})
			if err != nil {
				return nil, err
			}
			out[i] = hs[0]
		}
		return out, nil
	})
	sh, err := tlog.StoredHashesForRecordHash(n, ledger.LeafHash(rec.Hash), read)
	if err != nil {
		t.Fatal(err)
	}
	b := &ledger.Batch{Records: []*ledger.Record{rec}}
	for i, x := range sh {
		idx := tlog.StoredHashIndex(0, n) + int64(i)
		added[idx] = x
		b.Hashes = append(b.Hashes, ledger.StoredHash{Index: idx, Hash: x})
	}
	root, err := tlog.TreeHash(n+1, read)
	if err != nil {
		t.Fatal(err)
	}
	if b.Head.Checkpoint, err = ledger.SignCheckpoint(logSigner, origin, n+1, root); err != nil {
		t.Fatal(err)
	}
	b.Head.Size, b.Head.Hash = n+1, rec.Hash
	if err := s.Sequence(ctx, func(ctx context.Context, tx ledger.Tx) error {
		if _, err := tx.Snapshot(ctx, ledger.SnapshotQuery{HashesFor: -1}); err != nil {
			return err
		}
		return tx.Write(ctx, b)
	}); err != nil {
		t.Fatalf("writing behind the rules: %v", err)
	}
	return n + 1
}
