package ledger_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/signet-ledger/signet"
	"github.com/signet-ledger/signet/internal/memstore"
	"github.com/signet-ledger/signet/internal/signettest"
	"github.com/signet-ledger/signet/keys"
	"github.com/signet-ledger/signet/ledger"
)

const memBase = "https://signet.test"

// memSign signs payload with k for path, naming k by kid, or carrying it
// in jwk for a registration.
func memSign(t *testing.T, m *signettest.Mem, k keys.PrivateKey, path string, payload []byte) ledger.Signed {
	h := keys.Header{Nonce: m.Log.NewNonce(), URL: memBase + path}
	if path == signet.SignersPath {
		pub := k.Public()
		h.JWK = &pub
	} else {
		h.Kid = k.Public().Thumbprint()
	}
	j, err := k.Sign(h, payload)
	if err != nil {
		t.Fatal(err)
	}
	return ledger.Signed{JWS: j, Path: path}
}

// memBurst is a registration of carol and n entries of alice's, signed
// and not sent.
func memBurst(t *testing.T, m *signettest.Mem, alice, carol keys.PrivateKey, n int) []ledger.Signed {
	out := []ledger.Signed{memSign(t, m, carol, signet.SignersPath, []byte(`{"signer":"carol"}`))}
	for i := range n {
		out = append(out, memSign(t, m, alice, signet.EntriesPath, fmt.Appendf(nil, `{"burst":%d}`, i)))
	}
	return out
}

// sendBurst sends every request at once and returns the answers in order.
func sendBurst(m *signettest.Mem, reqs []ledger.Signed) []error {
	errs := make([]error, len(reqs))
	var wg sync.WaitGroup
	for i, r := range reqs {
		wg.Go(func() {
			var a *ledger.Appended
			if r.Path == signet.SignersPath {
				a, errs[i] = m.Log.Register(context.Background(), r)
			} else {
				a, errs[i] = m.Log.AppendEntry(context.Background(), r)
			}
			if errs[i] == nil && a.Existing {
				errs[i] = fmt.Errorf("record %d was already in the log", a.Record.Index)
			}
		})
	}
	wg.Wait()
	return errs
}

var errLost = fmt.Errorf("%w: fault: connection lost", ledger.ErrUnavailable)

// memFaults are store failures during a burst of appends, and whether
// the requests must learn that the log is unavailable (503) or that it
// failed (500); never that they were refused, nor that the log is corrupt.
var memFaults = []struct {
	name        string
	op          memstore.Op
	err         error
	unavailable bool
}{
	{"BeginUnavailable", memstore.OpBegin, errLost, true},
	{"SnapshotUnavailable", memstore.OpSnapshot, errLost, true},
	{"WriteUnavailable", memstore.OpWrite, errLost, true},
	{"WriteFails", memstore.OpWrite, errors.New("fault: write failed"), false},
	{"CommitUnavailable", memstore.OpCommit, errLost, true},
	{"CommitFails", memstore.OpCommit, errors.New("fault: commit failed"), false},
}

// TestMemStoreFaults fails the store under a burst of appends: every
// request gets the store's error, nothing of the burst is visible, and
// once the fault clears the very same signed requests are appended and
// every record verifies.
func TestMemStoreFaults(t *testing.T) {
	for _, c := range memFaults {
		t.Run(c.name, func(t *testing.T) {
			m, alice := memAlice(t)
			carol := signettest.Key(t)
			before := memHead(t, m)
			burst := memBurst(t, m, alice, carol, 16)

			m.Store.Faults.Fail(c.op, -1, c.err)
			for i, err := range sendBurst(m, burst) {
				if !errors.Is(err, c.err) || errors.Is(err, ledger.ErrUnavailable) != c.unavailable ||
					errors.Is(err, ledger.ErrCorrupt) || signet.RuleOf(err) != "" {
					t.Errorf("request %d while the store fails = %v, want %v", i, err, c.err)
				}
			}
			checkNothingVisible(t, m, before, burst)

			m.Store.Faults.Clear()
			for i, err := range sendBurst(m, burst) {
				if err != nil {
					t.Errorf("request %d after the fault = %v, want it appended", i, err)
				}
			}
			if h := memHead(t, m); h.Size != before.Size+int64(len(burst)) {
				t.Errorf("the log has %d records after the fault, want %d", h.Size, before.Size+int64(len(burst)))
			}
			verifyMem(t, m)
		})
	}
}

