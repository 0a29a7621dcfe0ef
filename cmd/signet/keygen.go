package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/signet-ledger/signet/keys"
)

var keygenCmd = &command{
	name:     "keygen",
	synopsis: "[-o FILE]",
	short:    "make an Ed25519 key (a JWK file, mode 0600) and print its kid",
	long:     "Make a new Ed25519 key, write it as a private JWK file with mode 0600 (never overwriting one), and print its kid.",
	run:      runKeygen,
}

func runKeygen(ctx context.Context, cmd *command, e *env, args []string) error {
	fs := cmd.flagSet(e)
	out := fs.String("o", "", "write the key to `FILE` (default: --key, or STATE/key.jwk)")
	pos, err := cmd.parse(e, fs, args)
	if err != nil {
		return err
	}
	if err := cmd.wantArgs(pos, 0, 0); err != nil {
		return err
	}
	path := *out
	if path == "" {
		path = e.keyPath()
	}
	k, err := keys.GenerateKey()
	if err != nil {
		return err
	}
	if err := writeNewKey(path, k); err != nil {
		return err
	}
	kid := k.Public().Thumbprint()
	e.note("wrote a new Ed25519 key to %s (mode 0600)", path)
	return e.emit(map[string]string{"kid": kid, "file": path}, func(w io.Writer) { fmt.Fprintln(w, kid) })
}

// writeNewKey writes k's private JWK to path with mode 0600, creating its
// folder (mode 0700) if needed; it refuses to overwrite a file.
func writeNewKey(path string, k keys.PrivateKey) error {
	b, err := k.MarshalJWK()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return withHint(fmt.Errorf("%s already exists; refusing to overwrite a key", path), "choose another file with -o")
	}
	if err != nil {
		return err
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
