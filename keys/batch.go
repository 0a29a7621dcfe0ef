package keys

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha512"
	"io"

	"filippo.io/edwards25519"
)

// BatchKey is a public key prepared once for [VerifyBatch]: decoded, and
// tested for a small-order component. It is immutable, safe for
// concurrent use, and worth keeping beside a key that signs often (a
// cache by kid): preparing costs about a third of a verification.
type BatchKey struct {
	key        PublicKey
	acceptable bool                // key.checkEncoding() == nil
	point      *edwards25519.Point // nil if key is not on the curve
	// torsionFree: point is in the prime-order subgroup, so signatures
	// under the key may take the batch equation.
	torsionFree bool
}

// NewBatchKey prepares k for [VerifyBatch]. Any 32 bytes are accepted; a
// key that [PublicKey.Verify] refuses gets false for every signature.
func NewBatchKey(k PublicKey) *BatchKey {
	b := &BatchKey{key: k, acceptable: k.checkEncoding() == nil}
	if p, err := new(edwards25519.Point).SetBytes(k[:]); err == nil {
		b.point, b.torsionFree = p, torsionFree(p)
	}
	return b
}

// PublicKey returns the key b was prepared from.
func (b *BatchKey) PublicKey() PublicKey { return b.key }

// BatchEntry is one signature for [VerifyBatch]: Signature over Message
// under Key.
type BatchEntry struct {
	Key       *BatchKey
	Message   []byte
	Signature []byte
}

// BatchGroup is how many signatures to give one [VerifyBatch] call: past
// 32 a batch costs hardly less per signature (docs/PERFORMANCE.md), and
// smaller groups let a long list be verified on several cores.
const BatchGroup = 32

// VerifyBatch reports, for each entry, exactly what
// e.Key.PublicKey().Verify(e.Message, e.Signature) reports: whether
// crypto/ed25519.Verify accepts the signature, under a key that
// [ParseJWK] would accept. It checks valid signatures together, for less
// than it costs to check them one by one; a batch with an invalid
// signature costs more than that.
//
// # Why the verdicts are crypto/ed25519's
//
// crypto/ed25519.Verify(A, M, R‖S) accepts if and only if the 64 bytes
// are S < L in canonical form, A decodes to a point (non-canonical
// encodings included), and the canonical encoding of [S]B - [k]A equals
// the 32 bytes R, where k = SHA-512(R‖A‖M) mod L over the bytes as given
// (the cofactorless equation). An entry takes the batch only if S is
// canonical, A decodes, R decodes to a point whose canonical encoding is R
// (for any other R crypto/ed25519 refuses: it compares with a canonical
// encoding), and both A and R are in the prime-order subgroup G
// ([torsionFree]). Every other entry gets crypto/ed25519.Verify's own
// answer, one by one. The batch computes k the same way, over the same
// bytes, and checks
//
//	Σ z_i·D_i = 0, where D_i = [S_i]B - R_i - [k_i]A_i,
//
// for z_i drawn uniformly from [0, 2^128) with crypto/rand, after the
// entries are fixed. B, R_i and A_i are in G, so every D_i is in G, which
// has prime order L > 2^252.
//
//   - If every entry verifies, every D_i = 0 and the batch passes.
//   - If some D_j ≠ 0, the sum is 0 for at most one value of z_j mod L
//     whatever the other z_i, so the batch passes with probability at
//     most 2^-128.
//   - If the batch passes, then (but for that chance) every D_i = 0,
//     [S_i]B - [k_i]A_i = R_i as points, and since R_i is the canonical
//     encoding of that point, crypto/ed25519 accepts entry i.
//   - If the batch fails, each of its entries gets crypto/ed25519.Verify's
//     answer, one by one.
//
// So the verdicts differ from crypto/ed25519's only if the random
// combination of nonzero points of G happens to vanish: at most 2^-128
// per batch, less than the chance of forging an Ed25519 signature. This
// is why the batch needs the subgroup tests: the usual batch equations
// (ed25519consensus, curve25519-voi) multiply by the cofactor 8 and so
// accept D_i of order 8, a signature whose R carries a small-order
// component, which crypto/ed25519 refuses and any signer can make.
// Requiring R and A in G makes D_i in G, where the cofactorless and
// cofactored equations agree and no torsion can cancel between entries.
func VerifyBatch(entries []BatchEntry) []bool {
	return verifyBatch(entries, true, rand.Reader)
}

