package api_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/signet-ledger/signet/client"
	"github.com/signet-ledger/signet/internal/signettest"
	"github.com/signet-ledger/signet/keys"
	"github.com/signet-ledger/signet/ledger"
	"golang.org/x/mod/sumdb/tlog"
)

// appendMany submits perWorker entries from each of workers goroutines,
// worker w signing with signers[w%len(signers)], through envs[w%len(envs)].
// It returns every answer.
func appendMany(t *testing.T, envs []*signettest.Env, signers []keys.PrivateKey, workers, perWorker int) []*client.Appended {
	var mu sync.Mutex
	var out []*client.Appended
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			e, k := envs[w%len(envs)], signers[w%len(signers)]
			for i := range perWorker {
				payload := fmt.Sprintf(`{"journal_id":"JE-%02d-%04d","amount":"%d.00"}`, w, i, i)
				a, err := e.Client.Submit(context.Background(), k, []byte(payload))
				if err != nil {
					t.Errorf("worker %d: Submit(%s) = %v", w, payload, err)
					return
				}
				mu.Lock()
				out = append(out, a)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	return out
}

// checkAnswers requires n distinct new records among the answers.
func checkAnswers(t *testing.T, answers []*client.Appended, n int) {
	t.Helper()
	seen := map[int64]bool{}
	for _, a := range answers {
		if a.Existing || seen[a.Index] {
			t.Errorf("answer for index %d: existing %v, seen before %v", a.Index, a.Existing, seen[a.Index])
		}
		seen[a.Index] = true
	}
	if len(seen) != n {
		t.Errorf("%d distinct indexes in the answers, want %d", len(seen), n)
	}
}

// TestConcurrentAppends appends about 1500 entries from 32 goroutines for
// 3 signers, then checks one gap-free chain and re-verifies every record.
func TestConcurrentAppends(t *testing.T) {
	e := signettest.New(t, signettest.Options{})
	signers := []keys.PrivateKey{e.Register(t, "ap"), e.Register(t, "ar"), e.Register(t, "treasury")}
	const workers, perWorker = 32, 47
	answers := appendMany(t, []*signettest.Env{e}, signers, workers, perWorker)
	checkAnswers(t, answers, workers*perWorker)
	n := checkChainSQL(t, e)
	if want := int64(len(signers) + workers*perWorker); n != want {
		t.Fatalf("the log has %d records, want %d", n, want)
	}
	replayLog(t, e)
	verifyAll(t, e, n)
}

// TestTwoLogsOneDatabase runs two servers on one schema, as two signetd
// processes on one database, and appends through both at once: one chain,
// and every checkpoint either served is consistent with the final one.
func TestTwoLogsOneDatabase(t *testing.T) {
	e1 := signettest.New(t, signettest.Options{})
	e2 := e1.Second(t)
	ctx := context.Background()
	signers := []keys.PrivateKey{e1.Register(t, "one"), e2.Register(t, "two")}
	const workers, perWorker = 32, 25
	answers := appendMany(t, []*signettest.Env{e1, e2}, signers, workers, perWorker)
	checkAnswers(t, answers, workers*perWorker)
	n := checkChainSQL(t, e1)

	final := latestCheckpoint(t, e1)
	if other := latestCheckpoint(t, e2); other.Size != final.Size || other.Root != final.Root {
		t.Fatalf("servers disagree on the head: %d %v and %d %v", final.Size, final.Root, other.Size, other.Root)
	}
	if final.Size != n {
		t.Fatalf("checkpoint size %d, want %d records", final.Size, n)
	}
	checked := map[int64]tlog.Hash{}
	for _, a := range answers {
		cp, err := ledger.OpenCheckpoint([]byte(a.Checkpoint), e1.Origin, e1.Verifier)
		if err != nil {
			t.Fatalf("answer for %d: OpenCheckpoint = %v", a.Index, err)
		}
		if root, ok := checked[cp.Size]; ok {
			if root != cp.Root {
				t.Errorf("two checkpoints of size %d with different roots", cp.Size)
			}
			continue
		}
		checked[cp.Size] = cp.Root
		p, err := e1.Client.ConsistencyProof(ctx, cp.Size, final.Size)
		if err != nil {
			t.Fatalf("ConsistencyProof(%d, %d) = %v", cp.Size, final.Size, err)
		}
		if err := tlog.CheckTree(p.Hashes, final.Size, final.Root, cp.Size, cp.Root); err != nil {
			t.Errorf("CheckTree(checkpoint %d, final %d) = %v", cp.Size, final.Size, err)
		}
	}
	t.Logf("%d records, %d distinct checkpoints checked", n, len(checked))
	replayLog(t, e1)
	verifyAll(t, e2, n)
	checkSharedNonce(t, e1, e2, signers[0])
}

// latestCheckpoint fetches and opens e's latest checkpoint.
func latestCheckpoint(t *testing.T, e *signettest.Env) *ledger.Checkpoint {
	t.Helper()
	note, err := e.Client.Checkpoint(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	cp, err := ledger.OpenCheckpoint(note, e.Origin, e.Verifier)
	if err != nil {
		t.Fatalf("OpenCheckpoint(%q) = %v", note, err)
	}
	return cp
}

// checkSharedNonce checks that a nonce issued by e1 works at e2, once.
func checkSharedNonce(t *testing.T, e1, e2 *signettest.Env, k keys.PrivateKey) {
	t.Helper()
	nonce := freshNonce(t, e1)
	for i, want := range []struct {
		e      *signettest.Env
		status int
	}{{e2, http.StatusCreated}, {e1, http.StatusBadRequest}} {
		j, err := want.e.Client.Sign(client.Signer{Key: k}, "/v1/entries", nonce, fmt.Appendf(nil, `{"shared_nonce":%d}`, i))
		if err != nil {
			t.Fatal(err)
		}
		if r := send(t, want.e, postEntry(j.Flattened())); r.Status != want.status {
			t.Errorf("entry %d with a nonce issued by the first server = %d %s, want %d", i, r.Status, r.Body, want.status)
		}
	}
}
