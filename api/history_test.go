package api_test

import (
	"context"
	"testing"

	"github.com/signet-ledger/signet/internal/signettest"
	"github.com/signet-ledger/signet/ledger"
	"golang.org/x/mod/sumdb/tlog"
)

// heldCheckpoint appends n entries and returns the checkpoint an auditor
// would keep outside the database.
func heldCheckpoint(t *testing.T, e *signettest.Env, n int) *ledger.Checkpoint {
	ctx := context.Background()
	k := e.Register(t, "alice")
	for i := 0; i < n; i++ {
		if _, err := e.Client.Submit(ctx, k, []byte(`{"n":1}`)); err != nil {
			t.Fatal(err)
		}
	}
	note, err := e.Client.Checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cp, err := ledger.OpenCheckpoint(note, e.Origin, e.Verifier)
	if err != nil {
		t.Fatal(err)
	}
	return cp
}

// TestTruncatedTailCaughtByHeldCheckpoint: an administrator deletes the
// last records and rolls the head back to an older, genuine checkpoint.
// The database is then consistent and every record verifies, but the
// holder of a later checkpoint sees the log shrink: the server can no
// longer prove consistency with it.
func TestTruncatedTailCaughtByHeldCheckpoint(t *testing.T) {
	e := signettest.New(t, signettest.Options{})
	ctx := context.Background()
	old := heldCheckpoint(t, e, 4) // size 5
	oldHead, _ := e.Store.Head(ctx)
	held := heldCheckpoint2(t, e, 3) // size 8
	if _, err := e.DB.Exec(ctx, `DELETE FROM records WHERE idx >= $1`, old.Size); err != nil {
		t.Fatal(err)
	}
	if _, err := e.DB.Exec(ctx, `UPDATE log_head SET size = $1, last_hash = $2, checkpoint = $3`,
		oldHead.Size, oldHead.Hash[:], string(oldHead.Checkpoint)); err != nil {
		t.Fatal(err)
	}
	for i := int64(0); i < old.Size; i++ {
		if v := verifyIndex(t, e, i); !v.Verified {
			t.Fatalf("verify(%d) after a clean truncation = %+v; the database alone cannot tell", i, v)
		}
	}
	note, err := e.Client.Checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	now, err := ledger.OpenCheckpoint(note, e.Origin, e.Verifier)
	if err != nil {
		t.Fatal(err)
	}
	if now.Size >= held.Size {
		t.Fatalf("latest checkpoint size %d, want smaller than the held %d", now.Size, held.Size)
	}
	if _, err := e.Client.ConsistencyProof(ctx, held.Size, 0); err == nil {
		t.Errorf("ConsistencyProof(from the held size %d) succeeded on a truncated log", held.Size)
	}
}

// heldCheckpoint2 appends n more entries by a second signer.
func heldCheckpoint2(t *testing.T, e *signettest.Env, n int) *ledger.Checkpoint {
	ctx := context.Background()
	k := e.Register(t, "bob")
	for i := 0; i < n-1; i++ {
		if _, err := e.Client.Submit(ctx, k, []byte(`{"n":2}`)); err != nil {
			t.Fatal(err)
		}
	}
	note, _ := e.Client.Checkpoint(ctx)
	cp, err := ledger.OpenCheckpoint(note, e.Origin, e.Verifier)
	if err != nil {
		t.Fatal(err)
	}
	return cp
}

// TestRowInsertedInMiddleDetected: an administrator shifts records up and
// inserts a forged one in the middle. Every shifted record's hash (which
// covers its index) fails, and no held checkpoint is consistent with it.
func TestRowInsertedInMiddleDetected(t *testing.T) {
	e := signettest.New(t, signettest.Options{})
	ctx := context.Background()
	held := heldCheckpoint(t, e, 5) // size 6
	stmts := []string{
		`UPDATE records SET idx = idx + 1000, nonce = NULL WHERE idx >= 3`,
		`UPDATE records SET idx = idx - 999 WHERE idx >= 1000`,
		`INSERT INTO records (idx, kind, signer, kid, integrated_us, protected, payload, signature, nonce, hash, prev_hash)
		 SELECT 3, kind, signer, kid, integrated_us, protected, payload, signature, NULL, hash, prev_hash FROM records WHERE idx = 2`,
		`UPDATE log_head SET size = size + 1`,
	}
	for _, q := range stmts {
		if _, err := e.DB.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	for i := int64(3); i < held.Size+1; i++ {
		v := verifyIndex(t, e, i)
		if v.Verified || v.Checks["record_hash"] {
			t.Errorf("verify(%d) after an insertion = %+v, want record_hash false", i, v)
		}
	}
	// An auditor recomputing the root of the first held.Size records from
	// what the server now serves gets a root the held checkpoint does not have.
	var hashes []tlog.Hash
	for i := int64(0); i < held.Size; i++ {
		r, err := e.Client.Entry(ctx, i)
		if err != nil {
			t.Fatal(err)
		}
		h, _ := ledger.ParseHash(r.Hash)
		hashes = append(hashes, ledger.LeafHash(h))
	}
	if root := rootOf(hashes); root == held.Root {
		t.Errorf("the records served after the insertion still hash to the held checkpoint's root")
	}
}

// rootOf computes an RFC 6962 root from leaf hashes.
func rootOf(leaves []tlog.Hash) tlog.Hash {
	stored := map[int64]tlog.Hash{}
	r := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			out[i] = stored[x]
		}
		return out, nil
	})
	for i, l := range leaves {
		sh, _ := tlog.StoredHashesForRecordHash(int64(i), l, r)
		for k, h := range sh {
			stored[tlog.StoredHashIndex(0, int64(i))+int64(k)] = h
		}
	}
	root, _ := tlog.TreeHash(int64(len(leaves)), r)
	return root
}
