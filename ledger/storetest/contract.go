package storetest

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"sync"
	"testing"

	"github.com/signet-ledger/signet/keys"
	"github.com/signet-ledger/signet/ledger"
	"github.com/signet-ledger/signet/registry"
	"golang.org/x/mod/sumdb/tlog"
)

// testEmpty checks a new store: an empty head and nothing to find.
func testEmpty(t *testing.T, b Backend) {
	ctx := testCtx(t)
	s := b.Open(t, b.New(t))
	if err := s.Ping(ctx); err != nil {
		t.Errorf("Ping() = %v", err)
	}
	h, err := s.Head(ctx)
	if err != nil || h.Size != 0 || h.Hash != (ledger.Hash{}) || h.Checkpoint != nil {
		t.Errorf("Head() = %+v, %v; want size 0, a zero hash and a nil checkpoint", h, err)
	}
	recs, err := s.Records(ctx, ledger.Query{After: -1, Limit: 10})
	if err != nil || len(recs) != 0 {
		t.Errorf("Records(all) = %d records, %v; want none", len(recs), err)
	}
	checkNotFound(t, s, 0)
	if hs, err := s.ReadHashes(ctx, nil); err != nil || len(hs) != 0 {
		t.Errorf("ReadHashes(nil) = %v, %v; want no hashes and no error", hs, err)
	}
	if _, err := s.ReadHashes(ctx, []int64{0}); err == nil {
		t.Errorf("ReadHashes([0]) of an empty tree succeeded")
	}
	for _, hashesFor := range []int64{-1, 0} {
		snap := snapshot(t, s, ledger.SnapshotQuery{Signers: []string{"alice"}, KIDs: []string{"kid"},
			Nonces: []string{nonce()}, HashesFor: hashesFor})
		if snap.Head.Size != 0 || len(snap.Registry) != 0 || len(snap.ByNonce) != 0 || len(snap.Hashes) != 0 {
			t.Errorf("Snapshot(HashesFor %d) of an empty store = %+v, want an empty head and nothing else", hashesFor, snap)
		}
	}
}

// checkNotFound checks the reads of things that are not in s, a log of
// size records, for errors wrapping ErrNotFound.
func checkNotFound(t *testing.T, s ledger.Store, size int64) {
	t.Helper()
	ctx := testCtx(t)
	for _, i := range []int64{size, size + 1000, -1} {
		if r, err := s.Record(ctx, i); !errors.Is(err, ledger.ErrNotFound) {
			t.Errorf("Record(%d) = %v, %v; want ErrNotFound", i, r, err)
		}
	}
	// Operator records have no nonce: the empty nonce must not find them.
	for _, n := range []string{nonce(), ""} {
		if r, err := s.RecordByNonce(ctx, n); !errors.Is(err, ledger.ErrNotFound) {
			t.Errorf("RecordByNonce(%q) = %v, %v; want ErrNotFound", n, r, err)
		}
	}
	if sg, err := s.Signer(ctx, "nobody"); !errors.Is(err, ledger.ErrNotFound) {
		t.Errorf("Signer(nobody) = %+v, %v; want ErrNotFound", sg, err)
	}
	if k, err := s.Key(ctx, kid(newKey(t))); !errors.Is(err, ledger.ErrNotFound) {
		t.Errorf("Key(unknown) = %+v, %v; want ErrNotFound", k, err)
	}
}

// snapshot runs q in a Sequence that writes nothing.
func snapshot(t *testing.T, s ledger.Store, q ledger.SnapshotQuery) *ledger.Snapshot {
	t.Helper()
	var snap *ledger.Snapshot
	err := s.Sequence(testCtx(t), func(ctx context.Context, tx ledger.Tx) error {
		var err error
		snap, err = tx.Snapshot(ctx, q)
		return err
	})
	if err != nil {
		t.Fatalf("Sequence(Snapshot(%+v)) = %v", q, err)
	}
	return snap
}

// fixture is a log of three batches covering every kind of record and
// registry change, and the keys that made it.
type fixture struct {
	name                   string
	s                      ledger.Store
	w                      *world
	m                      *model
	a1, a2, b1, c1, c2     keys.PrivateKey
	aliceEntry, operatorRv int64 // indexes of an entry of alice and of the operator's revocation
}

// bulk is the number of entries in the fixture's third batch: more than
// one multi-row insert holds, and a tree past a full tile of 256.
const bulk = 600

