package api_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/signet-ledger/signet/client"
	"github.com/signet-ledger/signet/internal/signettest"
	"github.com/signet-ledger/signet/keys"
	"github.com/signet-ledger/signet/ledger"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// rewriteHistory is what an attacker with write access to the database
// (but not the log's signing key, which is never stored there) does to
// change record index for good: replace its JWS by another one signed by
// the same key, then recompute every later record's prev_hash and hash,
// every stored tree hash, and the head's last hash, in one transaction. It
// returns the root of the rewritten tree. The checkpoint is left alone.
func rewriteHistory(t *testing.T, e *signettest.Env, key keys.PrivateKey, index int64, payload string) tlog.Hash {
	t.Helper()
	ctx := context.Background()
	recs, err := e.Store.Records(ctx, ledger.Query{After: -1, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	n := int64(len(recs))
	old, err := recs[index].JWS()
	if err != nil {
		t.Fatal(err)
	}
	// Same protected header (kid, nonce, url), another payload.
	j, err := key.Sign(keys.Header{Kid: old.Header.Kid, Nonce: old.Header.Nonce, URL: old.Header.URL}, []byte(payload))
	if err != nil {
		t.Fatal(err)
	}
	if j.Protected != old.Protected {
		t.Fatalf("the forged JWS's protected header differs from the original's")
	}
	recs[index].Payload, recs[index].Signature = j.Payload, j.Signature
	prev := recs[index].PrevHash
	for _, r := range recs[index:] {
		r.PrevHash = prev
		r.Hash = ledger.RecordHash(r)
		prev = r.Hash
	}

	stored := map[int64]tlog.Hash{}
	read := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			out[i] = stored[x]
		}
		return out, nil
	})
	for i, r := range recs {
		hs, err := tlog.StoredHashes(int64(i), r.Hash[:], read)
		if err != nil {
			t.Fatal(err)
		}
		for k, h := range hs {
			stored[tlog.StoredHashIndex(0, int64(i))+int64(k)] = h
		}
	}
	root, err := tlog.TreeHash(n, read)
	if err != nil {
		t.Fatal(err)
	}

	err = pgx.BeginFunc(ctx, e.DB, func(tx pgx.Tx) error {
		for _, r := range recs[index:] {
			if _, err := tx.Exec(ctx, `UPDATE records SET payload = $2, signature = $3, prev_hash = $4, hash = $5 WHERE idx = $1`,
				r.Index, r.Payload, r.Signature, r.PrevHash[:], r.Hash[:]); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `DELETE FROM tree_hashes`); err != nil {
			return err
		}
		for idx, h := range stored {
			if _, err := tx.Exec(ctx, `INSERT INTO tree_hashes (idx, hash) VALUES ($1, $2)`, idx, h[:]); err != nil {
				return err
			}
		}
		_, err := tx.Exec(ctx, `UPDATE log_head SET last_hash = $1 WHERE size = $2`, prev[:], n)
		return err
	})
	if err != nil {
		t.Fatalf("rewriting the database: %v", err)
	}
	return root
}

func openCheckpoint(t *testing.T, e *signettest.Env, note []byte) *ledger.Checkpoint {
	t.Helper()
	cp, err := ledger.OpenCheckpoint(note, e.Origin, e.Verifier)
	if err != nil {
		t.Fatalf("OpenCheckpoint = %v", err)
	}
	return cp
}

