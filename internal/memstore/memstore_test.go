package memstore_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/signet-ledger/signet/internal/memstore"
	"github.com/signet-ledger/signet/keys"
	"github.com/signet-ledger/signet/ledger"
	"github.com/signet-ledger/signet/ledger/storetest"
	"github.com/signet-ledger/signet/registry"
)

// dbs are the databases the suite made, by name: two Opens of one name
// share one DB, as two processes share one database.
var (
	dbs   sync.Map // string -> *memstore.DB
	named atomic.Int64
)

func db(t *testing.T, name string) *memstore.DB {
	d, ok := dbs.Load(name)
	if !ok {
		t.Fatalf("no in-memory database %q", name)
	}
	return d.(*memstore.DB)
}

var backend = storetest.Backend{
	Gapless: true,
	New: func(t *testing.T) string {
		name := fmt.Sprintf("mem-%d", named.Add(1))
		dbs.Store(name, memstore.NewDB())
		t.Cleanup(func() { dbs.Delete(name) })
		return name
	},
	Open: func(t *testing.T, name string) ledger.Store {
		s := db(t, name).Open()
		t.Cleanup(s.Close)
		return s
	},
	Tamper: func(t *testing.T, name, table, column string, key, value any) {
		if err := db(t, name).Tamper(table, column, key, value); err != nil {
			t.Fatal(err)
		}
	},
}

func TestStore(t *testing.T)   { storetest.TestStore(t, backend) }
func TestLog(t *testing.T)     { storetest.TestLog(t, backend) }
func TestVectors(t *testing.T) { storetest.TestVectors(t, backend) }

// TestReadsAreCopies changes everything reads returned and checks that
// the stored state did not change with it.
func TestReadsAreCopies(t *testing.T) {
	ctx := context.Background()
	s := memstore.New()
	k, err := keys.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	kid := k.Public().Thumbprint()
	b := batch(0, 2)
	b.NewSigners = []registry.Signer{{ID: "alice"}}
	b.NewKeys = []registry.Key{{KID: kid, Signer: "alice", PublicKey: k.Public()}}
	b.Revoked = []registry.Key{{KID: kid, Revocation: &registry.Revocation{At: 1, Reason: "lost", CompromisedSince: new(int64(0))}}}
	err = s.Sequence(ctx, func(ctx context.Context, tx ledger.Tx) error {
		if _, err := tx.Snapshot(ctx, ledger.SnapshotQuery{HashesFor: -1}); err != nil {
			return err
		}
		return tx.Write(ctx, b)
	})
	if err != nil {
		t.Fatal(err)
	}
	// The caller's batch is not the stored one either.
	b.Records[0].Payload, b.Hashes[0].Hash[0], *b.Revoked[0].Revocation.CompromisedSince = "changed", 0xff, 7

	r, _ := s.Record(ctx, 0)
	r.Payload, r.Hash[0] = "changed", 0xff
	recs, _ := s.Records(ctx, ledger.Query{After: -1, Limit: 10})
	recs[1].Signer = "mallory"
	hs, _ := s.ReadHashes(ctx, []int64{0})
	hs[0][0] = 0xff
	sg, _ := s.Signer(ctx, "alice")
	sg.Keys[0].Revocation.Reason, *sg.Keys[0].Revocation.CompromisedSince = "changed", 7
	sec, _ := s.Secret(ctx, "key", func() []byte { return []byte("secret") })
	sec[0] = 'X'

	if r, err := s.Record(ctx, 0); err != nil || r.Payload != "e30" || r.Hash != (ledger.Hash{}) {
		t.Errorf("Record(0) = %+v, %v after changing what reads returned", r, err)
	}
	if recs, err := s.Records(ctx, ledger.Query{After: 0, Limit: 1}); err != nil || recs[0].Signer != "alice" {
		t.Errorf("Records(After 0) = %+v, %v after changing what reads returned", recs, err)
	}
	if hs, err := s.ReadHashes(ctx, []int64{0}); err != nil || hs[0] != [32]byte{} {
		t.Errorf("ReadHashes([0]) = %v, %v after changing what reads returned", hs, err)
	}
	k2, err := s.Key(ctx, kid)
	if err != nil || k2.Revocation == nil || k2.Revocation.Reason != "lost" || *k2.Revocation.CompromisedSince != 0 {
		t.Errorf("Key(alice's) = %+v, %v after changing what reads returned", k2, err)
	}
	if sec, err := s.Secret(ctx, "key", nil); err != nil || string(sec) != "secret" {
		t.Errorf("Secret(key) = %q, %v after changing what reads returned", sec, err)
	}
}

// TestTamperRefuses checks that Tamper refuses what the real schema
// would: a value of another type, NULL in a NOT NULL column, a row or
// column that does not exist; and a key column, which it cannot change.
func TestTamperRefuses(t *testing.T) {
	d := memstore.NewDB()
	if err := appendBatch(context.Background(), d.Open(), 1); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		table, column string
		key, value    any
	}{
		{"records", "integrated_us", int64(0), 5},   // int, not int64
		{"records", "hash", int64(0), "00"},         // TEXT into a BLOB
		{"records", "payload", int64(0), nil},       // NOT NULL
		{"records", "payload", int64(1), "e30"},     // no record 1
		{"records", "payload", 0, "e30"},            // the key is an int64
		{"records", "colour", int64(0), "red"},      // no such column
		{"records", "idx", int64(0), int64(5)},      // a key column
		{"log_head", "size", int64(2), int64(5)},    // the head is row 1
		{"signers", "registered_at", "x", int64(0)}, // no signer x
	} {
		if err := d.Tamper(c.table, c.column, c.key, c.value); err == nil {
			t.Errorf("Tamper(%s, %s, %#v, %#v) succeeded", c.table, c.column, c.key, c.value)
		}
	}
	if r, err := d.Open().Record(context.Background(), 0); err != nil || r.Payload != "e30" || r.IntegratedTime.Unix() != 0 {
		t.Errorf("Record(0) = %+v, %v after refused tamperings", r, err)
	}
}