// verifyBatch is VerifyBatch with the randomness given. With acceptable,
// the entries whose key [PublicKey.Verify] refuses are false without
// work; without it, every verdict is crypto/ed25519.Verify's.
func verifyBatch(entries []BatchEntry, acceptable bool, random io.Reader) []bool {
	out := make([]bool, len(entries))
	b := newBatch(len(entries))
	for i, e := range entries {
		if acceptable && !e.Key.acceptable {
			continue
		}
		// A lone signature costs less checked alone.
		if len(entries) == 1 || !b.add(i, e) {
			out[i] = ed25519.Verify(e.Key.key[:], e.Message, e.Signature)
		}
	}
	if b.verify(random) {
		for _, t := range b.terms {
			out[t.entry] = true
		}
		return out
	}
	for _, t := range b.terms {
		e := entries[t.entry]
		out[t.entry] = ed25519.Verify(e.Key.key[:], e.Message, e.Signature)
	}
	return out
}

// batch holds the entries that take the batch equation.
type batch struct {
	terms []term
	keys  map[*BatchKey]int // index in points of each key's A
}

// term is one entry of a batch: S, R and k of its signature, and its key.
type term struct {
	entry int
	s, k  edwards25519.Scalar
	r     edwards25519.Point
	key   *BatchKey
}

func newBatch(n int) *batch {
	return &batch{terms: make([]term, 0, n), keys: make(map[*BatchKey]int)}
}

// add adds entry i to b if it may take the batch equation (see
// [VerifyBatch]), and reports whether it did.
func (b *batch) add(i int, e BatchEntry) bool {
	sig := e.Signature
	if !e.Key.torsionFree || len(sig) != ed25519.SignatureSize {
		return false
	}
	t := term{entry: i, key: e.Key}
	if _, err := t.s.SetCanonicalBytes(sig[32:]); err != nil {
		return false
	}
	if _, err := t.r.SetBytes(sig[:32]); err != nil || string(t.r.Bytes()) != string(sig[:32]) || !torsionFree(&t.r) {
		return false
	}
	h := sha512.New()
	h.Write(sig[:32])
	h.Write(e.Key.key[:])
	h.Write(e.Message)
	var digest [sha512.Size]byte
	if _, err := t.k.SetUniformBytes(h.Sum(digest[:0])); err != nil {
		panic("keys: SHA-512 digest is not 64 bytes")
	}
	b.terms = append(b.terms, t)
	return true
}

// verify reports whether Σ z_i([S_i]B - R_i - [k_i]A_i) is the identity
// for random 128-bit z_i, with one point per distinct key. It reports
// false for an empty batch.
func (b *batch) verify(random io.Reader) bool {
	if len(b.terms) == 0 {
		return false
	}
	zs := make([]byte, 16*len(b.terms))
	if _, err := io.ReadFull(random, zs); err != nil {
		panic("keys: reading randomness for batch verification: " + err.Error())
	}
	scalars := []*edwards25519.Scalar{edwards25519.NewScalar()}
	points := []*edwards25519.Point{edwards25519.NewGeneratorPoint()}
	var buf [32]byte
	for i := range b.terms {
		t := &b.terms[i]
		copy(buf[:16], zs[16*i:])
		z, _ := edwards25519.NewScalar().SetCanonicalBytes(buf[:]) // < 2^128 < L
		scalars[0].MultiplyAdd(z, &t.s, scalars[0])
		zk := edwards25519.NewScalar().Multiply(z, &t.k)
		j, ok := b.keys[t.key]
		if !ok {
			j = len(points)
			b.keys[t.key] = j
			scalars = append(scalars, edwards25519.NewScalar())
			points = append(points, t.key.point)
		}
		scalars[j].Subtract(scalars[j], zk)
		scalars = append(scalars, z.Negate(z))
		points = append(points, &t.r)
	}
	sum := new(edwards25519.Point).VarTimeMultiScalarMult(scalars, points)
	return sum.Equal(edwards25519.NewIdentityPoint()) == 1
}
