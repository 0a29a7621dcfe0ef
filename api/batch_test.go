package api_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/signet-ledger/signet/internal/signettest"
)

// TestBatch: each entry of a batch is answered on its own, in input order;
// a bad one does not sink the others.
func TestBatch(t *testing.T) {
	e := signettest.New(t, signettest.Options{})
	ctx := context.Background()
	k := e.Register(t, "alice")
	stranger := signettest.Key(t)
	var entries [][]byte
	for i := 0; i < 50; i++ {
		key := k
		if i%10 == 3 {
			key = stranger // unknownKey
		}
		j, err := e.Client.SignEntry(ctx, key, []byte(fmt.Sprintf(`{"n":%d}`, i)))
		if err != nil {
			t.Fatal(err)
		}
		entries = append(entries, j.Flattened())
	}
	entries = append(entries, []byte(`{"protected":"x"}`), entries[0])
	before := e.Size(t)
	res, err := e.Client.SubmitBatch(ctx, entries)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != len(entries) {
		t.Fatalf("SubmitBatch = %d results, want %d", len(res), len(entries))
	}
	ok := 0
	for i, r := range res {
		switch {
		case i == 50:
			if r.Status != 400 || r.Problem == nil || r.Problem.Name() != "malformed" {
				t.Errorf("result %d = %+v, want malformed", i, r)
			}
		case i%10 == 3:
			if r.Status != 400 || r.Problem == nil || r.Problem.Name() != "unknownKey" {
				t.Errorf("result %d = %+v, want unknownKey", i, r)
			}
		case i == 0 || i == 51: // the same JWS twice: one appends, the other finds it
			other := res[51-i]
			if r.Entry == nil || other.Entry == nil || r.Entry.Index != other.Entry.Index || r.Status+other.Status != 201+200 {
				t.Errorf("results 0 and 51 = %+v, %+v; want one 201 and one 200 for the same record", r, other)
			}
			if i == 0 {
				ok++
			}
		default:
			if r.Status != 201 || r.Entry == nil || string(r.Entry.Payload) != fmt.Sprintf(`{"n":%d}`, i) {
				t.Errorf("result %d = %+v, want 201 with payload n=%d", i, r, i)
				continue
			}
			ok++
		}
	}
	if got := e.Size(t); got != before+int64(ok) {
		t.Errorf("log grew by %d, want %d", got-before, ok)
	}
	for i := int64(0); i < e.Size(t); i++ {
		if v, err := e.Client.Verify(ctx, i); err != nil || !v.Verified {
			t.Fatalf("Verify(%d) = %+v, %v", i, v, err)
		}
	}
}
