package storetest

import (
	"testing"

	"github.com/signet-ledger/signet/ledger"
	"golang.org/x/mod/sumdb/tlog"
)

// checkLog re-verifies everything s holds as an auditor would, trusting
// nothing but the log key: every record's index, hash and chain link;
// every signature and registry change, replayed from the records' own
// bytes, and the store's registry compared with the result; every stored
// hash recomputed from the records; the head's checkpoint signed by the log
// key over the recomputed root. It returns the records.
func checkLog(t *testing.T, s ledger.Store, w *world) []*ledger.Record {
	t.Helper()
	recs := allRecords(t, s)
	m := newModel(w)
	var prev ledger.Hash
	for i, r := range recs {
		switch {
		case r.Index != int64(i):
			t.Fatalf("the log's record %d has index %d: the chain has a gap", i, r.Index)
		case r.PrevHash != prev:
			t.Fatalf("record %d: PrevHash = %v, want the hash of record %d, %v: the chain forked", i, r.PrevHash, i-1, prev)
		case ledger.RecordHash(r) != r.Hash:
			t.Fatalf("record %d: the stored hash is not the hash of its fields", i)
		}
		if err := ledger.Replay(m.st, r); err != nil {
			t.Fatalf("ledger.Replay(record %d) = %v", i, err)
		}
		hs, err := tlog.StoredHashesForRecordHash(int64(i), ledger.LeafHash(r.Hash), m)
		if err != nil {
			t.Fatal(err)
		}
		for k, h := range hs {
			m.hashes[tlog.StoredHashIndex(0, int64(i))+int64(k)] = h
		}
		m.recs, prev = append(m.recs, r), r.Hash
	}
	compareContent(t, s, m)
	h, err := s.Head(testCtx(t))
	if err != nil {
		t.Fatalf("Head() = %v", err)
	}
	if h.Size != int64(len(recs)) || h.Hash != prev {
		t.Fatalf("Head() = size %d hash %v; the log has %d records, the last hashing %v", h.Size, h.Hash, len(recs), prev)
	}
	if h.Size == 0 {
		return recs
	}
	cp, err := ledger.OpenCheckpoint(h.Checkpoint, w.origin, w.verifier)
	if err != nil {
		t.Fatalf("the head's checkpoint: %v", err)
	}
	root, err := tlog.TreeHash(h.Size, m)
	if err != nil {
		t.Fatal(err)
	}
	if cp.Size != h.Size || cp.Root != root {
		t.Fatalf("the head's checkpoint is of tree %d %v; the records make tree %d %v", cp.Size, cp.Root, h.Size, root)
	}
	return recs
}
