package vectors

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"

	"github.com/signet-ledger/signet/keys"
	"golang.org/x/mod/sumdb/note"
)

// Key is a signer's key derived from a fixed seed: the seed is
// SHA-256("signet/vectors/key/" + Name).
type Key struct {
	Name string
	Priv keys.PrivateKey
	raw  ed25519.PrivateKey // the same key, to sign what package keys refuses to
}

// NewKey returns the key named name.
func NewKey(name string) *Key {
	seed := sha256.Sum256([]byte("signet/vectors/key/" + name))
	k, err := keys.NewKeyFromSeed(seed[:])
	if err != nil {
		panic(err) // a 32-byte seed is always a key
	}
	return &Key{Name: name, Priv: k, raw: ed25519.NewKeyFromSeed(seed[:])}
}

// KID returns the key's id, its JWK thumbprint.
func (k *Key) KID() string { return k.Priv.Public().Thumbprint() }

// Public returns the public key.
func (k *Key) Public() keys.PublicKey { return k.Priv.Public() }

// The keys of the vectors: alice's first and second, bob's first and
// second, and mallory's, which is never registered.
var (
	A1 = NewKey("alice-1")
	A2 = NewKey("alice-2")
	B1 = NewKey("bob-1")
	B2 = NewKey("bob-2")
	M  = NewKey("mallory")
)

// Origin is the origin of the vectors' log, and the name of its key.
const Origin = "signet.example/vectors"

// BaseURL is the server address the vectors' requests are signed for.
const BaseURL = "https://signet.example"

// noteKeys returns the signed-note private and verifier keys for origin
// from the seed SHA-256("signet/vectors/note/" + label).
func noteKeys(label string) (skey, vkey string) {
	seed := sha256.Sum256([]byte("signet/vectors/note/" + label))
	skey, vkey, err := note.GenerateKey(bytes.NewReader(seed[:]), Origin)
	if err != nil {
		panic(err)
	}
	return skey, vkey
}

// noteKey returns the signed-note signer and verifier key of label.
func noteKey(label string) (note.Signer, string) {
	skey, vkey := noteKeys(label)
	s, err := note.NewSigner(skey)
	if err != nil {
		panic(err)
	}
	return s, vkey
}

// LogKey returns the signed-note verifier key of the vectors' log.
func LogKey() string {
	_, v := noteKey("log")
	return v
}

// LogPrivateKey returns the signed-note private key of the vectors' log,
// for a test that runs a server or an import as that log. Like every key
// here it comes from a fixed seed and protects nothing.
func LogPrivateKey() string {
	skey, _ := noteKeys("log")
	return skey
}
