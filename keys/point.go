package keys

import (
	"encoding/hex"
	"fmt"
	"math/big"
)

// fieldP is p = 2^255 - 19 and curveD is d = -121665/121666 mod p, the
// parameters of edwards25519 (RFC 8032, Section 5.1). Never modified.
var (
	fieldP = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 255), big.NewInt(19))
	curveD = new(big.Int).Mod(new(big.Int).Mul(big.NewInt(-121665),
		new(big.Int).ModInverse(big.NewInt(121666), fieldP)), fieldP)
)

// smallOrder lists the canonical encodings of the eight points of order
// dividing 8. Under such a key anyone can forge signatures. The
// non-canonical encodings of these points are refused by [PublicKey.check]
// before this list is consulted.
var smallOrder = [8]PublicKey{
	mustKey("0100000000000000000000000000000000000000000000000000000000000000"), // identity
	mustKey("ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"), // order 2
	mustKey("0000000000000000000000000000000000000000000000000000000000000000"), // order 4
	mustKey("0000000000000000000000000000000000000000000000000000000000000080"), // order 4
	mustKey("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05"), // order 8
	mustKey("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85"), // order 8
	mustKey("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a"), // order 8
	mustKey("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa"), // order 8
}

func mustKey(h string) PublicKey {
	b, err := hex.DecodeString(h)
	if err != nil || len(b) != 32 {
		panic("keys: bad small-order point constant")
	}
	return PublicKey(b)
}

// check reports whether k is an acceptable Ed25519 public key: the
// canonical encoding (y < p, and no sign bit when x = 0) of a point on the
// curve that does not have small order. Keys from [ed25519.GenerateKey]
// always are.
func (k PublicKey) check() error {
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

// checkEncoding is the part of [PublicKey.check] that needs no field
// arithmetic: the encoding is canonical, and not that of a small-order
// point. Every small-order point is on the curve, so check's answer does
// not depend on the order of its tests. crypto/ed25519 refuses a key that
// is not on the curve, so once a signature verifies under k, checkEncoding
// is all of check that is left to do.
func (k PublicKey) checkEncoding() error {
	if yAtLeastP(k) || k[31]&0x80 != 0 && yIsPlusMinusOne(k) {
		return fmt.Errorf("%w: public key is not a canonical point encoding", ErrBadKey)
	}
	for _, s := range smallOrder {
		if k == s {
			return fmt.Errorf("%w: public key is a small-order point", ErrBadKey)
		}
	}
	return nil
}

// yAtLeastP reports whether the y of k (little-endian, sign bit cleared)
// is at least p = 2^255 - 19: bytes 1 to 30 are 0xff, the top byte is 0x7f
// and the low byte is at least 0xed.
func yAtLeastP(k PublicKey) bool {
	if k[31]&0x7f != 0x7f || k[0] < 0xed {
		return false
	}
	for _, b := range k[1:31] {
		if b != 0xff {
			return false
		}
	}
	return true
}

// yIsPlusMinusOne reports whether the y of k is 1 or p - 1, the two y
// whose x is 0.
func yIsPlusMinusOne(k PublicKey) bool {
	y := k
	y[31] &= 0x7f
	one, minusOne := PublicKey{1}, PublicKey{0xec}
	for i := 1; i < 31; i++ {
		minusOne[i] = 0xff
	}
	minusOne[31] = 0x7f
	return y == one || y == minusOne
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
