package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/signet-ledger/signet/witness"
)

// runWitnessKeygen makes a witness key: signet witness keygen --name NAME -o FILE.
func runWitnessKeygen(ctx context.Context, cmd *command, e *env, args []string) error {
	fset := cmd.flagSet(e)
	name := fset.String("name", "", "the witness's `NAME`, a schema-less URL such as witness.example.com/w1")
	out := fset.String("o", "", "write the private key to `FILE` (mode 0600, never overwritten)")
	pos, err := cmd.parse(e, fset, args)
	if err != nil {
		return err
	}
	if err := cmd.wantArgs(pos, 0, 0); err != nil {
		return err
	}
	if *name == "" || *out == "" {
		return usagef("witness keygen: --name and -o are required")
	}
	skey, vkey, err := witness.GenerateKey(*name)
	if err != nil {
		return err
	}
	if err := writeSecret(*out, skey+"\n"); err != nil {
		return err
	}
	e.note("wrote the witness key to %s (mode 0600); a tlog-policy line: witness NAME %s URL", *out, vkey)
	return e.emit(map[string]string{"vkey": vkey, "file": *out}, func(w io.Writer) { fmt.Fprintln(w, vkey) })
}

// runWitnessVKey prints a witness key's verifier key: signet witness vkey --key FILE.
func runWitnessVKey(ctx context.Context, cmd *command, e *env, args []string) error {
	fset := cmd.flagSet(e)
	pos, err := cmd.parse(e, fset, args)
	if err != nil {
		return err
	}
	if err := cmd.wantArgs(pos, 0, 0); err != nil {
		return err
	}
	if e.g.Key == "" {
		return usagef("witness vkey: --key FILE is required")
	}
	skey, err := readWitnessKey(e.g.Key)
	if err != nil {
		return err
	}
	vkey, err := witness.VerifierKey(skey)
	if err != nil {
		return err
	}
	return e.emit(map[string]string{"vkey": vkey}, func(w io.Writer) { fmt.Fprintln(w, vkey) })
}

// writeSecret writes s to a new file with mode 0600, creating its folder
// (mode 0700); it refuses to overwrite a file.
func writeSecret(path, s string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%s exists: refusing to overwrite a key", path)
	}
	if err != nil {
		return err
	}
	if _, err := f.WriteString(s); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
