package storetest

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"github.com/signet-ledger/signet/ledger"
)

// testCosignatures checks the cosignature tables: a checkpoint and its
// witnesses' lines are stored together, a witness keeps its first line of
// a size, storing again is a no-op, a different note for a stored size is
// refused (ErrCorrupt) with nothing stored, and the reads select, order
// and limit as the contract says, on every handle.
func testCosignatures(t *testing.T, b Backend) {
	ctx := testCtx(t)
	name := b.New(t)
	s, other := b.Open(t, name), b.Open(t, name)
	note := func(size int64, fork string) []byte {
		return fmt.Appendf(nil, "example.com/log\n%d\nroot%s=\n\n— example.com/log sig%d%s=\n", size, fork, size, fork)
	}
	cs := func(witness, sig string) ledger.Cosignature {
		return ledger.Cosignature{Witness: witness + "+0a0b0c0d+AQID", Line: []byte("— " + witness + " " + sig + "=\n")}
	}
	const wA, wB, wC = "a.example/w", "b.example/w", "c.example/w"
	if got, err := s.Cosigned(ctx, 100, 10); err != nil || len(got) != 0 {
		t.Errorf("Cosigned() of an empty store = %v, %v; want none", got, err)
	}
	if _, err := s.WitnessSize(ctx, cs(wA, "x").Witness); !errors.Is(err, ledger.ErrNotFound) {
		t.Errorf("WitnessSize() of an empty store = %v, want ErrNotFound", err)
	}
	add := func(c ledger.Cosigned) {
		t.Helper()
		if err := s.AddCosignatures(ctx, c); err != nil {
			t.Fatalf("AddCosignatures(size %d) = %v", c.Size, err)
		}
	}
	add(ledger.Cosigned{Size: 3, Checkpoint: note(3, ""), Cosignatures: []ledger.Cosignature{cs(wB, "b3"), cs(wA, "a3")}})
	add(ledger.Cosigned{Size: 5, Checkpoint: note(5, ""), Cosignatures: []ledger.Cosignature{cs(wA, "a5")}})
	add(ledger.Cosigned{Size: 4, Checkpoint: note(4, "")}) // no cosignature: not listed
	// Again, with a second line of A (kept out: A has one) and a new one of C.
	add(ledger.Cosigned{Size: 3, Checkpoint: note(3, ""), Cosignatures: []ledger.Cosignature{cs(wA, "a3-again"), cs(wC, "c3")}})
	add(ledger.Cosigned{Size: 5, Checkpoint: note(5, ""), Cosignatures: []ledger.Cosignature{cs(wA, "a5")}})
	err := s.AddCosignatures(ctx, ledger.Cosigned{Size: 5, Checkpoint: note(5, "fork"), Cosignatures: []ledger.Cosignature{cs(wB, "b5-fork")}})
	if !errors.Is(err, ledger.ErrCorrupt) {
		t.Errorf("AddCosignatures(a different note of a stored size) = %v, want ErrCorrupt", err)
	}
	want := []ledger.Cosigned{
		{Size: 5, Checkpoint: note(5, ""), Cosignatures: []ledger.Cosignature{cs(wA, "a5")}},
		{Size: 3, Checkpoint: note(3, ""), Cosignatures: []ledger.Cosignature{cs(wA, "a3"), cs(wB, "b3"), cs(wC, "c3")}},
	}
	for _, q := range []struct {
		max   int64
		limit int
		want  []ledger.Cosigned
	}{{100, 10, want}, {5, 2, want}, {5, 1, want[:1]}, {4, 10, want[1:]}, {2, 10, nil}} {
		for _, h := range []ledger.Store{s, other} {
			got, err := h.Cosigned(ctx, q.max, q.limit)
			if err != nil || !equalCosigned(got, q.want) {
				t.Errorf("Cosigned(%d, %d) = %s, %v; want %s", q.max, q.limit, showCosigned(got), err, showCosigned(q.want))
			}
		}
	}
	for _, w := range []struct {
		witness string
		size    int64
	}{{wA, 5}, {wB, 3}, {wC, 3}} {
		if got, err := other.WitnessSize(ctx, cs(w.witness, "").Witness); err != nil || got != w.size {
			t.Errorf("WitnessSize(%s) = %d, %v; want %d", w.witness, got, err, w.size)
		}
	}
}

func equalCosigned(a, b []ledger.Cosigned) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Size != b[i].Size || !bytes.Equal(a[i].Checkpoint, b[i].Checkpoint) || len(a[i].Cosignatures) != len(b[i].Cosignatures) {
			return false
		}
		for j, c := range a[i].Cosignatures {
			d := b[i].Cosignatures[j]
			if c.Witness != d.Witness || !bytes.Equal(c.Line, d.Line) {
				return false
			}
		}
	}
	return true
}

func showCosigned(cs []ledger.Cosigned) string {
	var b bytes.Buffer
	for _, c := range cs {
		fmt.Fprintf(&b, "[size %d:", c.Size)
		for _, s := range c.Cosignatures {
			fmt.Fprintf(&b, " %q", s.Line)
		}
		b.WriteString("]")
	}
	return b.String()
}
