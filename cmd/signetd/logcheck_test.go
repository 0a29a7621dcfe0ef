package main

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/signet-ledger/signet/client"
	"github.com/signet-ledger/signet/keys"
	"github.com/signet-ledger/signet/ledger"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// held is what clients hold after a fault: the acknowledged entries and
// every checkpoint they were handed.
type held struct {
	acked map[int64]ledger.Hash
	notes map[string]bool
}

// checkLog checks the log that c serves and dbURL holds after a fault, as
// an auditor with the clients' receipts would:
//
//   - one more append succeeds, and its checkpoint is the final one;
//   - the records are gap-free from 0 to the head's size, each linking to
//     its predecessor's hash, and the head names the last;
//   - the tree's stored hashes are exactly those of the records (no record
//     without its tree hashes, none extra), and give the final root;
//   - every acknowledged entry is there with its index and hash;
//   - every record verifies (GET /v1/entries/{i}/verify);
//   - every checkpoint handed out is consistent with the final one.
//
// It returns the log's final size.
func checkLog(t *testing.T, c *client.Client, dbURL, origin string, key keys.PrivateKey, h held) int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	vkey, err := c.LogKey(ctx)
	if err != nil {
		t.Fatalf("LogKey() = %v", err)
	}
	verifier, err := note.NewVerifier(vkey)
	if err != nil {
		t.Fatalf("note.NewVerifier(%q) = %v", vkey, err)
	}
	a, err := c.Submit(ctx, key, []byte(`{"after":"fault"}`))
	if err != nil {
		t.Fatalf("Submit after the fault = %v", err)
	}
	final, err := ledger.OpenCheckpoint([]byte(a.Checkpoint), origin, verifier)
	if err != nil {
		t.Fatalf("OpenCheckpoint(checkpoint after the fault) = %v", err)
	}
	checkRows(t, ctx, dbURL, final, h.acked)
	checkVerify(t, ctx, c, final.Size)
	checkConsistent(t, ctx, c, origin, verifier, final, h.notes)
	return final.Size
}

// checkRows reads the log's tables directly and checks them against final
// and the acknowledged entries.
func checkRows(t *testing.T, ctx context.Context, dbURL string, final *ledger.Checkpoint, acked map[int64]ledger.Hash) {
	t.Helper()
	db, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(ctx)
	var size int64
	var last []byte
	if err := db.QueryRow(ctx, `SELECT size, last_hash FROM log_head`).Scan(&size, &last); err != nil {
		t.Fatal(err)
	}
	if size != final.Size {
		t.Fatalf("log_head.size = %d, want the final checkpoint's %d", size, final.Size)
	}
	tree := make([]tlog.Hash, 0, tlog.StoredHashCount(size))
	read := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			out[i] = tree[x]
		}
		return out, nil
	})
	rows, _ := db.Query(ctx, `SELECT idx, hash, prev_hash FROM records ORDER BY idx`)
	var n int64
	var prev ledger.Hash
	for rows.Next() {
		var idx int64
		var hash, prevHash []byte
		if err := rows.Scan(&idx, &hash, &prevHash); err != nil {
			t.Fatal(err)
		}
		if idx != n {
			t.Fatalf("records: index %d follows %d: a gap", idx, n-1)
		}
		if !bytes.Equal(prevHash, prev[:]) {
			t.Errorf("record %d: prev_hash %x, want its predecessor's hash %x", idx, prevHash, prev)
		}
		copy(prev[:], hash)
		if want, ok := acked[idx]; ok && want != prev {
			t.Errorf("record %d: hash %s, but a 201 acknowledged %s", idx, prev, want)
		}
		sh, err := tlog.StoredHashesForRecordHash(idx, ledger.LeafHash(prev), read)
		if err != nil {
			t.Fatal(err)
		}
		tree = append(tree, sh...)
		n++
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if n != size || !bytes.Equal(last, prev[:]) {
		t.Fatalf("records: %d, last hash %s; log_head: size %d, last_hash %x", n, prev, size, last)
	}
	for idx := range acked {
		if idx >= size {
			t.Errorf("acknowledged entry %d is missing: the log has %d records", idx, size)
		}
	}
	checkTreeRows(t, ctx, db, tree)
	if root, _ := tlog.TreeHash(size, read); root != final.Root {
		t.Errorf("root recomputed from the records = %v, final checkpoint says %v", root, final.Root)
	}
}

// checkTreeRows checks that tree_hashes holds exactly want.
func checkTreeRows(t *testing.T, ctx context.Context, db *pgx.Conn, want []tlog.Hash) {
	t.Helper()
	rows, _ := db.Query(ctx, `SELECT idx, hash FROM tree_hashes ORDER BY idx`)
	var n int64
	for rows.Next() {
		var idx int64
		var hash []byte
		if err := rows.Scan(&idx, &hash); err != nil {
			t.Fatal(err)
		}
		if idx != n || idx >= int64(len(want)) || !bytes.Equal(hash, want[idx][:]) {
			t.Fatalf("tree_hashes: row %d is idx %d hash %x; want the %d stored hashes of the records", n, idx, hash, len(want))
		}
		n++
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if n != int64(len(want)) {
		t.Fatalf("tree_hashes has %d rows, want tlog.StoredHashCount = %d", n, len(want))
	}
}

// checkVerify asks the server to verify every record, a few at a time.
func checkVerify(t *testing.T, ctx context.Context, c *client.Client, size int64) {
	t.Helper()
	var next atomic.Int64
	var wg sync.WaitGroup
	var mu sync.Mutex
	var bad []string
	for range 4 {
		wg.Go(func() {
			for i := next.Add(1) - 1; i < size; i = next.Add(1) - 1 {
				v, err := c.Verify(ctx, i)
				if err == nil && v.Verified {
					continue
				}
				mu.Lock()
				if bad = append(bad, fmt.Sprintf("Verify(%d) = %+v, %v", i, v, err)); len(bad) > 5 {
					next.Store(size)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	for _, b := range bad {
		t.Error(b)
	}
}

// checkConsistent checks that every checkpoint in notes is signed by the
// log and proved a prefix of final by the server's consistency proof.
func checkConsistent(t *testing.T, ctx context.Context, c *client.Client, origin string, v note.Verifier, final *ledger.Checkpoint, notes map[string]bool) {
	t.Helper()
	for msg := range notes {
		cp, err := ledger.OpenCheckpoint([]byte(msg), origin, v)
		if err != nil {
			t.Errorf("OpenCheckpoint(%q) = %v", msg, err)
			continue
		}
		if cp.Size > final.Size {
			t.Errorf("a checkpoint of size %d was handed out; the log now has %d records", cp.Size, final.Size)
			continue
		}
		p, err := c.ConsistencyProof(ctx, cp.Size, final.Size)
		if err != nil {
			t.Errorf("ConsistencyProof(%d, %d) = %v", cp.Size, final.Size, err)
			continue
		}
		if err := tlog.CheckTree(p.Hashes, final.Size, final.Root, cp.Size, cp.Root); err != nil {
			t.Errorf("checkpoint of size %d is not consistent with the final one of size %d: %v", cp.Size, final.Size, err)
		}
	}
}

// countPayloads returns how many records of the log at dbURL have one of
// payloads (base64url, as stored).
func countPayloads(t *testing.T, dbURL string, payloads []string) int {
	ctx := context.Background()
	db, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(ctx)
	var n int
	if err := db.QueryRow(ctx, `SELECT count(*) FROM records WHERE payload = ANY($1)`, payloads).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
