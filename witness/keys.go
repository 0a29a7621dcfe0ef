package witness

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	fnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"
)

// GenerateKey makes a witness key named name: skey, the signed-note
// private key (Ed25519, type 0x01, as note.GenerateKey and omniwitness
// write it) for [Config.Key], and vkey, its cosignature/v1 verifier key
// (type 0x04, c2sp.org/tlog-cosignature) for a tlog-policy witness line,
// which formats' NewVerifierForCosignatureV1 accepts.
func GenerateKey(name string) (skey, vkey string, err error) {
	skey, plain, err := note.GenerateKey(rand.Reader, name)
	if err != nil {
		return "", "", fmt.Errorf("witness: %w", err)
	}
	vkey, err = fnote.VKeyToCosignatureV1(plain)
	if err != nil {
		return "", "", fmt.Errorf("witness: %w", err)
	}
	return skey, vkey, nil
}

// VerifierKey returns the cosignature/v1 verifier key of the witness
// private key skey.
func VerifierKey(skey string) (string, error) {
	if _, err := fnote.NewSignerForCosignatureV1(skey); err != nil {
		return "", fmt.Errorf("witness: %w", err)
	}
	return cosignatureVKey(skey)
}

// cosignatureVKey returns the cosignature/v1 verifier key of an Ed25519
// signed-note private key of type 0x01 or 0x04.
func cosignatureVKey(skey string) (string, error) {
	parts := strings.SplitN(skey, "+", 5)
	if len(parts) != 5 || parts[0] != "PRIVATE" || parts[1] != "KEY" {
		return "", errors.New("witness: not a signed-note private key")
	}
	b, err := base64.StdEncoding.DecodeString(parts[4])
	if err != nil || len(b) != 1+ed25519.SeedSize || (b[0] != 0x01 && b[0] != 0x04) {
		return "", errors.New("witness: not an Ed25519 signed-note private key")
	}
	plain, err := note.NewEd25519VerifierKey(parts[2], ed25519.NewKeyFromSeed(b[1:]).Public().(ed25519.PublicKey))
	if err != nil {
		return "", fmt.Errorf("witness: %w", err)
	}
	return fnote.VKeyToCosignatureV1(plain)
}
