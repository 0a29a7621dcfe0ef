package storetest

import (
	"errors"
	"fmt"
	"sort"
	"sync"
	"testing"

	"github.com/signet-ledger/signet/keys"
	"github.com/signet-ledger/signet/ledger"
	"github.com/signet-ledger/signet/registry"
	"golang.org/x/mod/sumdb/tlog"
)

// TestLog runs the ledger on b end to end: two [ledger.Log]s on two
// handles of one database, as two signetd processes sharing it would run.
// Through the ledger's API it registers signers, appends entries (one
// resubmitted, one reusing a nonce), adds and revokes keys, by a signer and
// by the operator, and appends from many goroutines on both Logs at once,
// checking every answer's checkpoint and inclusion proof. Then it
// re-verifies the whole log: the store as an auditor would, [Log.Verify]
// of every index, the export, every inclusion proof and a consistency
// proof from every checkpoint seen. Last, it changes the database behind
// the Logs' backs and checks that [Log.Verify] names each change.
func TestLog(t *testing.T, b Backend) {
	e := &logEnv{t: t, b: b, w: newWorld(t), name: b.New(t), seen: map[int64][]byte{}}
	for i := range e.logs {
		e.stores[i] = b.Open(t, e.name)
		l, err := ledger.Open(testCtx(t), ledger.Config{Store: e.stores[i], Signer: e.w.signer,
			Verifier: e.w.verifier, Origin: e.w.origin})
		if err != nil {
			t.Fatalf("ledger.Open = %v", err)
		}
		t.Cleanup(l.Close)
		e.logs[i] = l
	}
	e.history()
	e.verifyAll()
	t.Run("Tamper", e.tamper)
	e.verifyAll()
}

// logEnv is the two Logs of [TestLog] and what it saw of them.
type logEnv struct {
	t      *testing.T
	b      Backend
	w      *world
	name   string
	stores [2]ledger.Store
	logs   [2]*ledger.Log
	alice  [2]keys.PrivateKey // alice's first key, revoked later, and her second
	bob    keys.PrivateKey    // revoked by the operator

	mu   sync.Mutex
	seen map[int64][]byte // checkpoints the appends returned, by size
}

// signed is a request for path signed by k, with a nonce from l.
func (e *logEnv) signed(l *ledger.Log, k keys.PrivateKey, withJWK bool, path string, payload []byte) ledger.Signed {
	return ledger.Signed{JWS: sign(e.t, k, withJWK, l.NewNonce(), path, payload), Path: path}
}

// check checks an append's answer: a record whose hash is its fields', a
// checkpoint signed by the log key, and an inclusion proof of the record
// in that checkpoint's tree. It is safe for concurrent use.
func (e *logEnv) check(a *ledger.Appended, err error) error {
	if err != nil {
		return err
	}
	cp, err := ledger.OpenCheckpoint(a.Checkpoint, e.w.origin, e.w.verifier)
	switch {
	case err != nil:
		return fmt.Errorf("the answer's checkpoint: %w", err)
	case cp.Size != a.TreeSize || a.Record.Index >= cp.Size:
		return fmt.Errorf("record %d with a checkpoint of %d records and TreeSize %d", a.Record.Index, cp.Size, a.TreeSize)
	case ledger.RecordHash(a.Record) != a.Record.Hash:
		return fmt.Errorf("record %d does not hash to its Hash", a.Record.Index)
	}
	if err := tlog.CheckRecord(a.Proof, cp.Size, cp.Root, a.Record.Index, ledger.LeafHash(a.Record.Hash)); err != nil {
		return fmt.Errorf("record %d: the inclusion proof: %w", a.Record.Index, err)
	}
	e.mu.Lock()
	e.seen[cp.Size] = a.Checkpoint
	e.mu.Unlock()
	return nil
}

// must fails the test, at the caller's line, unless the append
// succeeded and checks.
func (e *logEnv) must(a *ledger.Appended, err error) *ledger.Appended {
	e.t.Helper()
	if err := e.check(a, err); err != nil {
		e.t.Fatalf("the append failed: %v", err)
	}
	return a
}

