package signet

import (
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"github.com/transparency-dev/formats/log"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// Checkpoint is a parsed, verified checkpoint: the C2SP tlog-checkpoint
// body of a signed note,
//
//	<origin>\n<size, decimal>\n<root hash, standard base64>\n
//
// signed by the log's key.
type Checkpoint struct {
	Origin string
	Size   int64
	Root   tlog.Hash
	Note   []byte // the whole signed note, cosignatures included
	// Signed is Note with only the log key's signature lines: what the
	// log itself signed, without the witnesses' cosignatures. It is nil
	// for a checkpoint parsed without its signature checked
	// ([ParseCheckpointUnverified]).
	Signed []byte
}

// SignCheckpoint returns the signed note of the tree of size records whose
// root is root.
func SignCheckpoint(s note.Signer, origin string, size int64, root tlog.Hash) ([]byte, error) {
	body := log.Checkpoint{Origin: origin, Size: uint64(size), Hash: root[:]}.Marshal()
	return note.Sign(&note.Note{Text: string(body)}, s)
}

// OpenCheckpoint verifies that msg is a checkpoint for origin signed by v,
// and parses it.
func OpenCheckpoint(msg []byte, origin string, v note.Verifier) (*Checkpoint, error) {
	c, _, _, err := log.ParseCheckpoint(msg, origin, v)
	if err != nil {
		return nil, fmt.Errorf("signet: checkpoint: %w", err)
	}
	if len(c.Hash) != tlog.HashSize || c.Size > 1<<62 {
		return nil, fmt.Errorf("signet: checkpoint: bad root hash or size")
	}
	cp := &Checkpoint{Origin: c.Origin, Size: int64(c.Size), Note: msg, Signed: onlySignedBy(msg, v)}
	copy(cp.Root[:], c.Hash)
	return cp, nil
}

// VerifierKey returns the verifier key ("<name>+<hash>+<base64 key>") of
// skey, an Ed25519 signed-note private key ("PRIVATE+KEY+<name>+<hash>+<base64>").
func VerifierKey(skey string) (string, error) {
	parts := strings.SplitN(skey, "+", 5)
	if len(parts) != 5 || parts[0] != "PRIVATE" || parts[1] != "KEY" {
		return "", errors.New("signet: not a signed-note private key")
	}
	b, err := base64.StdEncoding.DecodeString(parts[4])
	if err != nil || len(b) != 1+ed25519.SeedSize || b[0] != 1 {
		return "", errors.New("signet: not an Ed25519 signed-note private key")
	}
	pub := ed25519.NewKeyFromSeed(b[1:]).Public().(ed25519.PublicKey)
	return note.NewEd25519VerifierKey(parts[2], pub)
}
