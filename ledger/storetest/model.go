package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/signet-ledger/signet/ledger"
	"github.com/signet-ledger/signet/registry"
	"golang.org/x/mod/sumdb/tlog"
)

// model is what a store should hold, built beside it from the same
// batches: every record, every stored hash, the registry and the head.
type model struct {
	w      *world
	head   ledger.Head
	recs   []*ledger.Record
	hashes map[int64]tlog.Hash
	st     *registry.State
}

func newModel(w *world) *model {
	return &model{w: w, hashes: map[int64]tlog.Hash{}, st: registry.NewState()}
}

// ReadHashes reads the model's stored hashes.
func (m *model) ReadHashes(idx []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(idx))
	for i, x := range idx {
		h, ok := m.hashes[x]
		if !ok {
			return nil, fmt.Errorf("storetest: the model has no stored hash %d", x)
		}
		out[i] = h
	}
	return out, nil
}

// next returns the batch that appends ps to the model, leaving it as it is.
func (m *model) next(ps ...pend) *ledger.Batch {
	m.w.t.Helper()
	st := registry.NewState()
	st.Load(m.st.Signers()...)
	b, err := m.w.seal(m.head, m, st, ps...)
	if err != nil {
		m.w.t.Fatal(err)
	}
	return b
}

// commit adds b, which a store committed, to the model. The registry
// follows by replaying the records, as an auditor rebuilds it.
func (m *model) commit(b *ledger.Batch) {
	m.w.t.Helper()
	for _, r := range b.Records {
		if err := ledger.Replay(m.st, r); err != nil {
			m.w.t.Fatalf("ledger.Replay(record %d) = %v", r.Index, err)
		}
		m.recs = append(m.recs, r)
	}
	for _, h := range b.Hashes {
		m.hashes[h.Index] = h.Hash
	}
	if len(b.Records) > 0 { // a batch of only spent nonces leaves the head
		m.head = b.Head
	}
}

// write commits b to s as the sequencer does, checking the snapshot's head
// is the model's, and adds it to the model.
func write(t *testing.T, s ledger.Store, m *model, b *ledger.Batch) {
	t.Helper()
	ctx := testCtx(t)
	err := s.Sequence(ctx, func(ctx context.Context, tx ledger.Tx) error {
		snap, err := tx.Snapshot(ctx, ledger.SnapshotQuery{HashesFor: -1})
		if err != nil {
			return err
		}
		if d := diffHead(snap.Head, m.head); d != "" {
			return fmt.Errorf("Snapshot().Head: %s", d)
		}
		return tx.Write(ctx, b)
	})
	if err != nil {
		t.Fatalf("Sequence(write %d records) = %v", len(b.Records), err)
	}
	m.commit(b)
}

// compare checks that s holds exactly what m holds.
func compare(t *testing.T, s ledger.Store, m *model) {
	t.Helper()
	ctx := testCtx(t)
	h, err := s.Head(ctx)
	if err != nil {
		t.Fatalf("Head() = %v", err)
	}
	if d := diffHead(h, m.head); d != "" {
		t.Errorf("Head(): %s", d)
	}
	compareContent(t, s, m)
}

// compareContent checks that s holds m's records, stored hashes and
// registry, and nothing beyond them.
func compareContent(t *testing.T, s ledger.Store, m *model) {
	t.Helper()
	ctx := testCtx(t)
	all := allRecords(t, s)
	if len(all) != len(m.recs) {
		t.Errorf("Records(all) returned %d records, want %d", len(all), len(m.recs))
	}
	for i, want := range m.recs {
		got, err := s.Record(ctx, int64(i))
		if err != nil {
			t.Errorf("Record(%d) = %v", i, err)
			continue
		}
		if d := diffRecord(got, want); d != "" {
			t.Errorf("Record(%d): %s", i, d)
		}
		if i < len(all) {
			if d := diffRecord(all[i], want); d != "" {
				t.Errorf("Records(all)[%d]: %s", i, d)
			}
		}
		if want.Nonce != "" {
			got, err := s.RecordByNonce(ctx, want.Nonce)
			if err != nil {
				t.Errorf("RecordByNonce(nonce of %d) = %v", i, err)
			} else if d := diffRecord(got, want); d != "" {
				t.Errorf("RecordByNonce(nonce of %d): %s", i, d)
			}
		}
	}
	if _, err := s.Record(ctx, int64(len(m.recs))); !errors.Is(err, ledger.ErrNotFound) {
		t.Errorf("Record(%d) beyond the log = %v, want ErrNotFound", len(m.recs), err)
	}
	compareHashes(t, s, m)
	compareRegistry(t, s, m.st)
}

// allRecords reads every record of s, a page at a time.
func allRecords(t *testing.T, s ledger.Store) []*ledger.Record {
	t.Helper()
	var out []*ledger.Record
	for after := int64(-1); ; {
		page, err := s.Records(testCtx(t), ledger.Query{After: after, Limit: 1000})
		if err != nil {
			t.Fatalf("Records(after %d) = %v", after, err)
		}
		if len(page) == 0 {
			return out
		}
		for _, r := range page {
			if r.Index <= after {
				t.Fatalf("Records(After: %d) returned record %d, not after it or not in index order", after, r.Index)
			}
			after = r.Index
		}
		out = append(out, page...)
	}
}