// history makes the log through the ledger's API.
func (e *logEnv) history() {
	t, ctx, l := e.t, testCtx(e.t), e.logs
	e.alice, e.bob = [2]keys.PrivateKey{newKey(t), newKey(t)}, newKey(t)
	register := func(id string) []byte { return mustJSON(map[string]string{"signer": id}) }
	a := e.must(l[0].Register(ctx, e.signed(l[0], e.alice[0], true, "/v1/signers", register("alice"))))
	if a.Record.Index != 0 || a.Key != kid(e.alice[0]) {
		t.Fatalf("Register(alice) = record %d key %s, want record 0 key %s", a.Record.Index, a.Key, kid(e.alice[0]))
	}
	// The second Log takes a nonce the first issued: they share its key.
	e.must(l[1].Register(ctx, e.signed(l[0], e.bob, true, "/v1/signers", register("bob"))))

	memo := func(m string) []byte { return mustJSON(map[string]string{"memo": m}) }
	s := e.signed(l[0], e.alice[0], false, "/v1/entries", memo("hello"))
	first := e.must(l[0].AppendEntry(ctx, s))
	again := e.must(l[1].AppendEntry(ctx, s))
	if !again.Existing || again.Record.Index != first.Record.Index {
		t.Errorf("resubmitting a JWS appended record %d (Existing %v), want record %d again", again.Record.Index, again.Existing, first.Record.Index)
	}
	reuse := ledger.Signed{JWS: sign(t, e.alice[0], false, s.JWS.Header.Nonce, "/v1/entries", memo("other")), Path: "/v1/entries"}
	if _, err := l[0].AppendEntry(ctx, reuse); !errors.Is(err, ledger.ErrBadNonce) {
		t.Errorf("AppendEntry(another payload with a used nonce) = %v, want ErrBadNonce", err)
	}

	path := "/v1/signers/alice/keys"
	inner := innerKeyChange(t, e.alice[1], "alice", kid(e.alice[0]), path)
	if add := e.must(l[1].AddKey(ctx, e.signed(l[1], e.alice[0], false, path, inner), "alice")); add.Key != kid(e.alice[1]) {
		t.Errorf("AddKey().Key = %s, want %s", add.Key, kid(e.alice[1]))
	}

	e.concurrent()

	rv := e.signed(l[0], e.alice[1], false, ledger.RevokePath("alice", kid(e.alice[0])), mustJSON(ledger.RevokeRequest{Reason: "rotated"}))
	e.must(l[0].Revoke(ctx, rv, "alice", kid(e.alice[0])))
	if _, err := l[1].AppendEntry(ctx, e.signed(l[1], e.alice[0], false, "/v1/entries", memo("late"))); !errors.Is(err, registry.ErrRevokedKey) {
		t.Errorf("AppendEntry(signed by a revoked key) = %v, want ErrRevokedKey", err)
	}
	e.must(l[1].RevokeByOperator(ctx, "bob", kid(e.bob), []byte(`{"reason":"left"}`)))
	if _, err := l[0].AppendEntry(ctx, e.signed(l[0], e.bob, false, "/v1/entries", memo("late"))); !errors.Is(err, registry.ErrRevokedKey) {
		t.Errorf("AppendEntry(signed by a key the operator revoked) = %v, want ErrRevokedKey", err)
	}
	e.must(l[1].AppendEntry(ctx, e.signed(l[1], e.alice[1], false, "/v1/entries", memo("last"))))
}

