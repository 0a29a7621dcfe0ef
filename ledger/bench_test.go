package ledger

import (
	"context"
	"crypto/rand"
	"fmt"
	"github.com/signet-ledger/signet"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/signet-ledger/signet/keys"
	"github.com/signet-ledger/signet/registry"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// benchRecord returns a record shaped like a journal entry of a 300-byte
// payload, as the sequencer receives it.
func benchRecord(b *testing.B, k keys.PrivateKey, n int) Record {
	payload := fmt.Sprintf(`{"n":%d,"memo":"%s"}`, n, strings.Repeat("x", 280))
	kid := k.Public().Thumbprint()
	h := keys.Header{Kid: kid, Nonce: fmt.Sprintf("%055d", n), URL: "http://127.0.0.1:8080/v1/entries"}
	j, err := k.Sign(h, []byte(payload))
	if err != nil {
		b.Fatal(err)
	}
	return Record{Kind: KindEntry, Signer: "bench", KID: kid, Nonce: h.Nonce,
		Protected: j.Protected, Payload: j.Payload, Signature: j.Signature}
}

// BenchmarkRecordHash hashes one entry record (about 800 bytes of input).
func BenchmarkRecordHash(b *testing.B) {
	k, err := keys.GenerateKey()
	if err != nil {
		b.Fatal(err)
	}
	r := benchRecord(b, k, 1)
	r.Index, r.IntegratedTime = 1<<20, Time(time.Now())
	b.ReportAllocs()
	for b.Loop() {
		r.Hash = RecordHash(&r)
	}
}

// BenchmarkSequenceBatch is the sequencer's in-memory work for one batch
// under the lock: registry checks, record hashes, the chain, the Merkle
// stored hashes and the checkpoint signature. The store is a fake that
// keeps only the tree's frontier, so no database time is counted.
func BenchmarkSequenceBatch(b *testing.B) {
	for _, size := range []int{100, 1000} {
		b.Run(fmt.Sprintf("records=%d", size), func(b *testing.B) {
			benchSequence(b, size)
		})
	}
}

func benchSequence(b *testing.B, size int) {
	k, err := keys.GenerateKey()
	if err != nil {
		b.Fatal(err)
	}
	skey, vkey, err := note.GenerateKey(rand.Reader, "bench/log")
	if err != nil {
		b.Fatal(err)
	}
	signer, err := note.NewSigner(skey)
	if err != nil {
		b.Fatal(err)
	}
	verifier, err := note.NewVerifier(vkey)
	if err != nil {
		b.Fatal(err)
	}
	tx := newFrontierTx(k)
	s := &sequencer{cfg: sequencerConfig{MaxBatch: size}, now: time.Now,
		sign: func(n int64, root tlog.Hash) ([]byte, error) { return SignCheckpoint(signer, "bench/log", n, root) },
		open: func(msg []byte) (*Checkpoint, error) { return OpenCheckpoint(msg, "bench/log", verifier) }}
	s.frontierSize.Store(-1)
	// The log's registry, as if replayed far ahead: no store is read.
	s.reg = &logRegistry{st: registry.NewState(), size: math.MaxInt64}
	s.reg.st.Load(registry.Signer{ID: "bench", Keys: []registry.Key{tx.key}})
	recs := make([]Record, size)
	for i := range recs {
		recs[i] = benchRecord(b, k, i)
	}
	batch := make([]*pending, size)
	res := make([]result, size)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		for i := range batch {
			batch[i] = &pending{rec: recs[i], event: &signet.Event{Kind: KindEntry, Signer: "bench", KID: recs[i].KID}}
			batch[i].rec.Nonce = "" // nonces would repeat across iterations
		}
		tree, err := s.sequence(ctx, tx, batch, res)
		if err != nil || tree == nil {
			b.Fatalf("sequence = %v, %v", tree, err)
		}
		s.frontierSize.Store(tree.size)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*size), "ns/record")
}

// frontierTx is a [Tx] that keeps the head and the stored hashes of the
// tree's frontier in memory and drops the records it is given.
type frontierTx struct {
	head   Head
	key    registry.Key
	hashes map[int64]tlog.Hash
}

func newFrontierTx(k keys.PrivateKey) *frontierTx {
	pub := k.Public()
	return &frontierTx{hashes: map[int64]tlog.Hash{},
		key: registry.Key{KID: pub.Thumbprint(), Signer: "bench", PublicKey: pub}}
}

func (t *frontierTx) Snapshot(ctx context.Context, q SnapshotQuery) (*Snapshot, error) {
	sg := registry.Signer{ID: "bench", Keys: []registry.Key{t.key}}
	snap := &Snapshot{Head: t.head, Registry: []registry.Signer{sg}, ByNonce: map[string]*Record{}}
	if q.HashesFor == t.head.Size {
		snap.Hashes, _ = t.ReadHashes(ctx, q.Hashes)
	}
	return snap, nil
}

func (t *frontierTx) ReadHashes(_ context.Context, idx []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(idx))
	for i, x := range idx {
		h, ok := t.hashes[x]
		if !ok {
			return nil, fmt.Errorf("frontierTx: stored hash %d is not kept", x)
		}
		out[i] = h
	}
	return out, nil
}

func (t *frontierTx) Write(_ context.Context, b *Batch) error {
	for _, h := range b.Hashes {
		t.hashes[h.Index] = h.Hash
	}
	keep := map[int64]tlog.Hash{}
	for _, x := range Frontier(b.Head.Size) {
		keep[x] = t.hashes[x]
	}
	t.hashes, t.head = keep, b.Head
	return nil
}