// memAlice returns a Log on the memstore with alice registered, and her key.
func memAlice(t *testing.T) (*signettest.Mem, keys.PrivateKey) {
	m := signettest.NewMem(t, nil)
	alice := signettest.Key(t)
	if _, err := m.Log.Register(context.Background(), memSign(t, m, alice, signet.SignersPath, []byte(`{"signer":"alice"}`))); err != nil {
		t.Fatal(err)
	}
	return m, alice
}

func memHead(t *testing.T, m *signettest.Mem) ledger.Head {
	t.Helper()
	h, err := m.Log.Head(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// checkNothingVisible checks that the log is still before and holds none
// of burst's records: not its entries, nor carol's registration.
func checkNothingVisible(t *testing.T, m *signettest.Mem, before ledger.Head, burst []ledger.Signed) {
	t.Helper()
	ctx := context.Background()
	if h := memHead(t, m); h.Size != before.Size || h.Hash != before.Hash || string(h.Checkpoint) != string(before.Checkpoint) {
		t.Errorf("head after the failed burst = %d %v, want it unchanged: %d %v", h.Size, h.Hash, before.Size, before.Hash)
	}
	if recs, err := m.Store.Records(ctx, ledger.Query{After: -1, Limit: 1000}); err != nil || int64(len(recs)) != before.Size {
		t.Errorf("Records(all) after the failed burst = %d records, %v; want %d", len(recs), err, before.Size)
	}
	for _, r := range burst {
		if _, err := m.Store.RecordByNonce(ctx, r.JWS.Header.Nonce); !errors.Is(err, ledger.ErrNotFound) {
			t.Errorf("RecordByNonce(a nonce of the failed burst) = %v, want ErrNotFound", err)
		}
	}
	if _, err := m.Log.Signer(ctx, "carol"); !errors.Is(err, ledger.ErrNotFound) {
		t.Errorf("Signer(carol), registered in the failed burst, = %v; want ErrNotFound", err)
	}
}

// verifyMem checks that Log.Verify passes every record of m's log.
func verifyMem(t *testing.T, m *signettest.Mem) {
	t.Helper()
	for i := range memHead(t, m).Size {
		if v, err := m.Log.Verify(context.Background(), i); err != nil || !v.Verified {
			t.Errorf("Verify(%d) = %+v, %v; want verified", i, v, err)
		}
	}
}

// TestMemStoreOneFault fails only the next Write: the batch it hits is
// lost, its requests told so, and the next batch is appended as if
// nothing happened.
func TestMemStoreOneFault(t *testing.T) {
	ctx := context.Background()
	m, alice := memAlice(t)
	m.Store.Faults.Fail(memstore.OpWrite, 1, errLost)
	lost := memSign(t, m, alice, signet.EntriesPath, []byte(`{"n":1}`))
	if _, err := m.Log.AppendEntry(ctx, lost); !errors.Is(err, ledger.ErrUnavailable) {
		t.Fatalf("AppendEntry with the Write failing = %v, want ErrUnavailable", err)
	}
	a, err := m.Log.AppendEntry(ctx, memSign(t, m, alice, signet.EntriesPath, []byte(`{"n":2}`)))
	if err != nil || a.Record.Index != 1 {
		t.Fatalf("AppendEntry after the fault = %+v, %v; want record 1", a, err)
	}
	if a, err := m.Log.AppendEntry(ctx, lost); err != nil || a.Existing || a.Record.Index != 2 {
		t.Errorf("AppendEntry(the lost request again) = %+v, %v; want it appended as record 2", a, err)
	}
	if n := m.Store.Faults.Calls(memstore.OpWrite); n != 4 {
		t.Errorf("Calls(write) = %d, want 4: the registration, the lost entry and two more", n)
	}
	verifyMem(t, m)
}

// TestMemStoreReadFaults checks that reads of an unavailable store are
// errors, not answers: Verify does not report a record unverified, Ping
// fails.
func TestMemStoreReadFaults(t *testing.T) {
	ctx := context.Background()
	m, _ := memAlice(t)
	m.Store.Faults.Fail(memstore.OpRead, -1, errLost)
	if v, err := m.Log.Verify(ctx, 0); !errors.Is(err, ledger.ErrUnavailable) {
		t.Errorf("Verify(0) with reads failing = %+v, %v; want ErrUnavailable", v, err)
	}
	m.Store.Faults.Fail(memstore.OpPing, -1, errLost)
	if err := m.Log.Ping(ctx); !errors.Is(err, ledger.ErrUnavailable) {
		t.Errorf("Ping() with the store down = %v, want ErrUnavailable", err)
	}
	m.Store.Faults.Clear()
	verifyMem(t, m)
}
