package keys

import (
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
)

// PublicKey is an Ed25519 public key: the 32-byte encoding of RFC 8032,
// Section 5.1.5. Being an array, it can never have the wrong length.
//
// A PublicKey returned by [ParseJWK] or [PrivateKey.Public] is always
// acceptable; one built by conversion from arbitrary bytes may not be, and
// [PublicKey.Verify] refuses those.
type PublicKey [32]byte

// JWK is the public JSON Web Key of an Ed25519 key (RFC 8037, Section 2).
// It marshals to {"kty":"OKP","crv":"Ed25519","x":"..."}.
type JWK struct {
	Kty string `json:"kty"`
	Crv string `json:"crv"`
	X   string `json:"x"`
}

// rawJWK is a JWK object as decoded, member by member. A public JWK holding
// a private member is refused: someone is leaking a secret. The other
// members refused are the ones go-jose, the differential oracle of this
// package's tests, would read and might refuse.
type rawJWK struct {
	Kty member
	Crv member
	X   member
	D   member

	// Secret members of other key types (RFC 7518, Section 6; RFC 8037,
	// Section 2).
	P    member
	Q    member
	DP   member
	DQ   member
	QI   member
	Oth  member
	K    member
	Priv member

	// Public members of other key types.
	Y   member
	N   member
	E   member
	Pub member

	// Certificate members.
	X5c       member
	X5t       member
	X5tSHA256 member

	// Descriptive members, ignored if they are strings.
	Kid member
	Alg member
	Use member
	X5u member
}

// ParseJWK parses a public Ed25519 JWK. data must be one strict JSON object
// (internal/strictjson: no duplicate member names, exact-case names, ...),
// with kty "OKP", crv "Ed25519" and x the canonical unpadded base64url
// encoding of an acceptable 32-byte public key (see the package
// documentation). A JWK carrying private members such as d is refused, as
// is one carrying the members of other key types (y, n, e, pub) or
// certificates (x5c, x5t, x5t#S256). kid, alg, use and x5u must be strings
// if present, and are ignored; other members are ignored.
//
// JSON-level problems, including a descriptive member that is not a
// string, are [ErrMalformed]; everything else about the members is
// [ErrBadKey].
func ParseJWK(data []byte) (PublicKey, error) {
	var r rawJWK
	if err := decodeObject(data, r.field, false); err != nil {
		return PublicKey{}, err
	}
	return r.public()
}

// field returns the member of r named name, or nil.
func (r *rawJWK) field(name []byte) *member {
	switch string(name) {
	case "kty":
		return &r.Kty
	case "crv":
		return &r.Crv
	case "x":
		return &r.X
	case "d":
		return &r.D
	case "p":
		return &r.P
	case "q":
		return &r.Q
	case "dp":
		return &r.DP
	case "dq":
		return &r.DQ
	case "qi":
		return &r.QI
	case "oth":
		return &r.Oth
	case "k":
		return &r.K
	case "priv":
		return &r.Priv
	case "y":
		return &r.Y
	case "n":
		return &r.N
	case "e":
		return &r.E
	case "pub":
		return &r.Pub
	case "x5c":
		return &r.X5c
	case "x5t":
		return &r.X5t
	case "x5t#S256":
		return &r.X5tSHA256
	case "kid":
		return &r.Kid
	case "alg":
		return &r.Alg
	case "use":
		return &r.Use
	case "x5u":
		return &r.X5u
	}
	return nil
}

// public checks a decoded public JWK.
func (r *rawJWK) public() (PublicKey, error) {
	if r.D.present {
		return PublicKey{}, fmt.Errorf("%w: public JWK contains the private member \"d\"", ErrBadKey)
	}
	return r.okp()
}

// okp checks every member of a decoded JWK but d.
func (r *rawJWK) okp() (PublicKey, error) {
	for _, m := range []struct {
		name string
		m    member
	}{{"p", r.P}, {"q", r.Q}, {"dp", r.DP}, {"dq", r.DQ}, {"qi", r.QI}, {"oth", r.Oth}, {"k", r.K}, {"priv", r.Priv}} {
		if m.m.present {
			return PublicKey{}, fmt.Errorf("%w: JWK contains the private member %q", ErrBadKey, m.name)
		}
	}
	for _, m := range []struct {
		name string
		m    member
	}{{"y", r.Y}, {"n", r.N}, {"e", r.E}, {"pub", r.Pub}, {"x5c", r.X5c}, {"x5t", r.X5t}, {"x5t#S256", r.X5tSHA256}} {
		if m.m.present {
			return PublicKey{}, fmt.Errorf("%w: Ed25519 JWK contains the member %q", ErrBadKey, m.name)
		}
	}
	for _, m := range []struct {
		name string
		m    member
	}{{"kid", r.Kid}, {"alg", r.Alg}, {"use", r.Use}, {"x5u", r.X5u}} {
		if m.m.present && !m.m.isString {
			return PublicKey{}, fmt.Errorf("%w: JWK %s is not a string", ErrMalformed, m.name)
		}
	}
	return r.key()
}

// key checks kty, crv and x.
func (r *rawJWK) key() (PublicKey, error) {
	if kty, ok := r.Kty.str(); !ok || kty != "OKP" {
		return PublicKey{}, fmt.Errorf("%w: JWK kty is not \"OKP\"", ErrBadKey)
	}
	if crv, ok := r.Crv.str(); !ok || crv != "Ed25519" {
		return PublicKey{}, fmt.Errorf("%w: JWK crv is not \"Ed25519\"", ErrBadKey)
	}
	x, ok := r.X.str()
	if !ok {
		return PublicKey{}, fmt.Errorf("%w: JWK x is missing or not a string", ErrBadKey)
	}
	b, ok := decodeB64(x)
	if !ok || len(b) != ed25519.PublicKeySize {
		return PublicKey{}, fmt.Errorf("%w: JWK x is not 32 bytes of canonical base64url", ErrBadKey)
	}
	k := PublicKey(b)
	if err := k.check(); err != nil {
		return PublicKey{}, err
	}
	return k, nil
}

// JWK returns the public JWK of k.
func (k PublicKey) JWK() JWK {
	return JWK{Kty: "OKP", Crv: "Ed25519", X: encodeB64(k[:])}
}

// Thumbprint returns the RFC 7638 thumbprint of k, which Signet uses as the
// key's id ("kid"): the unpadded base64url encoding of the SHA-256 hash of
// {"crv":"Ed25519","kty":"OKP","x":"..."}, members in that order, no spaces.
func (k PublicKey) Thumbprint() string {
	h := sha256.Sum256([]byte(`{"crv":"Ed25519","kty":"OKP","x":"` + encodeB64(k[:]) + `"}`))
	return encodeB64(h[:])
}

// IsThumbprint reports whether s has the form of a [PublicKey.Thumbprint]:
// 43 characters of canonical unpadded base64url, the encoding of 32 bytes.
// It says nothing about whether any key has that thumbprint.
func IsThumbprint(s string) bool {
	if len(s) != 43 {
		return false
	}
	b, ok := decodeB64(s)
	return ok && len(b) == sha256.Size
}

// Verify reports whether sig is a valid Ed25519 signature of message by k.
// It reports false for any key [ParseJWK] would refuse, such as a
// small-order point, for which signatures could be forged.
func (k PublicKey) Verify(message, sig []byte) bool {
	// ed25519.Verify refuses keys off the curve: see checkEncoding.
	return k.checkEncoding() == nil && ed25519.Verify(k[:], message, sig)
}