func newFixture(t *testing.T, b Backend) *fixture {
	f := &fixture{name: b.New(t), w: newWorld(t)}
	f.s, f.m = b.Open(t, f.name), newModel(f.w)
	f.a1, f.a2, f.b1, f.c1, f.c2 = newKey(t), newKey(t), newKey(t), newKey(t), newKey(t)
	w, m := f.w, f.m
	write(t, f.s, m, m.next(w.register("alice", f.a1), w.register("bob", f.b1),
		w.entry("alice", f.a1, "one"), w.entry("bob", f.b1, "two"), w.entry("alice", f.a1, "three")))
	f.aliceEntry = 2
	compare(t, f.s, m)
	// A key change; a revocation by the signer's other key, declaring the
	// old key compromised from record 5, where that other key was added
	// (it may not reach further back); the operator revoking bob's last key.
	since := int64(5)
	write(t, f.s, m, m.next(w.addKey("alice", f.a1, f.a2), w.entry("alice", f.a2, "four"),
		w.revoke("alice", kid(f.a1), &f.a2, "lost", &since), w.register("carol", f.c1),
		w.revoke("bob", kid(f.b1), nil, "left", nil)))
	f.operatorRv = m.head.Size - 1
	compare(t, f.s, m)
	// A key added and revoked in one batch, then many entries.
	ps := []pend{w.addKey("carol", f.c1, f.c2), w.revoke("carol", kid(f.c2), &f.c1, "mistake", nil)}
	for range bulk {
		ps = append(ps, w.entry("carol", f.c1, "bulk"))
	}
	write(t, f.s, m, m.next(ps...))
	compare(t, f.s, m)
	return f
}

// testWriteRead writes the fixture, checking every read after each batch,
// then checks the snapshot, queries, hash reads and misses on it.
func testWriteRead(t *testing.T, b Backend) {
	f := newFixture(t, b)
	checkLog(t, f.s, f.w)
	t.Run("Snapshot", func(t *testing.T) { testSnapshot(t, f) })
	t.Run("Records", func(t *testing.T) { testRecords(t, f) })
	t.Run("ReadHashes", func(t *testing.T) { testReadHashes(t, f) })
	t.Run("NotFound", func(t *testing.T) { checkNotFound(t, f.s, f.m.head.Size) })
	t.Run("SecondHandle", func(t *testing.T) {
		// Another process sees every commit.
		compare(t, b.Open(t, f.name), f.m)
	})
	t.Run("ReadOwnWrites", func(t *testing.T) { testReadOwnWrites(t, f) })
}

func testSnapshot(t *testing.T, f *fixture) {
	m := f.m
	signers := func(ids ...string) []registry.Signer {
		var out []registry.Signer
		for _, id := range ids {
			sg, _ := m.st.Signer(id)
			out = append(out, sg)
		}
		return out
	}
	for _, c := range []struct {
		name string
		q    ledger.SnapshotQuery
		want []registry.Signer
	}{
		{"BySigner", ledger.SnapshotQuery{Signers: []string{"alice"}}, signers("alice")},
		{"ByKID", ledger.SnapshotQuery{KIDs: []string{kid(f.b1)}}, signers("bob")},
		{"ByRevokedKID", ledger.SnapshotQuery{KIDs: []string{kid(f.c2)}}, signers("carol")},
		{"BySignerAndKID", ledger.SnapshotQuery{Signers: []string{"alice"}, KIDs: []string{kid(f.c1)}}, signers("alice", "carol")},
		{"OnceForManyKIDs", ledger.SnapshotQuery{Signers: []string{"alice"}, KIDs: []string{kid(f.a1), kid(f.a2)}}, signers("alice")},
		{"Unknown", ledger.SnapshotQuery{Signers: []string{"nobody"}, KIDs: []string{kid(newKey(t))}}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			c.q.HashesFor = -1
			snap := snapshot(t, f.s, c.q)
			if d := diffHead(snap.Head, m.head); d != "" {
				t.Errorf("Snapshot().Head: %s", d)
			}
			got := slices.SortedFunc(slices.Values(snap.Registry), func(a, b registry.Signer) int { return cmpString(a.ID, b.ID) })
			if len(got) != len(c.want) {
				t.Fatalf("Snapshot(%+v).Registry has %d signers, want %d", c.q, len(got), len(c.want))
			}
			for i := range got {
				if d := diffSigner(got[i], c.want[i]); d != "" {
					t.Errorf("Snapshot(%+v).Registry[%q]: %s", c.q, c.want[i].ID, d)
				}
			}
		})
	}
	t.Run("ByNonce", func(t *testing.T) {
		want := []*ledger.Record{m.recs[f.aliceEntry], m.recs[len(m.recs)-1]}
		q := ledger.SnapshotQuery{Nonces: []string{want[0].Nonce, nonce(), want[1].Nonce, ""}, HashesFor: -1}
		snap := snapshot(t, f.s, q)
		if len(snap.ByNonce) != len(want) {
			t.Errorf("Snapshot().ByNonce has %d records, want %d", len(snap.ByNonce), len(want))
		}
		for _, w := range want {
			got, ok := snap.ByNonce[w.Nonce]
			if !ok {
				t.Errorf("Snapshot().ByNonce has no record for the nonce of record %d", w.Index)
			} else if d := diffRecord(got, w); d != "" {
				t.Errorf("Snapshot().ByNonce[nonce of %d]: %s", w.Index, d)
			}
		}
	})
	t.Run("Hashes", func(t *testing.T) { testSnapshotHashes(t, f) })
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// testSnapshotHashes checks the frontier guess: read when the head's size
// is HashesFor, nil when it is not.
func testSnapshotHashes(t *testing.T, f *fixture) {
	size := f.m.head.Size
	guess := ledger.Frontier(size)
	want, _ := f.m.ReadHashes(guess)
	snap := snapshot(t, f.s, ledger.SnapshotQuery{Hashes: guess, HashesFor: size})
	if !slices.Equal(snap.Hashes, want) {
		t.Errorf("Snapshot(Hashes: ledger.Frontier(%d), HashesFor: %d).Hashes = %v, want %v", size, size, snap.Hashes, want)
	}
	for _, wrong := range []int64{size - 1, size + 1, -1} {
		q := ledger.SnapshotQuery{HashesFor: wrong}
		if wrong >= 0 {
			q.Hashes = ledger.Frontier(wrong)
		}
		snap := snapshot(t, f.s, q)
		if snap.Hashes != nil {
			t.Errorf("Snapshot(HashesFor: %d) of a log of %d = %v, want nil Hashes", wrong, size, snap.Hashes)
		}
	}
	// A guess naming a hash that is not stored fails as a wrong guess or
	// as an error, never with made-up hashes.
	missing := append(slices.Clone(guess), tlog.StoredHashCount(size)+3)
	err := f.s.Sequence(testCtx(t), func(ctx context.Context, tx ledger.Tx) error {
		snap, err := tx.Snapshot(ctx, ledger.SnapshotQuery{Hashes: missing, HashesFor: size})
		if err == nil && snap.Hashes != nil {
			t.Errorf("Snapshot(Hashes: %v, one not stored) = %v, want nil Hashes or an error", missing, snap.Hashes)
		}
		return nil
	})
	if err != nil {
		t.Logf("Sequence(Snapshot with a missing hash) = %v", err)
	}
}

