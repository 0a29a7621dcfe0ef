package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/signet-ledger/signet/keys"
)

var rotateKeyCmd = &command{
	name:     "rotate-key",
	synopsis: "--signer ID --new-key FILE [--key OLD]",
	short:    "add a new key to a signer, authorised by its current key",
	long: "Add the key in --new-key to the signer, authorised by its active key in --key (an ACME-style key " +
		"change: both keys sign). If FILE does not exist a new key is made there first (mode 0600). " +
		"The old key stays active until revoked with signet revoke-key.",
	run: runRotateKey,
}

func runRotateKey(ctx context.Context, cmd *command, e *env, args []string) error {
	flags := cmd.flagSet(e)
	signer := flags.String("signer", "", "the signer `ID`")
	newKey := flags.String("new-key", "", "the new key's `FILE` (made if it does not exist)")
	pos, err := cmd.parse(e, flags, args)
	if err != nil {
		return err
	}
	if err := cmd.wantArgs(pos, 0, 0); err != nil {
		return err
	}
	if *signer == "" || *newKey == "" {
		return usagef("rotate-key: --signer and --new-key are required")
	}
	old, err := e.loadKey()
	if err != nil {
		return err
	}
	next, err := newOrExistingKey(e, *newKey)
	if err != nil {
		return err
	}
	c := e.client()
	ev, err := c.AddKey(ctx, *signer, old, next)
	if err != nil {
		return err
	}
	if err := e.checkKeyEvent(ctx, c, ev); err != nil {
		return err
	}
	return e.emit(ev, func(w io.Writer) {
		fmt.Fprintf(w, "added key %s to %s at log index %d\n", safe(ev.KID), safe(ev.Signer), ev.LogIndex)
		fmt.Fprintf(w, "sign with --key %s from now on; to revoke the old key:\n  signet revoke-key --key %s --signer %s --kid %s\n",
			*newKey, *newKey, safe(ev.Signer), old.Public().Thumbprint())
	})
}

// newOrExistingKey reads the key in path, or makes one there.
func newOrExistingKey(e *env, path string) (keys.PrivateKey, error) {
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		return readKey(path)
	}
	k, err := keys.GenerateKey()
	if err != nil {
		return keys.PrivateKey{}, err
	}
	if err := writeNewKey(path, k); err != nil {
		return keys.PrivateKey{}, err
	}
	e.note("wrote a new Ed25519 key to %s (mode 0600), kid %s", path, k.Public().Thumbprint())
	return k, nil
}