// concurrent appends from many goroutines on both Logs at once, one
// batch of entries among them.
func (e *logEnv) concurrent() {
	t, ctx := e.t, testCtx(e.t)
	var wg sync.WaitGroup
	for g := range writers {
		l, k := e.logs[g%2], []keys.PrivateKey{e.alice[1], e.bob}[g/2%2]
		wg.Go(func() {
			for i := range 15 {
				s := e.signed(l, k, false, "/v1/entries", mustJSON(map[string]any{"writer": g, "n": i}))
				if err := e.check(l.AppendEntry(ctx, s)); err != nil {
					t.Errorf("writer %d: AppendEntry %d = %v", g, i, err)
					return
				}
			}
		})
	}
	wg.Go(func() {
		var reqs []ledger.Signed
		for i := range 20 {
			reqs = append(reqs, e.signed(e.logs[0], e.alice[0], false, "/v1/entries", mustJSON(map[string]any{"batch": i})))
		}
		res, err := e.logs[0].AppendEntries(ctx, reqs)
		if err != nil {
			t.Errorf("AppendEntries = %v", err)
		}
		for i, r := range res {
			if err := e.check(r.Appended, r.Err); err != nil {
				t.Errorf("AppendEntries[%d] = %v", i, err)
			}
		}
	})
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
}

// verifyAll re-verifies the whole log with the verifiers users run.
func (e *logEnv) verifyAll() {
	t, ctx := e.t, testCtx(e.t)
	t.Helper()
	recs := checkLog(t, e.stores[1], e.w)
	n := int64(len(recs))
	head, err := e.logs[0].Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	latest, err := ledger.OpenCheckpoint(head.Checkpoint, e.w.origin, e.w.verifier)
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		for j, l := range e.logs {
			if j == 1 && i%10 != 0 {
				continue // the second Log verifies a sample
			}
			v, err := l.Verify(ctx, i)
			if err != nil || !v.Verified {
				t.Fatalf("Log %d: Verify(%d) = %+v, %v; want verified", j, i, v, err)
			}
		}
		p, err := e.logs[i%2].ProveInclusion(ctx, i, 0)
		if err != nil || p.TreeSize != n || p.LeafHash != ledger.LeafHash(recs[i].Hash) ||
			tlog.CheckRecord(p.Proof, n, latest.Root, i, p.LeafHash) != nil {
			t.Fatalf("ProveInclusion(%d, latest) = %+v, %v; does not prove record %d in the latest checkpoint", i, p, err, i)
		}
	}
	e.checkExport(recs, head)
	e.checkOlderCheckpoints(latest)
	t.Logf("verified %d records and %d checkpoints", n, len(e.seen))
}

// checkExport checks that the export holds the log's records and ends
// with its head's checkpoint.
func (e *logEnv) checkExport(recs []*ledger.Record, head ledger.Head) {
	t := e.t
	var got []*ledger.Record
	end, err := e.logs[1].Export(testCtx(t), 0, 0, func(r *ledger.Record) error {
		got = append(got, r)
		return nil
	})
	if err != nil || end.TreeSize != head.Size || string(end.Checkpoint) != string(head.Checkpoint) || len(got) != len(recs) {
		t.Fatalf("Export() = %d records, %+v, %v; want %d records and the head's checkpoint", len(got), end, err, len(recs))
	}
	for i := range recs {
		if d := diffRecord(got[i], recs[i]); d != "" {
			t.Fatalf("Export()[%d]: %s", i, d)
		}
	}
}

// checkOlderCheckpoints proves every checkpoint an append returned
// consistent with the latest, and a record inclusion in each.
func (e *logEnv) checkOlderCheckpoints(latest *ledger.Checkpoint) {
	t, ctx := e.t, testCtx(e.t)
	var sizes []int64
	for sz := range e.seen {
		sizes = append(sizes, sz)
	}
	sort.Slice(sizes, func(i, j int) bool { return sizes[i] < sizes[j] })
	for _, sz := range sizes {
		old, err := ledger.OpenCheckpoint(e.seen[sz], e.w.origin, e.w.verifier)
		if err != nil {
			t.Fatal(err)
		}
		if sz < latest.Size {
			p, err := e.logs[sz%2].ProveConsistency(ctx, sz, 0)
			if err != nil || tlog.CheckTree(p.Proof, latest.Size, latest.Root, sz, old.Root) != nil {
				t.Fatalf("ProveConsistency(%d, latest %d) = %+v, %v; does not prove the checkpoint of %d a prefix", sz, latest.Size, p, err, sz)
			}
		}
		i := sz / 2
		p, err := e.logs[0].ProveInclusion(ctx, i, sz)
		if err != nil || tlog.CheckRecord(p.Proof, sz, old.Root, i, p.LeafHash) != nil {
			t.Fatalf("ProveInclusion(%d, %d) = %+v, %v; does not prove it in the checkpoint of %d", i, sz, p, err, sz)
		}
	}
}

