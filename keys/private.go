package keys

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
)

// PrivateKey is an Ed25519 private key. The zero PrivateKey is not a key:
// its Public is the zero PublicKey and Sign and MarshalJWK fail with
// [ErrBadKey].
//
// Formatting a PrivateKey with the fmt package prints only its thumbprint,
// never the secret.
type PrivateKey struct {
	key ed25519.PrivateKey
}

// privateJWK is the JSON form of a private Ed25519 JWK (RFC 8037, Section 2).
type privateJWK struct {
	Kty string `json:"kty"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	D   string `json:"d"`
}

// GenerateKey returns a new private key from crypto/rand.
func GenerateKey() (PrivateKey, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return PrivateKey{}, fmt.Errorf("keys: generating key: %w", err)
	}
	return PrivateKey{key: priv}, nil
}

// NewKeyFromSeed returns the private key of the 32-byte Ed25519 seed
// (RFC 8032), for keys that must be reproducible, such as test vectors'.
// It fails with [ErrBadKey] if seed is not 32 bytes.
func NewKeyFromSeed(seed []byte) (PrivateKey, error) {
	if len(seed) != ed25519.SeedSize {
		return PrivateKey{}, fmt.Errorf("%w: seed has %d bytes, want %d", ErrBadKey, len(seed), ed25519.SeedSize)
	}
	return PrivateKey{key: ed25519.NewKeyFromSeed(seed)}, nil
}

// ParsePrivateJWK parses a private Ed25519 JWK,
// {"kty":"OKP","crv":"Ed25519","x":"...","d":"..."}. The object follows the
// rules of [ParseJWK] except that it must have d, the canonical unpadded
// base64url encoding of the 32-byte seed, and x must be the public key
// derived from d. Other members are treated as by [ParseJWK].
func ParsePrivateJWK(data []byte) (PrivateKey, error) {
	var r rawJWK
	if err := decodeObject(data, r.field, false); err != nil {
		return PrivateKey{}, err
	}
	pub, err := r.okp()
	if err != nil {
		return PrivateKey{}, err
	}
	d, ok := r.D.str()
	if !ok {
		return PrivateKey{}, fmt.Errorf("%w: private JWK d is missing or not a string", ErrBadKey)
	}
	seed, ok := decodeB64(d)
	if !ok || len(seed) != ed25519.SeedSize {
		return PrivateKey{}, fmt.Errorf("%w: private JWK d is not 32 bytes of canonical base64url", ErrBadKey)
	}
	k := PrivateKey{key: ed25519.NewKeyFromSeed(seed)}
	if k.Public() != pub {
		return PrivateKey{}, fmt.Errorf("%w: private JWK x does not match d", ErrBadKey)
	}
	return k, nil
}

// MarshalJWK returns the private JWK of k, which [ParsePrivateJWK] parses:
// {"kty":"OKP","crv":"Ed25519","x":"...","d":"..."}. The result is a
// secret.
func (k PrivateKey) MarshalJWK() ([]byte, error) {
	if !k.valid() {
		return nil, fmt.Errorf("%w: zero PrivateKey", ErrBadKey)
	}
	pub := k.Public().JWK()
	return json.Marshal(privateJWK{Kty: pub.Kty, Crv: pub.Crv, X: pub.X, D: encodeB64(k.key.Seed())})
}

// Public returns the public key of k.
func (k PrivateKey) Public() PublicKey {
	if !k.valid() {
		return PublicKey{}
	}
	return PublicKey(k.key[ed25519.SeedSize:])
}

// String returns "keys.PrivateKey(" + the thumbprint of the public key + ")".
func (k PrivateKey) String() string {
	if !k.valid() {
		return "keys.PrivateKey(zero)"
	}
	return "keys.PrivateKey(" + k.Public().Thumbprint() + ")"
}

// Format implements [fmt.Formatter] so that no verb, not even %x or %#v,
// prints the secret: every verb prints [PrivateKey.String].
func (k PrivateKey) Format(f fmt.State, verb rune) {
	io.WriteString(f, k.String())
}

func (k PrivateKey) valid() bool {
	return len(k.key) == ed25519.PrivateKeySize
}

// sign returns the Ed25519 signature of message.
func (k PrivateKey) sign(message []byte) []byte {
	return ed25519.Sign(k.key, message)
}
