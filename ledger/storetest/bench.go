package storetest

import (
	"context"
	"crypto/sha256"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/signet-ledger/signet/ledger"
	"golang.org/x/mod/sumdb/tlog"
)

// BenchmarkBatchCommit is a store's part of a group commit: one
// transaction that locks the head, reads the snapshot, inserts the batch's
// records and stored hashes and moves the head, on a fresh store from
// open for each batch size. The
// records are entry-shaped (a 300-byte payload) but carry no valid
// signature: nothing on this path checks one. With fsync on, the commit's
// WAL flush is counted.
func BenchmarkBatchCommit(b *testing.B, open func(b *testing.B) ledger.Store) {
	for _, size := range []int{100, 1000} {
		b.Run(fmt.Sprintf("records=%d", size), func(b *testing.B) {
			benchCommit(b, open(b), size)
		})
	}
}

func benchCommit(b *testing.B, s ledger.Store, size int) {
	ctx := context.Background()
	tree := &benchTree{hashes: map[int64]tlog.Hash{}}
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		batch := tree.batch(b, size)
		b.StartTimer()
		err := s.Sequence(ctx, func(ctx context.Context, tx ledger.Tx) error {
			if _, err := tx.Snapshot(ctx, ledger.SnapshotQuery{Signers: []string{"bench"}, HashesFor: -1}); err != nil {
				return err
			}
			return tx.Write(ctx, batch)
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*size)/b.Elapsed().Seconds(), "records/s")
}

// benchTree builds consecutive batches of entry-shaped records with their
// chain and Merkle stored hashes, as the sequencer would.
type benchTree struct {
	size   int64
	prev   ledger.Hash
	hashes map[int64]tlog.Hash
}

var (
	benchProtected = strings.Repeat("p", 200) // a kid header with nonce and url, base64url
	benchPayload   = strings.Repeat("q", 400) // 300 bytes of JSON, base64url
	benchSignature = strings.Repeat("s", 86)
)

func (m *benchTree) ReadHashes(idx []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(idx))
	for i, x := range idx {
		out[i] = m.hashes[x]
	}
	return out, nil
}

func (m *benchTree) batch(b *testing.B, n int) *ledger.Batch {
	bt := &ledger.Batch{}
	now := ledger.Time(time.Now())
	for range n {
		r := &ledger.Record{Index: m.size, Kind: ledger.KindEntry, Signer: "bench", KID: strings.Repeat("k", 43),
			IntegratedTime: now, Protected: benchProtected, Payload: benchPayload, Signature: benchSignature,
			PrevHash: m.prev, Nonce: fmt.Sprintf("%055d", m.size)}
		r.Hash = ledger.RecordHash(r)
		sh, err := tlog.StoredHashesForRecordHash(m.size, ledger.LeafHash(r.Hash), m)
		if err != nil {
			b.Fatal(err)
		}
		for k, h := range sh {
			i := tlog.StoredHashIndex(0, m.size) + int64(k)
			m.hashes[i] = h
			bt.Hashes = append(bt.Hashes, ledger.StoredHash{Index: i, Hash: h})
		}
		bt.Records = append(bt.Records, r)
		m.size, m.prev = m.size+1, r.Hash
	}
	bt.Head = ledger.Head{Size: m.size, Hash: m.prev, Checkpoint: []byte(fmt.Sprintf("%x", sha256.Sum256(m.prev[:])))}
	return bt
}
