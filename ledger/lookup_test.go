package ledger_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/signet-ledger/signet/internal/signettest"
	"github.com/signet-ledger/signet/keys"
	"github.com/signet-ledger/signet/ledger"
	"github.com/signet-ledger/signet/registry"
)

// countingStore counts the reads an unknown kid sends to the store.
type countingStore struct {
	ledger.Store
	heads, keyReads atomic.Int64
}

func (s *countingStore) Head(ctx context.Context) (ledger.Head, error) {
	s.heads.Add(1)
	return s.Store.Head(ctx)
}

func (s *countingStore) Records(ctx context.Context, q ledger.Query) ([]*ledger.Record, error) {
	if q.KeyEvents {
		s.keyReads.Add(1)
	}
	return s.Store.Records(ctx, q)
}

// TestUnknownKidsShareStoreReads: a batch of entries under 500 random
// kids costs a few reads of the store, not one each: lookups of unknown
// kids wait for one refresh of the registry rather than each making its
// own. Every entry is still refused as an unknown key.
func TestUnknownKidsShareStoreReads(t *testing.T) {
	var cs *countingStore
	e := signettest.New(t, signettest.Options{Ledger: func(c *ledger.Config) {
		cs = &countingStore{Store: c.Store}
		c.Store = cs
	}})
	e.Register(t, "alice")
	ctx := context.Background()
	k := signettest.Key(t)
	var reqs []ledger.Signed
	for range 500 {
		b := make([]byte, 32)
		rand.Read(b)
		j, err := k.Sign(keys.Header{Alg: "EdDSA", Kid: base64.RawURLEncoding.EncodeToString(b), Nonce: e.Log.NewNonce(),
			URL: e.URL + "/v1/entries"}, []byte(`{}`))
		if err != nil {
			t.Fatal(err)
		}
		reqs = append(reqs, ledger.Signed{JWS: j, Path: "/v1/entries"})
	}
	heads, keyReads := cs.heads.Load(), cs.keyReads.Load()
	res, err := e.Log.AppendEntries(ctx, reqs)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res {
		if !errors.Is(r.Err, registry.ErrUnknownKey) {
			t.Fatalf("entry %d under an unknown kid = %v; want refused", i, r.Err)
		}
	}
	dh, dk := cs.heads.Load()-heads, cs.keyReads.Load()-keyReads
	t.Logf("500 unknown kids: %d head reads, %d key-event reads", dh, dk)
	// A lookup may only reuse a refresh that started after it asked, so
	// lookups arriving while one runs wait for the next: the count depends
	// on how the 500 arrivals spread over time (2 when they all arrive at
	// once, some tens on a quiet machine, over a hundred on a loaded one,
	// where the admission slots let only a few lookups wait together),
	// never one per kid.
	if dh >= 500 || dk >= 500 {
		t.Errorf("500 unknown kids cost %d head reads and %d key-event reads; want them shared (fewer than one per kid)", dh, dk)
	}
}
