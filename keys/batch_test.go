package keys

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha512"
	"encoding/binary"
	"fmt"
	"math/bits"
	mrand "math/rand/v2"
	"testing"

	"filippo.io/edwards25519"
)

// signer is a private scalar a with its public key, able to make any
// signature the Ed25519 equations allow, including ones ed25519.Sign
// never makes.
type signer struct {
	a   *edwards25519.Scalar
	pub []byte // the encoding signed under, possibly not [a]B's
}

func newSigner(t testing.TB) signer {
	a := randomScalar(t)
	return signer{a: a, pub: new(edwards25519.Point).ScalarBaseMult(a).Bytes()}
}

// challenge is k = SHA-512(R‖A‖M) mod L.
func challenge(r, pub, msg []byte) *edwards25519.Scalar {
	h := sha512.New()
	h.Write(r)
	h.Write(pub)
	h.Write(msg)
	k, _ := edwards25519.NewScalar().SetUniformBytes(h.Sum(nil))
	return k
}

// sign signs msg with the nonce point [r]B + T and the challenge over its
// encoding: S = r + k·a. With T the identity it is an ordinary signature;
// otherwise [S]B - [k]A = [r]B misses R by -T, which the cofactorless
// equation refuses and the cofactored one accepts.
func (s signer) sign(t testing.TB, msg []byte, T *edwards25519.Point) []byte {
	r := randomScalar(t)
	R := new(edwards25519.Point).ScalarBaseMult(r)
	R.Add(R, T)
	k := challenge(R.Bytes(), s.pub, msg)
	S := edwards25519.NewScalar().MultiplyAdd(k, s.a, r)
	return append(R.Bytes(), S.Bytes()...)
}

// forgeSmallOrder returns a signature under a small-order (or identity)
// key encoding pub, which crypto/ed25519 accepts: R = [S]B for a random
// S, over messages tried until [k]A is the identity.
func forgeSmallOrder(t testing.TB, pub []byte) (msg, sig []byte) {
	A, err := new(edwards25519.Point).SetBytes(pub)
	if err != nil {
		t.Fatalf("forgeSmallOrder(%x): not a point", pub)
	}
	for i := 0; i < 1000; i++ {
		S := randomScalar(t)
		R := new(edwards25519.Point).ScalarBaseMult(S)
		msg = fmt.Appendf(nil, "forged %d", i)
		kA := new(edwards25519.Point).ScalarMult(challenge(R.Bytes(), pub, msg), A)
		if kA.Equal(edwards25519.NewIdentityPoint()) == 1 {
			return msg, append(R.Bytes(), S.Bytes()...)
		}
	}
	t.Fatalf("forgeSmallOrder(%x): no luck", pub)
	return nil, nil
}

// nonCanonicalEncodings returns every 32-byte string that decodes to a
// point but is not that point's canonical encoding: y in [p, 2^255) with
// either sign, and x = 0 with the sign bit set.
func nonCanonicalEncodings() [][]byte {
	var out [][]byte
	for j := 0; j < 19; j++ {
		for _, sign := range []byte{0, 0x80} {
			b := make([]byte, 32)
			for i := range b {
				b[i] = 0xff
			}
			b[0] = byte(0xed + j)
			b[31] = 0x7f | sign
			if p, err := new(edwards25519.Point).SetBytes(b); err == nil && string(p.Bytes()) != string(b) {
				out = append(out, b)
			}
		}
	}
	for _, k := range smallOrder {
		b := k
		b[31] |= 0x80
		if p, err := new(edwards25519.Point).SetBytes(b[:]); err == nil && string(p.Bytes()) != string(b[:]) {
			out = append(out, b[:])
		}
	}
	return out
}

// sigCase is one (key, message, signature) and why it is interesting.
type sigCase struct {
	name          string
	pub, msg, sig []byte
}

