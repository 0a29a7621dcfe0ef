package keys

import (
	"crypto/rand"
	"testing"

	"filippo.io/edwards25519"
)

// lMinusOne is L - 1, the largest canonical scalar.
var lMinusOne = func() *edwards25519.Scalar {
	one := edwards25519.NewScalar()
	one.SetCanonicalBytes(append([]byte{1}, make([]byte, 31)...))
	return edwards25519.NewScalar().Subtract(edwards25519.NewScalar(), one)
}()

// torsionFreeByOrder is the definition: [L]p is the identity, that is,
// [L-1]p = -p.
func torsionFreeByOrder(p *edwards25519.Point) bool {
	q := new(edwards25519.Point).VarTimeDoubleScalarBaseMult(lMinusOne, p, edwards25519.NewScalar())
	return q.Equal(new(edwards25519.Point).Negate(p)) == 1
}

// torsionPoints returns the eight points of order dividing 8.
func torsionPoints(t testing.TB) []*edwards25519.Point {
	var out []*edwards25519.Point
	for _, k := range smallOrder {
		p, err := new(edwards25519.Point).SetBytes(k[:])
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, p)
	}
	return out
}

func randomScalar(t testing.TB) *edwards25519.Scalar {
	b := make([]byte, 64)
	rand.Read(b)
	s, err := edwards25519.NewScalar().SetUniformBytes(b)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestTorsionFree(t *testing.T) {
	tors := torsionPoints(t)
	check := func(name string, p *edwards25519.Point) {
		t.Helper()
		want := torsionFreeByOrder(p)
		if got := torsionFree(p); got != want {
			t.Fatalf("%s: torsionFree(%x) = %v, want %v", name, p.Bytes(), got, want)
		}
		// The same point fresh from its encoding (Z = 1).
		q, _ := new(edwards25519.Point).SetBytes(p.Bytes())
		if got := torsionFree(q); got != want {
			t.Fatalf("%s: torsionFree(decoded %x) = %v, want %v", name, p.Bytes(), got, want)
		}
	}
	for i, T := range tors {
		check("torsion", T)
		for range 64 {
			q := new(edwards25519.Point).ScalarBaseMult(randomScalar(t))
			p := new(edwards25519.Point).Add(q, T)
			if torsionFreeByOrder(p) != (i == 0) {
				t.Fatalf("reference: [L](Q + T%d) wrong", i)
			}
			check("Q+T", p)
		}
	}
	// Random encodings: uniform points of the whole group.
	for n := 0; n < 2000; {
		b := make([]byte, 32)
		rand.Read(b)
		p, err := new(edwards25519.Point).SetBytes(b)
		if err != nil {
			continue
		}
		n++
		check("random", p)
	}
}
