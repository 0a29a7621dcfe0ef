package signet

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/transparency-dev/formats/log"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// ErrBadCheckpoint means a checkpoint is not a checkpoint signed by the
// key it was checked with: a bad or missing signature, another log's key,
// another origin, or a body that is not a checkpoint.
var ErrBadCheckpoint = errors.New("signet: bad checkpoint")

// OpenCheckpointKey is [OpenCheckpoint] with the log's key given as a
// signed-note verifier key ("<name>+<hash>+<base64 key>", as served at
// /v1/log/key). An empty origin accepts the origin the checkpoint states
// (see [CheckpointOrigin]): the key alone then says which log it is. Every
// failure wraps [ErrBadCheckpoint].
func OpenCheckpointKey(msg []byte, vkey, origin string) (*Checkpoint, error) {
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, fmt.Errorf("%w: the log key is not a signed-note verifier key: %w", ErrBadCheckpoint, err)
	}
	if origin == "" {
		origin = CheckpointOrigin(msg)
	}
	cp, err := OpenCheckpoint(msg, origin, v)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadCheckpoint, err)
	}
	return cp, nil
}

// CheckpointOrigin returns the first line of a checkpoint, its origin,
// without verifying anything.
func CheckpointOrigin(msg []byte) string {
	origin, _, _ := bytes.Cut(msg, []byte("\n"))
	return string(origin)
}

// ParseCheckpointUnverified parses the body of a checkpoint note without
// checking any signature. Use it only to report what an unverifiable
// checkpoint claims; the result's Note is msg.
func ParseCheckpointUnverified(msg []byte) (*Checkpoint, error) {
	text, _, ok := bytes.Cut(msg, []byte("\n\n"))
	if !ok {
		return nil, fmt.Errorf("%w: not a signed note", ErrBadCheckpoint)
	}
	var c log.Checkpoint
	if _, err := c.Unmarshal(append(text, '\n')); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadCheckpoint, err)
	}
	if len(c.Hash) != tlog.HashSize || c.Size > 1<<62 {
		return nil, fmt.Errorf("%w: bad root hash or size", ErrBadCheckpoint)
	}
	cp := &Checkpoint{Origin: c.Origin, Size: int64(c.Size), Note: msg}
	copy(cp.Root[:], c.Hash)
	return cp, nil
}
