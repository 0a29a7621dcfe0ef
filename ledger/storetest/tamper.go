package storetest

import (
	"bytes"
	"crypto/rand"
	"testing"

	"github.com/signet-ledger/signet/ledger"
	"golang.org/x/mod/sumdb/tlog"
)

// tampering is one change made to the database behind the store's back,
// and the check that the store reads it back as changed: a store that
// cached, repaired or hid it would keep the ledger's verifier from seeing it.
type tampering struct {
	name          string
	table, column string
	key, value    any
	check         func(t *testing.T, f *fixture, value any)
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// record reads record i of f, failing the test on an error.
func record(t *testing.T, f *fixture, i int64) *ledger.Record {
	t.Helper()
	r, err := f.s.Record(testCtx(t), i)
	if err != nil {
		t.Fatalf("Record(%d) = %v", i, err)
	}
	return r
}

// recordField is a tampering of one field of record i, which get reads.
func recordField(column string, i int64, value any, get func(*ledger.Record) any) tampering {
	return tampering{name: "records." + column, table: "records", column: column, key: i, value: value,
		check: func(t *testing.T, f *fixture, value any) {
			r := record(t, f, i)
			if got := get(r); !equalValue(got, value) {
				t.Errorf("Record(%d).%s = %v after the database was changed to %v", i, column, got, value)
			}
			if ledger.RecordHash(r) == r.Hash {
				t.Errorf("Record(%d) still hashes to its stored hash after %s was changed", i, column)
			}
			page, err := f.s.Records(testCtx(t), ledger.Query{After: i - 1, Limit: 1})
			if err != nil || len(page) != 1 || !equalValue(get(page[0]), value) {
				t.Errorf("Records(After %d, Limit 1) does not read the changed %s", i-1, column)
			}
		}}
}

func equalValue(a, b any) bool {
	ab, aok := a.([]byte)
	bb, bok := b.([]byte)
	if aok || bok {
		return aok && bok && bytes.Equal(ab, bb)
	}
	return a == b
}

func tamperings(f *fixture) []tampering {
	rev := kid(f.a1) // alice's revoked key
	return []tampering{
		recordField("payload", 3, "eyJ0YW1wZXJlZCI6dHJ1ZX0", func(r *ledger.Record) any { return r.Payload }),
		recordField("signature", 4, "AAAA", func(r *ledger.Record) any { return r.Signature }),
		recordField("protected", 5, "eyJhbGciOiJFZERTQSJ9", func(r *ledger.Record) any { return r.Protected }),
		recordField("signer", 6, "mallory", func(r *ledger.Record) any { return r.Signer }),
		recordField("kid", 7, "forged-kid", func(r *ledger.Record) any { return r.KID }),
		recordField("kind", 8, string(ledger.KindEntry), func(r *ledger.Record) any { return string(r.Kind) }),
		recordField("integrated_us", 9, int64(1_000_000_000_000_000), func(r *ledger.Record) any { return r.IntegratedTime.UnixMicro() }),
		recordField("prev_hash", 10, randomBytes(32), func(r *ledger.Record) any { return r.PrevHash[:] }),
		{"records.hash", "records", "hash", int64(11), randomBytes(32), func(t *testing.T, f *fixture, v any) {
			if r := record(t, f, 11); !bytes.Equal(r.Hash[:], v.([]byte)) {
				t.Errorf("Record(11).Hash = %v after the database was changed to %x", r.Hash, v)
			}
		}},
		{"tree_hashes.hash", "tree_hashes", "hash", tlog.StoredHashIndex(0, 12), randomBytes(32), func(t *testing.T, f *fixture, v any) {
			idx := []int64{tlog.StoredHashIndex(1, 6), tlog.StoredHashIndex(0, 12)}
			hs, err := f.s.ReadHashes(testCtx(t), idx)
			if err != nil || !bytes.Equal(hs[1][:], v.([]byte)) {
				t.Errorf("ReadHashes(%v) = %v, %v after the leaf was changed to %x", idx, hs, err, v)
			}
		}},
		{"log_head.checkpoint", "log_head", "checkpoint", int64(1), "forged\n", func(t *testing.T, f *fixture, v any) {
			if h, err := f.s.Head(testCtx(t)); err != nil || string(h.Checkpoint) != v {
				t.Errorf("Head() = %+v, %v after the checkpoint was changed to %q", h, err, v)
			}
		}},
		{"log_head.last_hash", "log_head", "last_hash", int64(1), randomBytes(32), func(t *testing.T, f *fixture, v any) {
			if h, err := f.s.Head(testCtx(t)); err != nil || !bytes.Equal(h.Hash[:], v.([]byte)) {
				t.Errorf("Head() = %+v, %v after the head's hash was changed to %x", h, err, v)
			}
		}},
		{"signer_keys.x", "signer_keys", "x", kid(f.b1), newKey(f.w.t).Public().JWK().X, func(t *testing.T, f *fixture, v any) {
			k, err := f.s.Key(testCtx(t), kid(f.b1))
			if err != nil || k.PublicKey.JWK().X != v {
				t.Errorf("Key(%s) = %s, %v after its x was changed to %s", kid(f.b1), k.PublicKey.JWK().X, err, v)
			}
		}},
		{"signer_keys.revoked_at", "signer_keys", "revoked_at", rev, nil, func(t *testing.T, f *fixture, _ any) {
			// Un-revoking a key shows: the ledger's verifier then finds the
			// registry disagreeing with the log's revocation record.
			if k, err := f.s.Key(testCtx(t), rev); err != nil || k.Revocation != nil {
				t.Errorf("Key(%s) = %+v, %v after its revocation was erased, want no revocation", rev, k, err)
			}
		}},
		{"signers.registered_at", "signers", "registered_at", "carol", int64(0), func(t *testing.T, f *fixture, _ any) {
			if sg, err := f.s.Signer(testCtx(t), "carol"); err != nil || sg.RegisteredAt != 0 {
				t.Errorf("Signer(carol) = %+v, %v after registered_at was changed to 0", sg, err)
			}
		}},
	}
}

// testTamper changes stored fields behind the store's back and checks
// that it reads each back as changed.
func testTamper(t *testing.T, b Backend) {
	f := newFixture(t, b)
	for _, c := range tamperings(f) {
		t.Run(c.name, func(t *testing.T) {
			b.Tamper(t, f.name, c.table, c.column, c.key, c.value)
			c.check(t, f, c.value)
		})
	}
}
