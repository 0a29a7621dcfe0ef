package keys

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/json"
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

// privateMembers are the JWK members that carry secret key material in any
// key type (RFC 7518, Section 6; RFC 8037, Section 2). A public JWK holding
// one of them is refused: someone is leaking a secret.
var privateMembers = []string{"d", "p", "q", "dp", "dq", "qi", "oth", "k", "priv"}

// ParseJWK parses a public Ed25519 JWK. data must be one JSON object without
// duplicate member names, with kty "OKP", crv "Ed25519" and x the canonical
// unpadded base64url encoding of an acceptable 32-byte public key (see the
// package documentation). A JWK carrying private members such as d is
// refused. Other members (kid, alg, use, ...) are allowed and ignored.
//
// JSON-level problems are [ErrMalformed]; everything about the members is
// [ErrBadKey].
func ParseJWK(data []byte) (PublicKey, error) {
	m, err := parseObject(data)
	if err != nil {
		return PublicKey{}, err
	}
	for _, name := range privateMembers {
		if _, ok := m[name]; ok {
			return PublicKey{}, fmt.Errorf("%w: public JWK contains the private member %q", ErrBadKey, name)
		}
	}
	return parseOKP(m)
}

// parseOKP checks kty, crv and x of a decoded JWK object.
func parseOKP(m map[string]json.RawMessage) (PublicKey, error) {
	if kty, ok := jsonString(m["kty"]); !ok || kty != "OKP" {
		return PublicKey{}, fmt.Errorf("%w: JWK kty is not \"OKP\"", ErrBadKey)
	}
	if crv, ok := jsonString(m["crv"]); !ok || crv != "Ed25519" {
		return PublicKey{}, fmt.Errorf("%w: JWK crv is not \"Ed25519\"", ErrBadKey)
	}
	x, ok := jsonString(m["x"])
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

// Verify reports whether sig is a valid Ed25519 signature of message by k.
// It reports false for any key [ParseJWK] would refuse, such as a
// small-order point, for which signatures could be forged.
func (k PublicKey) Verify(message, sig []byte) bool {
	// ed25519.Verify refuses keys off the curve: see checkEncoding.
	return k.checkEncoding() == nil && ed25519.Verify(k[:], message, sig)
}