// TestRewrittenHistoryFailsConsistencyWithEarlierCheckpoint rewrites an old
// record with direct SQL and recomputes every hash after it, so that the
// chain is internally consistent again. Verify still finds every record's
// hash and links correct, but a client holding a checkpoint from before
// the rewrite is not fooled: no consistency proof links it to the
// rewritten tree, the rewritten record is not included in it, a
// checkpoint forged with another key does not open with the log's key, and
// even a checkpoint the server itself signs after the rewrite is
// inconsistent with it.
func TestRewrittenHistoryFailsConsistencyWithEarlierCheckpoint(t *testing.T) {
	const n1, n = 50, 60
	e := signettest.New(t, signettest.Options{})
	ctx := context.Background()
	key := e.Register(t, "alice")
	submit := func(i int) {
		if _, err := e.Client.Submit(ctx, key, fmt.Appendf(nil, `{"journal_id":"JE%06d","amount":"100.00"}`, i)); err != nil {
			t.Fatal(err)
		}
	}
	for i := 1; i < n1; i++ {
		submit(i)
	}
	c1note, err := e.Client.Checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c1 := openCheckpoint(t, e, c1note)
	for i := n1; i < n; i++ {
		submit(i)
	}
	c2note, _ := e.Client.Checkpoint(ctx)
	c2 := openCheckpoint(t, e, c2note)
	if c1.Size != n1 || c2.Size != n {
		t.Fatalf("checkpoints of sizes %d and %d, want %d and %d", c1.Size, c2.Size, n1, n)
	}
	// Before the rewrite, the log proves that C1 grew into C2.
	p, err := e.Client.ConsistencyProof(ctx, n1, n)
	if err != nil {
		t.Fatal(err)
	}
	if err := tlog.CheckTree(p.Hashes, n, c2.Root, n1, c1.Root); err != nil {
		t.Fatalf("before the rewrite: CheckTree(C1 -> C2) = %v", err)
	}

	const forged = `{"journal_id":"JE000005","amount":"999999.00"}`
	root := rewriteHistory(t, e, key, 5, forged)
	if root == c2.Root {
		t.Fatal("the rewrite did not change the tree")
	}
	if r, err := e.Client.Entry(ctx, 5); err != nil || string(r.Payload) != forged {
		t.Fatalf("Entry(5) after the rewrite = %s, %v; want the forged payload", r.Payload, err)
	}

	t.Run("VerifyFindsHashesAndLinksIntactButNotInclusion", func(t *testing.T) {
		for i := range int64(n) {
			v := verifyOf(t, e, i)
			if !v.Checks["record_hash"] || !v.Checks["chain_link"] || !v.Checks["signature"] {
				t.Errorf("Verify(%d).checks = %v: the rewrite is internally consistent, so hash, links and signature hold", i, v.Checks)
			}
			if v.Verified || v.Checks["inclusion"] {
				t.Errorf("Verify(%d) = verified %v, inclusion %v; the checkpoint no longer covers the tree", i, v.Verified, v.Checks["inclusion"])
			}
		}
	})

	t.Run("ConsistencyProofFromC1Fails", func(t *testing.T) {
		p, err := e.Client.ConsistencyProof(ctx, n1, n)
		if err != nil {
			t.Fatal(err)
		}
		if err := tlog.CheckTree(p.Hashes, n, root, n1, c1.Root); err == nil {
			t.Error("CheckTree(C1 -> rewritten tree) = nil; the rewrite went undetected")
		}
		if err := tlog.CheckTree(p.Hashes, n, c2.Root, n1, c1.Root); err == nil {
			t.Error("CheckTree(C1 -> C2) with the rewritten tree's proof = nil")
		}
		if err := proof.VerifyConsistency(rfc6962.DefaultHasher, n1, n, hashSlices(p.Hashes), c1.Root[:], root[:]); err == nil {
			t.Error("merkle VerifyConsistency(C1 -> rewritten tree) = nil")
		}
	})

	t.Run("RewrittenRecordNotIncludedInC1", func(t *testing.T) {
		r, err := e.Client.Entry(ctx, 5)
		if err != nil {
			t.Fatal(err)
		}
		ip, err := e.Client.InclusionProof(ctx, 5, n1)
		if err != nil {
			t.Fatal(err)
		}
		if err := tlog.CheckRecord(ip.Hashes, n1, c1.Root, 5, leafOf(t, r.Hash)); err == nil {
			t.Error("CheckRecord(rewritten record 5 in C1) = nil")
		}
	})

	t.Run("CheckpointForgedWithAnotherKeyDoesNotOpen", func(t *testing.T) {
		skey, _, err := note.GenerateKey(rand.Reader, e.Origin) // same name, another key
		if err != nil {
			t.Fatal(err)
		}
		s, _ := note.NewSigner(skey)
		fake, err := ledger.SignCheckpoint(s, e.Origin, n, root)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.DB.Exec(ctx, `UPDATE log_head SET checkpoint = $1`, string(fake)); err != nil {
			t.Fatal(err)
		}
		served, err := e.Client.Checkpoint(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ledger.OpenCheckpoint(served, e.Origin, e.Verifier); err == nil {
			t.Error("OpenCheckpoint(forged checkpoint) with the log's verifier = nil")
		}
		v := verifyOf(t, e, 5)
		if v.Verified || v.Checks["inclusion"] || !strings.Contains(strings.Join(v.Problems, " "), "checkpoint") {
			t.Errorf("Verify(5) with a forged checkpoint = %+v", v)
		}
	})

	t.Run("ServerRefusesToSignOverTheRewrite", func(t *testing.T) {
		// The sequencer checks the stored tree against the last signed
		// checkpoint before extending it, so the real key never signs the
		// rewritten tree: the append fails as a server fault and the log
		// does not move.
		before := e.Size(t)
		noteBefore, err := e.Client.Checkpoint(ctx)
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.Client.Submit(ctx, key, []byte(`{"after":"rewrite"}`))
		if !client.IsProblem(err, "internal") {
			t.Fatalf("Submit after the rewrite = %v, want an internal error", err)
		}
		if got := e.Size(t); got != before {
			t.Errorf("log size after the refused append = %d, want %d", got, before)
		}
		note, err := e.Client.Checkpoint(ctx)
		if err != nil || string(note) != string(noteBefore) {
			t.Errorf("the stored checkpoint changed on a refused append: %v\n%s", err, note)
		}
	})
}
