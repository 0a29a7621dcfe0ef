package keys

import (
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"testing"

	"filippo.io/edwards25519"
)

// This file keeps the big.Int implementation of the public key checks that
// point.go had before it used filippo.io/edwards25519, as the oracle of
// TestPointOracle and FuzzPointCheck.

// fieldP is p = 2^255 - 19 and curveD is d = -121665/121666 mod p, the
// parameters of edwards25519 (RFC 8032, Section 5.1). Never modified.
var (
	fieldP = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 255), big.NewInt(19))
	curveD = new(big.Int).Mod(new(big.Int).Mul(big.NewInt(-121665),
		new(big.Int).ModInverse(big.NewInt(121666), fieldP)), fieldP)
)

// oracleCheck reports whether k is an acceptable Ed25519 public key: the
// canonical encoding (y < p, and no sign bit when x = 0) of a point on the
// curve that does not have small order. Keys from [ed25519.GenerateKey]
// always are.
func oracleCheck(k PublicKey) error {
	if err := k.checkEncoding(); err != nil {
		return err
	}
	var be [32]byte // y, big-endian, sign bit cleared
	for i := range k {
		be[31-i] = k[i]
	}
	be[0] &= 0x7f
	if x2 := xSquared(new(big.Int).SetBytes(be[:])); x2.Sign() != 0 && big.Jacobi(x2, fieldP) != 1 {
		return fmt.Errorf("%w: public key is not a point on the curve", ErrBadKey)
	}
	return nil
}

// xSquared returns x² = (y² - 1) / (d·y² + 1) mod p, from the curve
// equation -x² + y² = 1 + d·x²·y². The denominator is never zero because d
// is not a square mod p.
func xSquared(y *big.Int) *big.Int {
	y2 := new(big.Int).Mul(y, y)
	u := new(big.Int).Sub(y2, big.NewInt(1))
	v := new(big.Int).Mul(curveD, y2)
	v.Add(v, big.NewInt(1)).Mod(v, fieldP)
	u.Mul(u, v.ModInverse(v, fieldP))
	return u.Mod(u, fieldP)
}

// pointCases are the encodings TestPointOracle compares on: every small-
// order point with both sign bits, y = p + i for small i (non-canonical
// encodings of y = i, some of them small-order), and the same with the
// top bit set.
func pointCases() []PublicKey {
	var cases []PublicKey
	for _, s := range smallOrder {
		t := s
		t[31] ^= 0x80
		cases = append(cases, s, t)
	}
	for i := range 19 + 13 { // y = p .. 2^255-1 and a few below p
		var k PublicKey
		for j := range k {
			k[j] = 0xff
		}
		k[31] = 0x7f
		k[0] = byte(0xed + i - 13)
		t := k
		t[31] |= 0x80
		cases = append(cases, k, t)
	}
	return cases
}

func TestPointOracle(t *testing.T) {
	cases := pointCases()
	for range 2000 {
		var k PublicKey
		rand.Read(k[:])
		cases = append(cases, k)
	}
	for range 50 {
		priv, err := GenerateKey()
		if err != nil {
			t.Fatal(err)
		}
		cases = append(cases, priv.Public())
	}
	accepted := 0
	for _, k := range cases {
		got, want := k.check(), oracleCheck(k)
		if (got == nil) != (want == nil) || got != nil && !errors.Is(got, ErrBadKey) {
			t.Errorf("PublicKey(%x).check() = %v, big.Int oracle says %v", k[:], got, want)
		}
		if got == nil {
			accepted++
		}
		checkFastPath(t, k)
	}
	if accepted < 50 {
		t.Errorf("only %d of %d keys accepted, want at least the 50 generated ones", accepted, len(cases))
	}
}

func TestSmallOrderRefused(t *testing.T) {
	for _, k := range pointCases()[:16] {
		if err := k.check(); !errors.Is(err, ErrBadKey) {
			t.Errorf("PublicKey(%x).check() = %v, want ErrBadKey", k[:], err)
		}
	}
}

func FuzzPointCheck(f *testing.F) {
	for _, k := range pointCases() {
		f.Add(k[:])
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) != 32 {
			return
		}
		k := PublicKey(b)
		if got, want := k.check(), oracleCheck(k); (got == nil) != (want == nil) {
			t.Fatalf("PublicKey(%x).check() = %v, big.Int oracle says %v", b, got, want)
		}
		checkFastPath(t, k)
	})
}

func BenchmarkPublicKeyCheck(b *testing.B) {
	priv, _ := GenerateKey()
	k := priv.Public()
	for b.Loop() {
		if err := k.check(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPublicKeyCheckOracle(b *testing.B) {
	priv, _ := GenerateKey()
	k := priv.Public()
	for b.Loop() {
		if err := oracleCheck(k); err != nil {
			b.Fatal(err)
		}
	}
}

// checkFastPath checks what JWS.Verify's fast path relies on: for a key on
// the curve (which a verifying signature proves), checkEncoding decides
// exactly as check does.
func checkFastPath(t *testing.T, k PublicKey) {
	t.Helper()
	if _, err := new(edwards25519.Point).SetBytes(k[:]); err != nil {
		return
	}
	if got, want := k.checkEncoding(), k.check(); (got == nil) != (want == nil) {
		t.Fatalf("PublicKey(%x): checkEncoding() = %v, check() = %v", k[:], got, want)
	}
}
