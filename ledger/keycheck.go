package ledger

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/mod/sumdb/note"
)

// KeyMismatchError is returned by [Open] when the log's latest checkpoint
// was not signed by the configured key for the configured origin: the
// server was started with another log's key (a second server on the same
// database with its own key file, a restart on another data folder) or
// another origin. Such a server could sign nothing the log's readers
// would accept, so it must not start.
type KeyMismatchError struct {
	Size int64 // the checkpoint's tree size
	// Origin and Keys are the checkpoint's origin line and the keys that
	// signed it, each as "<name>+<hash>", the hash as 8 hex digits.
	Origin string
	Keys   []string
	// ConfiguredOrigin and ConfiguredKey are what the server was given.
	ConfiguredOrigin string
	ConfiguredKey    string
}

func (e *KeyMismatchError) Error() string {
	return fmt.Sprintf("ledger: the log's latest checkpoint (tree size %d) has origin %q and is signed by key %s, "+
		"but this server has origin %q and key %s", e.Size, e.Origin, strings.Join(e.Keys, ", "),
		e.ConfiguredOrigin, e.ConfiguredKey)
}

// checkKey checks that the log's latest checkpoint opens with cfg's origin
// and verifier. An empty log, or one whose import has not set a checkpoint
// yet, has nothing to check. A checkpoint that names the configured key
// and origin but does not verify is damage, [ErrCorrupt].
func checkKey(ctx context.Context, cfg Config) error {
	h, err := cfg.Store.Head(ctx)
	if err != nil {
		return fmt.Errorf("ledger: reading the log's head: %w", err)
	}
	if h.Size == 0 || len(h.Checkpoint) == 0 {
		return nil
	}
	if _, err := OpenCheckpoint(h.Checkpoint, cfg.Origin, cfg.Verifier); err == nil {
		return nil
	}
	mine := keyName(cfg.Verifier.Name(), cfg.Verifier.KeyHash())
	e := &KeyMismatchError{Size: h.Size, Origin: CheckpointOrigin(h.Checkpoint),
		ConfiguredOrigin: cfg.Origin, ConfiguredKey: mine}
	_, err = note.Open(h.Checkpoint, note.VerifierList())
	var unverified *note.UnverifiedNoteError
	if !errors.As(err, &unverified) {
		return fmt.Errorf("%w: the log's latest checkpoint is not a signed note: %w", ErrCorrupt, err)
	}
	for _, s := range unverified.Note.UnverifiedSigs {
		e.Keys = append(e.Keys, keyName(s.Name, s.Hash))
	}
	if e.Origin == cfg.Origin && strings.Contains(strings.Join(e.Keys, "\n")+"\n", mine+"\n") {
		return fmt.Errorf("%w: the log's latest checkpoint names this server's key and origin but does not verify", ErrCorrupt)
	}
	return e
}

func keyName(name string, hash uint32) string { return fmt.Sprintf("%s+%08x", name, hash) }
