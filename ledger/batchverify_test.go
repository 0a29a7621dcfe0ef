package ledger_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/signet-ledger/signet/internal/signettest"
	"github.com/signet-ledger/signet/keys"
	"github.com/signet-ledger/signet/ledger"
)

// countGate counts its Failed calls.
type countGate struct{ failed *atomic.Int64 }

func (countGate) Check() error          { return nil }
func (countGate) Verified(string) error { return nil }
func (g countGate) Failed()             { g.failed.Add(1) }

// TestBatchSignaturesAsOneByOne: AppendEntries verifies its entries'
// signatures in batches, and every entry still gets what AppendEntry gives
// it: the good ones append, each bad signature is refused with
// AppendEntry's error and one Gate failure, wherever it falls in the batch
// (alone, in a group of good ones, or after a group that failed).
func TestBatchSignaturesAsOneByOne(t *testing.T) {
	e := signettest.New(t, signettest.Options{})
	ctx := context.Background()
	keysOf := []keys.PrivateKey{e.Register(t, "alice"), e.Register(t, "bob")}
	var reqs []ledger.Signed
	bad := map[int]bool{}
	var failed atomic.Int64
	for i := range 150 {
		j, err := e.Client.SignEntry(ctx, keysOf[i%2], fmt.Appendf(nil, `{"n":%d}`, i))
		if err != nil {
			t.Fatal(err)
		}
		if i == 5 || i == 40 || i == 41 || i == 140 {
			// Another entry's signature: well formed, but not over this one.
			other, err := e.Client.SignEntry(ctx, keysOf[i%2], []byte(`{"other":true}`))
			if err != nil {
				t.Fatal(err)
			}
			j, err = keys.ParseFlattened(fmt.Appendf(nil, `{"protected":%q,"payload":%q,"signature":%q}`, j.Protected, j.Payload, other.Signature))
			if err != nil {
				t.Fatal(err)
			}
			bad[i] = true
		}
		reqs = append(reqs, ledger.Signed{JWS: j, Path: "/v1/entries", Gate: countGate{&failed}})
	}
	before := e.Size(t)
	res, err := e.Log.AppendEntries(ctx, reqs)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res {
		if !bad[i] {
			if r.Err != nil || r.Appended == nil || r.Appended.Existing {
				t.Errorf("good entry %d = %+v, %v; want appended", i, r.Appended, r.Err)
			}
			continue
		}
		_, alone := e.Log.AppendEntry(ctx, reqs[i])
		if !errors.Is(r.Err, keys.ErrBadSignature) || alone == nil || r.Err.Error() != alone.Error() {
			t.Errorf("bad entry %d = %v; want AppendEntry's %v", i, r.Err, alone)
		}
	}
	if got := failed.Load(); got != 2*int64(len(bad)) { // the batch's and AppendEntry's
		t.Errorf("Gate.Failed called %d times, want %d", got, 2*len(bad))
	}
	if got := e.Size(t) - before; got != int64(len(reqs)-len(bad)) {
		t.Errorf("log grew by %d, want %d", got, len(reqs)-len(bad))
	}
}