// compareHashes checks every stored hash of m's tree, and that the next
// one is not stored.
func compareHashes(t *testing.T, s ledger.Store, m *model) {
	t.Helper()
	ctx := testCtx(t)
	n := tlog.StoredHashCount(int64(len(m.recs)))
	for start := int64(0); start < n; start += 500 {
		var idx []int64
		for i := start; i < min(n, start+500); i++ {
			idx = append(idx, i)
		}
		got, err := s.ReadHashes(ctx, idx)
		if err != nil {
			t.Fatalf("ReadHashes(%d..%d) = %v", idx[0], idx[len(idx)-1], err)
		}
		want, _ := m.ReadHashes(idx)
		if len(got) != len(idx) {
			t.Fatalf("ReadHashes(%d indexes) returned %d hashes", len(idx), len(got))
		}
		for i := range idx {
			if got[i] != want[i] {
				t.Errorf("ReadHashes: stored hash %d = %v, want %v", idx[i], got[i], want[i])
			}
		}
	}
	if _, err := s.ReadHashes(ctx, []int64{n}); err == nil {
		t.Errorf("ReadHashes([%d]) beyond the tree of %d records succeeded", n, len(m.recs))
	}
}

// compareRegistry checks every signer and key of st against s.
func compareRegistry(t *testing.T, s ledger.Store, st *registry.State) {
	t.Helper()
	ctx := testCtx(t)
	for _, want := range st.Signers() {
		got, err := s.Signer(ctx, want.ID)
		if err != nil {
			t.Errorf("Signer(%q) = %v", want.ID, err)
			continue
		}
		if d := diffSigner(got, want); d != "" {
			t.Errorf("Signer(%q): %s", want.ID, d)
		}
		for _, wk := range want.Keys {
			gk, err := s.Key(ctx, wk.KID)
			if err != nil {
				t.Errorf("Key(%s) = %v", wk.KID, err)
			} else if d := diffKey(gk, wk); d != "" {
				t.Errorf("Key(%s): %s", wk.KID, d)
			}
		}
	}
}

func diffHead(got, want ledger.Head) string {
	switch {
	case got.Size != want.Size:
		return fmt.Sprintf("Size = %d, want %d", got.Size, want.Size)
	case got.Hash != want.Hash:
		return fmt.Sprintf("Hash = %v, want %v", got.Hash, want.Hash)
	case string(got.Checkpoint) != string(want.Checkpoint) || (got.Checkpoint == nil) != (want.Checkpoint == nil):
		return fmt.Sprintf("Checkpoint = %q, want %q", got.Checkpoint, want.Checkpoint)
	}
	return ""
}

// diffRecord describes how got differs from want. A store need not
// return a record's Nonce; if it does, it must be the one written.
func diffRecord(got, want *ledger.Record) string {
	type field struct {
		name      string
		got, want any
	}
	for _, f := range []field{
		{"Index", got.Index, want.Index}, {"Kind", got.Kind, want.Kind}, {"Signer", got.Signer, want.Signer},
		{"KID", got.KID, want.KID}, {"IntegratedTime", got.IntegratedTime.UnixMicro(), want.IntegratedTime.UnixMicro()},
		{"Protected", got.Protected, want.Protected}, {"Payload", got.Payload, want.Payload},
		{"Signature", got.Signature, want.Signature}, {"Hash", got.Hash, want.Hash}, {"PrevHash", got.PrevHash, want.PrevHash},
	} {
		if f.got != f.want {
			return fmt.Sprintf("%s = %v, want %v", f.name, f.got, f.want)
		}
	}
	if got.IntegratedTime.Location().String() != "UTC" {
		return fmt.Sprintf("IntegratedTime = %v, want it in UTC", got.IntegratedTime)
	}
	if got.Nonce != "" && got.Nonce != want.Nonce {
		return fmt.Sprintf("Nonce = %q, want %q or empty", got.Nonce, want.Nonce)
	}
	return ""
}

func diffSigner(got, want registry.Signer) string {
	switch {
	case got.ID != want.ID:
		return fmt.Sprintf("ID = %q, want %q", got.ID, want.ID)
	case got.RegisteredAt != want.RegisteredAt:
		return fmt.Sprintf("RegisteredAt = %d, want %d", got.RegisteredAt, want.RegisteredAt)
	case !got.RegisteredTime.Equal(want.RegisteredTime):
		return fmt.Sprintf("RegisteredTime = %v, want %v", got.RegisteredTime, want.RegisteredTime)
	case len(got.Keys) != len(want.Keys):
		return fmt.Sprintf("%d keys, want %d", len(got.Keys), len(want.Keys))
	}
	for i := range want.Keys {
		if d := diffKey(got.Keys[i], want.Keys[i]); d != "" {
			return fmt.Sprintf("Keys[%d] (in the order added): %s", i, d)
		}
	}
	return ""
}

func diffKey(got, want registry.Key) string {
	switch {
	case got.KID != want.KID || got.Signer != want.Signer:
		return fmt.Sprintf("key %s of %q, want %s of %q", got.KID, got.Signer, want.KID, want.Signer)
	case got.PublicKey != want.PublicKey:
		return "PublicKey differs"
	case got.AddedAt != want.AddedAt || !got.AddedTime.Equal(want.AddedTime):
		return fmt.Sprintf("added at %d %v, want %d %v", got.AddedAt, got.AddedTime, want.AddedAt, want.AddedTime)
	case (got.Revocation == nil) != (want.Revocation == nil):
		return fmt.Sprintf("Revocation = %+v, want %+v", got.Revocation, want.Revocation)
	case got.Revocation == nil:
		return ""
	}
	g, w := got.Revocation, want.Revocation
	if g.At != w.At || !g.Time.Equal(w.Time) || g.By != w.By || g.Reason != w.Reason ||
		!slices.Equal(optional(g.CompromisedSince), optional(w.CompromisedSince)) {
		return fmt.Sprintf("Revocation = %+v (since %v), want %+v (since %v)",
			*g, optional(g.CompromisedSince), *w, optional(w.CompromisedSince))
	}
	return ""
}

func optional(p *int64) []int64 {
	if p == nil {
		return nil
	}
	return []int64{*p}
}