func testRecords(t *testing.T, f *fixture) {
	recs := f.m.recs
	n := int64(len(recs))
	for _, q := range []ledger.Query{
		{After: -1, Limit: 1000},
		{After: 0, Limit: 5}, // After is exclusive: record 0 is not selected
		{After: -1, Limit: 3},
		{After: 2, Limit: 3},
		{After: n - 2, Limit: 10},
		{After: n - 1, Limit: 10},
		{After: n + 100, Limit: 10},
		{Signer: "alice", After: -1, Limit: 100},
		{Signer: "alice", After: f.aliceEntry, Limit: 2},
		{Signer: "bob", After: -1, Limit: 100},
		{Signer: "nobody", After: -1, Limit: 100},
		{Kind: ledger.KindKeyRevoked, After: -1, Limit: 100},
		{Kind: ledger.KindRegistered, After: 0, Limit: 100},
		{Kind: ledger.KindEntry, After: 100, Limit: 7},
		{Signer: "carol", Kind: ledger.KindKeyAdded, After: -1, Limit: 100},
		{Signer: "bob", Kind: ledger.KindKeyRevoked, After: -1, Limit: 100},
		{Signer: "carol", Kind: ledger.KindEntry, After: n - 5, Limit: 100},
	} {
		got, err := f.s.Records(testCtx(t), q)
		if err != nil {
			t.Errorf("Records(%+v) = %v", q, err)
			continue
		}
		want := selectRecords(recs, q)
		if len(got) != len(want) {
			t.Errorf("Records(%+v) returned %d records, want %d", q, len(got), len(want))
			continue
		}
		for i := range want {
			if d := diffRecord(got[i], want[i]); d != "" {
				t.Errorf("Records(%+v)[%d]: %s", q, i, d)
				break
			}
		}
	}
	// Paging through one signer's records with After and Limit visits each once.
	var paged []*ledger.Record
	for after := int64(-1); ; {
		page, err := f.s.Records(testCtx(t), ledger.Query{Signer: "carol", After: after, Limit: 97})
		if err != nil {
			t.Fatalf("Records(carol, after %d) = %v", after, err)
		}
		if len(page) == 0 || page[0].Index <= after {
			break
		}
		paged, after = append(paged, page...), page[len(page)-1].Index
	}
	want := selectRecords(recs, ledger.Query{Signer: "carol", After: -1, Limit: len(recs)})
	if len(paged) != len(want) {
		t.Errorf("paging through carol's records gave %d records, want %d", len(paged), len(want))
	}
}

