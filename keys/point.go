package keys

import (
	"bytes"
	"encoding/hex"
	"fmt"

	"filippo.io/edwards25519"
)

// smallOrder lists the canonical encodings of the eight points of order
// dividing 8, for [PublicKey.checkEncoding]. Under such a key anyone can
// forge signatures. The non-canonical encodings of these points are
// refused before this list is consulted.
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
// canonical encoding of a point on the curve that does not have small
// order. Keys from [ed25519.GenerateKey] always are.
//
// SetBytes accepts some non-canonical encodings (y at least p, and x = 0
// with the sign bit set), so the point must also re-encode to exactly k.
// Under a point of small order (one that the cofactor 8 sends to the
// identity) anyone can forge signatures.
func (k PublicKey) check() error {
	p, err := new(edwards25519.Point).SetBytes(k[:])
	if err != nil {
		return fmt.Errorf("%w: public key is not a point on the curve", ErrBadKey)
	}
	if !bytes.Equal(p.Bytes(), k[:]) {
		return fmt.Errorf("%w: public key is not a canonical point encoding", ErrBadKey)
	}
	if new(edwards25519.Point).MultByCofactor(p).Equal(edwards25519.NewIdentityPoint()) == 1 {
		return fmt.Errorf("%w: public key is a small-order point", ErrBadKey)
	}
	return nil
}

// checkEncoding is the part of [PublicKey.check] that needs no field
// arithmetic: the encoding is canonical, and not that of a small-order
// point. Every small-order point is on the curve, so check's answer does
// not depend on the order of its tests. crypto/ed25519 refuses a key that
// is not on the curve, so once a signature verifies under k, checkEncoding
// is all of check that is left to do. [JWS.Verify] relies on this for its
// fast path.
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
