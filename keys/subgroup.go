package keys

import (
	"filippo.io/edwards25519"
	"filippo.io/edwards25519/field"
)

// Constants of the subgroup test. feD is the curve constant d =
// -121665/121666 and halfC is sqrt(-i/d), where i = sqrt(-1): -1/d is
// not a square (d is not, -1 is, as p = 1 mod 4), i is not a square
// (p = 5 mod 8), so -i/d is.
var (
	feOne   = new(field.Element).One()
	feD     = edwardsD()
	feHalfC = mustSqrt(new(field.Element).Negate(new(field.Element).Multiply(sqrtMinusOne(), new(field.Element).Invert(feD))))
)

func edwardsD() *field.Element {
	num := new(field.Element).Mult32(feOne, 121665)
	den := new(field.Element).Mult32(feOne, 121666)
	return num.Negate(num.Multiply(num, den.Invert(den)))
}

func sqrtMinusOne() *field.Element {
	return mustSqrt(new(field.Element).Negate(feOne))
}

func mustSqrt(x *field.Element) *field.Element {
	r, ok := new(field.Element).SqrtRatio(x, feOne)
	if ok != 1 {
		panic("keys: subgroup test constant is not a square")
	}
	return r
}

// torsionFree reports whether p lies in the prime-order subgroup of
// edwards25519, that is, whether [L]p is the identity, without a scalar
// multiplication: it costs four field exponentiations, where [L]p costs
// some 250 point doublings.
//
// # Why it works
//
// The curve is -x² + y² = 1 + d·x²·y² over F_p, p = 2^255 - 19. Its group
// is cyclic of order 8·L (L prime, L odd), so the prime-order subgroup is
// 8E, and a point is in 8E if and only if it can be halved three times
// within E(F_p). Write P = (X, Y) for the point tested and Q = (x, y) for a
// half of it, 2Q = P. By the doubling formulas,
//
//	X = 2xy / (y² - x²),  Y = (y² + x²) / (2 - y² + x²),
//
// so 1 + X² = ((x² + y²)/(y² - x²))² is a square. Conversely the map
// P -> [1 + X² is a square] is a homomorphism onto {±1} whose kernel is 2E
// (E(F_p)/2E(F_p) has two elements, and the points of order 8 have 1 + X²
// not square), so:
//
//  1. P is in 2E if and only if 1 + X² is a square. Call w a square root,
//     w = ε·(x² + y²)/(y² - x²) for a sign ε.
//
// Solving the doubling formulas for Q with s = x² + y² = εw·t and
// t = y² - x² gives t = 2Y/(εw + Y), hence
//
//	x² = Y(εw - 1)/(εw + Y),  y² = Y(εw + 1)/(εw + Y),  1 + x² = εw(1 + Y)/(εw + Y).
//
// The product of the two candidates for y² (ε = ±1) is
// Y²(1 - w²)/(Y² - w²) = -X²Y²/(d·X²Y²) = -1/d (the curve equation gives
// Y² - 1 - X² = d·X²Y²), which is not a square: exactly one ε gives a rational
// half, and the same holds for x². When the candidate for ε = +1 is not a
// square, field.Element.SqrtRatio returns r with r² = i·y²(+1), and the
// other half has y = halfC/r, with no inversion.
//
//  2. Q is in 2E (P in 4E) if and only if 1 + x² = εw(1 + Y)/(εw + Y) is a
//     square, for the rational ε; call its root w'.
//
// For a point P in 2E with root w of 1 + X² and w + Y ≠ 0, the test of
// step 2 does not need ε: χ(x²(ε=+1)) says which ε is rational, and the
// two values of 1 + x² multiply to a non-square (again by the curve
// equation), so P is in 4E if and only if χ(x²(+1))·χ(1+x²(+1)) = 1,
// that is, if and only if Y·w·(w - 1)·(1 + Y) is a square (χ being the
// Legendre symbol). Applied to Q, with its y and root w':
//
//  3. Q is in 4E (P in 8E) if and only if y·w'·(w' - 1)·(1 + y) is a square.
//
// The formulas divide by nothing that can vanish once the points with
// X = 0 (the identity, and the point of order 2) and Y = 0 (the two points
// of order 4) are answered first; the sign of each root is free (Q and
// Q + (0, -1) are both halves, both in 4E or neither), and is flipped where
// w + Y would vanish. TestTorsionFree holds the answer against [L]P for
// every torsion component of many points.
func torsionFree(p *edwards25519.Point) bool {
	X, Y := affine(p)
	if X.Equal(new(field.Element).Zero()) == 1 {
		return Y.Equal(feOne) == 1
	}
	if Y.Equal(new(field.Element).Zero()) == 1 {
		return false
	}
	var t0, t1 field.Element
	w, ok := new(field.Element).SqrtRatio(t0.Add(feOne, t0.Square(X)), feOne)
	if ok != 1 {
		return false // step 1: P is not in 2E
	}
	if t0.Add(w, Y).Equal(new(field.Element).Zero()) == 1 {
		w.Negate(w)
	}
	// The half's y for ε = +1, or r with r² = i·y².
	r, plus := new(field.Element).SqrtRatio(t0.Multiply(Y, t1.Add(w, feOne)), t1.Add(w, Y))
	num := new(field.Element).Multiply(w, t0.Add(feOne, Y))
	den, yy := new(field.Element), new(field.Element)
	if plus == 1 {
		den.Add(w, Y)
		yy.Multiply(r, t0.Add(feOne, r)) // y(1 + y)
	} else {
		den.Subtract(w, Y)
		yy.Multiply(feHalfC, t0.Add(r, feHalfC)) // y(1 + y)·r², y = halfC/r
	}
	w2, ok := new(field.Element).SqrtRatio(num, den)
	if ok != 1 {
		return false // step 2: P is not in 4E
	}
	if plus == 1 && t0.Add(w2, r).Equal(new(field.Element).Zero()) == 1 ||
		plus != 1 && t0.Add(t0.Multiply(w2, r), feHalfC).Equal(new(field.Element).Zero()) == 1 {
		w2.Negate(w2) // w' + y must not vanish
	}
	t0.Multiply(yy, w2)
	_, ok = t1.SqrtRatio(t0.Multiply(&t0, t1.Subtract(w2, feOne)), feOne)
	return ok == 1 // step 3
}

// affine returns the affine coordinates of p. A point fresh from SetBytes
// has Z = 1, and costs no inversion.
func affine(p *edwards25519.Point) (x, y *field.Element) {
	X, Y, Z, _ := p.ExtendedCoordinates()
	if Z.Equal(feOne) == 1 {
		return X, Y
	}
	zInv := new(field.Element).Invert(Z)
	return X.Multiply(X, zInv), Y.Multiply(Y, zInv)
}