// selectRecords is what Records(q) must return from recs.
func selectRecords(recs []*ledger.Record, q ledger.Query) []*ledger.Record {
	var out []*ledger.Record
	for _, r := range recs {
		if r.Index > q.After && (q.Signer == "" || r.Signer == q.Signer) && (q.Kind == "" || r.Kind == q.Kind) && len(out) < q.Limit {
			out = append(out, r)
		}
	}
	return out
}

func testReadHashes(t *testing.T, f *fixture) {
	ctx := testCtx(t)
	n := tlog.StoredHashCount(f.m.head.Size)
	// Any order, and repeats, come back as asked.
	idx := []int64{n - 1, 0, 17, 3, 17, n / 2, 1, n - 1}
	want, _ := f.m.ReadHashes(idx)
	read := func(name string, rd func([]int64) ([]tlog.Hash, error)) {
		got, err := rd(idx)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("%s(%v) = %v, %v; want %v", name, idx, got, err, want)
		}
		for _, bad := range [][]int64{{n}, {0, n + 5, 1}, {-1}} {
			if got, err := rd(bad); err == nil {
				t.Errorf("%s(%v) with a hash not stored = %v, want an error", name, bad, got)
			}
		}
		if got, err := rd([]int64{}); err != nil || len(got) != 0 {
			t.Errorf("%s([]) = %v, %v; want no hashes", name, got, err)
		}
	}
	read("ReadHashes", func(i []int64) ([]tlog.Hash, error) { return f.s.ReadHashes(ctx, i) })
	err := f.s.Sequence(ctx, func(ctx context.Context, tx ledger.Tx) error {
		if _, err := tx.Snapshot(ctx, ledger.SnapshotQuery{HashesFor: -1}); err != nil {
			return err
		}
		read("Tx.ReadHashes", func(i []int64) ([]tlog.Hash, error) { return tx.ReadHashes(ctx, i) })
		return nil
	})
	if err != nil {
		t.Errorf("Sequence(reads) = %v", err)
	}
}

// testReadOwnWrites checks that the transaction reads what it wrote, and
// that every reader sees a commit as soon as Sequence returns.
func testReadOwnWrites(t *testing.T, f *fixture) {
	ctx := testCtx(t)
	b := f.m.next(f.w.entry("carol", f.c1, "own"), f.w.entry("carol", f.c1, "writes"))
	err := f.s.Sequence(ctx, func(ctx context.Context, tx ledger.Tx) error {
		if _, err := tx.Snapshot(ctx, ledger.SnapshotQuery{HashesFor: -1}); err != nil {
			return err
		}
		if err := tx.Write(ctx, b); err != nil {
			return err
		}
		var idx []int64
		var want []tlog.Hash
		for _, h := range b.Hashes {
			idx, want = append(idx, h.Index), append(want, h.Hash)
		}
		if got, err := tx.ReadHashes(ctx, idx); err != nil || !slices.Equal(got, want) {
			t.Errorf("Tx.ReadHashes(the batch's hashes) after Write = %v, %v; want %v", got, err, want)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Sequence = %v", err)
	}
	f.m.commit(b)
	h, err := f.s.Head(ctx)
	if err != nil || h.Size != b.Head.Size || !bytes.Equal(h.Checkpoint, b.Head.Checkpoint) {
		t.Errorf("Head() right after Sequence = %+v, %v; want size %d", h, err, b.Head.Size)
	}
	compare(t, f.s, f.m)
}

// testSecret checks get-or-create: the first value stays, for every
// caller on every handle.
func testSecret(t *testing.T, b Backend) {
	ctx := testCtx(t)
	name := b.New(t)
	s1, s2 := b.Open(t, name), b.Open(t, name)
	gen := func(v string) func() []byte { return func() []byte { return []byte(v) } }
	check := func(s ledger.Store, name, g, want string) {
		t.Helper()
		got, err := s.Secret(ctx, name, gen(g))
		if err != nil || string(got) != want {
			t.Errorf("Secret(%q, gen %q) = %q, %v; want %q", name, g, got, err, want)
		}
	}
	check(s1, "one", "first", "first")
	check(s1, "one", "second", "first")
	check(s2, "one", "third", "first")
	check(s2, "two", "other", "other")
	check(s1, "two", "again", "other")
	// Racing first calls all get one value.
	var wg sync.WaitGroup
	got := make([][]byte, 16)
	for i := range got {
		s := []ledger.Store{s1, s2}[i%2]
		wg.Go(func() {
			v, err := s.Secret(ctx, "race", func() []byte { return []byte{byte(i)} })
			if err != nil {
				t.Errorf("Secret(race) = %v", err)
			}
			got[i] = v
		})
	}
	wg.Wait()
	for i := range got {
		if !bytes.Equal(got[i], got[0]) || len(got[i]) != 1 {
			t.Fatalf("racing Secret calls returned %v", got)
		}
	}
}