// craftedCases returns signatures on both sides of every line where a
// batch verifier may part from crypto/ed25519.
func craftedCases(t testing.TB) []sigCase {
	var cs []sigCase
	add := func(name string, pub, msg, sig []byte) {
		cs = append(cs, sigCase{name, append([]byte(nil), pub...), msg, append([]byte(nil), sig...)})
	}
	tors := torsionPoints(t)
	s := newSigner(t)
	for i, T := range tors {
		// R with each small-order component: cofactored yes, cofactorless no.
		for n := range 3 {
			msg := fmt.Appendf(nil, "R+T%d #%d", i, n)
			add(fmt.Sprintf("R+T%d", i), s.pub, msg, s.sign(t, msg, T))
		}
		// A mixed-order key, [a]B + T: valid exactly when [k]T = 0.
		if i > 0 {
			m := s
			m.pub = new(edwards25519.Point).Add(new(edwards25519.Point).ScalarBaseMult(s.a), T).Bytes()
			// Until both verdicts came up (a chance in 8 or better each).
			var seen [2]bool
			for n := 0; n < 200 && !(seen[0] && seen[1]); n++ {
				msg := fmt.Appendf(nil, "mixed A+T%d #%d", i, n)
				sig := m.sign(t, msg, edwards25519.NewIdentityPoint())
				ok := ed25519.Verify(m.pub, msg, sig)
				if !seen[b2i(ok)] {
					seen[b2i(ok)] = true
					add(fmt.Sprintf("mixedA+T%d", i), m.pub, msg, sig)
					add(fmt.Sprintf("mixedA+T%d,R+T%d", i, i), m.pub, msg, m.sign(t, msg, T))
				}
			}
		}
		// A small-order key (the identity included), with signatures
		// crypto/ed25519 accepts.
		msg, sig := forgeSmallOrder(t, smallOrder[i][:])
		add(fmt.Sprintf("smallA%d", i), smallOrder[i][:], msg, sig)
	}
	for _, enc := range nonCanonicalEncodings() {
		p, _ := new(edwards25519.Point).SetBytes(enc)
		if new(edwards25519.Point).MultByCofactor(p).Equal(edwards25519.NewIdentityPoint()) == 1 {
			// A non-canonical encoding of a small-order key.
			msg, sig := forgeSmallOrder(t, enc)
			add("nonCanonicalA", enc, msg, sig)
		}
		// A non-canonical R: the identity's other spellings with S = k·a
		// satisfy every equation, but R is not what crypto/ed25519
		// compares with.
		msg := []byte("non-canonical R")
		S := edwards25519.NewScalar().Multiply(challenge(enc, s.pub, msg), s.a)
		add("nonCanonicalR", s.pub, msg, append(append([]byte(nil), enc...), S.Bytes()...))
		// The same with R's canonical encoding (when R is the identity
		// the signature is valid).
		S = edwards25519.NewScalar().Multiply(challenge(p.Bytes(), s.pub, msg), s.a)
		add("canonicalR", s.pub, msg, append(p.Bytes(), S.Bytes()...))
	}
	// The identity as R, canonically: valid.
	msg := []byte("R = identity")
	id := edwards25519.NewIdentityPoint().Bytes()
	S := edwards25519.NewScalar().Multiply(challenge(id, s.pub, msg), s.a)
	add("identityR", s.pub, msg, append(id, S.Bytes()...))

	// S at and beyond L.
	msg = []byte("S range")
	good := s.sign(t, msg, edwards25519.NewIdentityPoint())
	add("good", s.pub, msg, good)
	l := []byte{0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14, 31: 0x10}
	add("S=L", s.pub, msg, append(good[:32:32], l...))
	add("S+L", s.pub, msg, append(good[:32:32], addLE(good[32:], l)...))
	high := append([]byte(nil), good[32:]...)
	high[31] |= 0x80
	add("S high bit", s.pub, msg, append(good[:32:32], high...))
	add("S=0", s.pub, msg, append(good[:32:32], make([]byte, 32)...))
	// Keys and R off the curve, short and long signatures.
	off := append([]byte(nil), s.pub...)
	for {
		off[0]++
		if _, err := new(edwards25519.Point).SetBytes(off); err != nil {
			break
		}
	}
	add("A off curve", off, msg, good)
	add("R off curve", s.pub, msg, append(off[:32:32], good[32:]...))
	add("short sig", s.pub, msg, good[:63])
	add("long sig", s.pub, msg, append(good[:64:64], 0))
	// Valid ones, and each byte of a valid one changed.
	for n := range 8 {
		pub, priv, _ := ed25519.GenerateKey(rand.Reader)
		msg := fmt.Appendf(nil, "valid %d", n)
		add("valid", pub, msg, ed25519.Sign(priv, msg))
	}
	for i := range 64 {
		bad := append([]byte(nil), good...)
		bad[i] ^= 1 << (i % 8)
		add(fmt.Sprintf("sig byte %d", i), s.pub, msg, bad)
	}
	for i := range 32 {
		bad := append([]byte(nil), s.pub...)
		bad[i] ^= 1 << (i % 8)
		add(fmt.Sprintf("key byte %d", i), bad, msg, good)
	}
	add("other message", s.pub, []byte("S rangf"), good)
	return cs
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// addLE returns a + b, little-endian, 32 bytes (no carry out here).
func addLE(a, b []byte) []byte {
	out := make([]byte, 32)
	var c uint64
	for i := 0; i < 32; i += 8 {
		var y uint64
		y, c = bits.Add64(binary.LittleEndian.Uint64(a[i:]), binary.LittleEndian.Uint64(b[i:]), c)
		binary.LittleEndian.PutUint64(out[i:], y)
	}
	return out
}

// checkBatch runs cs as one batch both ways and holds every verdict
// against crypto/ed25519.Verify and PublicKey.Verify.
func checkBatch(t *testing.T, cs []sigCase) {
	t.Helper()
	entries := make([]BatchEntry, len(cs))
	prepared := map[string]*BatchKey{}
	for i, c := range cs {
		k, ok := prepared[string(c.pub)]
		if !ok {
			k = NewBatchKey(PublicKey(c.pub))
			prepared[string(c.pub)] = k
		}
		entries[i] = BatchEntry{Key: k, Message: c.msg, Signature: c.sig}
	}
	std := verifyBatch(entries, false, rand.Reader)
	got := VerifyBatch(entries)
	for i, c := range cs {
		if want := ed25519.Verify(c.pub, c.msg, c.sig); std[i] != want {
			t.Errorf("verifyBatch: %s (entry %d of %d) = %v, ed25519.Verify = %v", c.name, i, len(cs), std[i], want)
		}
		if want := PublicKey(c.pub).Verify(c.msg, c.sig); got[i] != want {
			t.Errorf("VerifyBatch: %s (entry %d of %d) = %v, PublicKey.Verify = %v", c.name, i, len(cs), got[i], want)
		}
	}
}

func TestVerifyBatchCrafted(t *testing.T) {
	cs := craftedCases(t)
	accepted := map[string]int{}
	for _, c := range cs {
		if ed25519.Verify(c.pub, c.msg, c.sig) {
			accepted[c.name]++
		}
	}
	// The cases must cover both verdicts where it matters.
	for _, name := range []string{"valid", "good", "identityR", "smallA0", "smallA3", "mixedA+T1", "mixedA+T4"} {
		if accepted[name] == 0 {
			t.Errorf("no %s case that crypto/ed25519 accepts", name)
		}
	}
	for _, name := range []string{"R+T1", "R+T4", "nonCanonicalR", "S+L"} {
		if accepted[name] != 0 {
			t.Errorf("a %s case that crypto/ed25519 accepts", name)
		}
	}
	t.Run("each alone", func(t *testing.T) {
		for _, c := range cs {
			checkBatch(t, []sigCase{c})
		}
	})
	t.Run("each among valid", func(t *testing.T) {
		valid := validCases(t, 6)
		for _, c := range cs {
			checkBatch(t, append(append(valid[:3:3], c), valid[3:]...))
		}
	})
	t.Run("all at once", func(t *testing.T) { checkBatch(t, cs) })
	t.Run("random mixes", func(t *testing.T) {
		valid := validCases(t, 32)
		for n := range 200 {
			r := mrand.New(mrand.NewPCG(uint64(n), 13))
			var mix []sigCase
			for range 1 + r.IntN(40) {
				if r.IntN(3) == 0 {
					mix = append(mix, cs[r.IntN(len(cs))])
				} else {
					mix = append(mix, valid[r.IntN(len(valid))])
				}
			}
			checkBatch(t, mix)
		}
	})
}

// TestVerifyBatchValid checks batches of valid signatures, one key or
// many, since those are the ones the batch equation decides alone.
func TestVerifyBatchValid(t *testing.T) {
	for _, n := range []int{1, 2, 3, 16, 64, 200} {
		checkBatch(t, validCases(t, n))
		k, _ := GenerateKey()
		var one []sigCase
		for i := range n {
			msg := fmt.Appendf(nil, "one key %d", i)
			pub := k.Public()
			one = append(one, sigCase{"one key", pub[:], msg, k.sign(msg)})
		}
		checkBatch(t, one)
	}
}

func validCases(t testing.TB, n int) []sigCase {
	out := make([]sigCase, n)
	for i := range out {
		pub, priv, _ := ed25519.GenerateKey(rand.Reader)
		msg := make([]byte, 1+i%300)
		rand.Read(msg)
		out[i] = sigCase{"valid", pub, msg, ed25519.Sign(priv, msg)}
	}
	return out
}

// FuzzVerifyBatch holds a batch holding the fuzzed signature as it is,
// with its R moved by each torsion point, and beside valid ones, against
// crypto/ed25519.Verify.
func FuzzVerifyBatch(f *testing.F) {
	for _, c := range craftedCases(f) {
		f.Add(c.pub, c.msg, c.sig)
	}
	tors := torsionPoints(f)
	valid := validCases(f, 2)
	f.Fuzz(func(t *testing.T, pub, msg, sig []byte) {
		if len(pub) != 32 {
			return
		}
		cs := []sigCase{valid[0], {"fuzzed", pub, msg, sig}, valid[1]}
		if len(sig) == 64 {
			if R, err := new(edwards25519.Point).SetBytes(sig[:32]); err == nil {
				T := tors[int(sig[0])%8]
				moved := append(new(edwards25519.Point).Add(R, T).Bytes(), sig[32:]...)
				cs = append(cs, sigCase{"fuzzed R+T", pub, msg, moved})
			}
		}
		checkBatch(t, cs)
	})
}