// logTampering is a change to the database, from orig to value, that
// [ledger.Log.Verify] of record at must report, failing the check failed
// names.
type logTampering struct {
	name          string
	table, column string
	key           any
	orig, value   any
	at            int64
	failed        func(ledger.Checks) bool
}

// tamper makes each change, checks Verify reports it, and undoes it.
func (e *logEnv) tamper(t *testing.T) {
	ctx := testCtx(t)
	recs := allRecords(t, e.stores[0])
	i := int64(len(recs)) / 2 // an entry in the middle
	r := recs[i]
	head, err := e.stores[0].Head(ctx)
	if err != nil || r.Kind != ledger.KindEntry {
		t.Fatalf("Head() = %v; record %d is a %s; want an entry", err, i, r.Kind)
	}
	leaf := tlog.StoredHashIndex(0, i^1) // in record i's inclusion proof
	hs, err := e.stores[0].ReadHashes(ctx, []int64{leaf})
	if err != nil {
		t.Fatal(err)
	}
	a0, err := e.stores[0].Key(ctx, kid(e.alice[0]))
	if err != nil || a0.Revocation == nil {
		t.Fatalf("Key(alice's first key) = %+v, %v; want it revoked", a0, err)
	}
	byA0 := int64(-1) // a record alice's first key signed after index 1
	for _, r := range recs {
		if r.KID == kid(e.alice[0]) && r.Index > 1 {
			byA0 = r.Index
			break
		}
	}
	for _, c := range []logTampering{
		{"records.payload", "records", "payload", i, r.Payload, "eyJ0YW1wZXJlZCI6dHJ1ZX0", i,
			func(c ledger.Checks) bool { return !c.RecordHash }},
		{"records.signature", "records", "signature", i, r.Signature, flip(r.Signature), i,
			func(c ledger.Checks) bool { return !c.Signature }},
		{"records.prev_hash", "records", "prev_hash", i, r.PrevHash[:], randomBytes(32), i,
			func(c ledger.Checks) bool { return !c.ChainLink }},
		{"tree_hashes.hash", "tree_hashes", "hash", leaf, hs[0][:], randomBytes(32), i,
			func(c ledger.Checks) bool { return !c.Inclusion }},
		{"log_head.checkpoint", "log_head", "checkpoint", int64(1), string(head.Checkpoint), "forged\n", i,
			func(c ledger.Checks) bool { return !c.Inclusion }},
		// The registry table says the key was revoked at 1, the log later.
		{"signer_keys.revoked_at", "signer_keys", "revoked_at", kid(e.alice[0]), a0.Revocation.At, int64(1), byA0,
			func(c ledger.Checks) bool { return !c.Signature }},
	} {
		t.Run(c.name, func(t *testing.T) {
			e.b.Tamper(t, e.name, c.table, c.column, c.key, c.value)
			v, err := e.logs[0].Verify(ctx, c.at)
			if err != nil || v.Verified || !c.failed(v.Checks) || len(v.Problems) == 0 {
				t.Errorf("Verify(%d) after changing %s.%s = %+v, %v; want it unverified, naming the change", c.at, c.table, c.column, v, err)
			}
			e.b.Tamper(t, e.name, c.table, c.column, c.key, c.orig)
			if v, err := e.logs[0].Verify(ctx, c.at); err != nil || !v.Verified {
				t.Errorf("Verify(%d) after undoing the change = %+v, %v; want verified", c.at, v, err)
			}
		})
	}
}

// flip changes the first character of a base64url string.
func flip(s string) string {
	c := byte('A')
	if s[0] == 'A' {
		c = 'B'
	}
	return string(c) + s[1:]
}
