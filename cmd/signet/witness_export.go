package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/signet-ledger/signet/witness"
)

// runWitnessExport writes a witness's copy of a log as an export:
// signet witness export --state DIR [-o FILE] ORIGIN.
func runWitnessExport(ctx context.Context, cmd *command, e *env, args []string) error {
	fset := cmd.flagSet(e)
	stateDir := fset.String("state", "", "the witness's state `DIR`")
	out := fset.String("o", "-", "write to `FILE` (- for standard output); a file is replaced only once complete")
	pos, err := cmd.parse(e, fset, args)
	if err != nil {
		return err
	}
	if err := cmd.wantArgs(pos, 1, 1); err != nil {
		return err
	}
	if *stateDir == "" {
		return usagef("witness export: --state is required")
	}
	c, err := witness.OpenLogCopy(*stateDir, pos[0])
	if err != nil {
		return err
	}
	r, err := c.Export()
	if err != nil {
		return err
	}
	defer r.Close()
	if *out == "-" {
		_, err := io.Copy(e.sys.Stdout, r)
		return err
	}
	if err := copyToFile(*out, r); err != nil {
		return err
	}
	e.note("wrote the witness's copy of %s, %d records, to %s", c.Origin, c.Size, *out)
	return nil
}

// copyToFile writes r to a temporary file beside path, fsyncs it and
// renames it into place.
func copyToFile(path string, r io.Reader) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	if _, err := io.Copy(f, r); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// openAuditSource opens what signet audit reads: a witness's copy when
// path is a folder (a log's folder under the witness's --state, or a
// state dir with one log), else the export file.
func (e *env) openAuditSource(path string) (io.ReadCloser, int64, error) {
	if st, err := os.Stat(path); err != nil || !st.IsDir() {
		return e.open(path)
	}
	c, err := witness.OpenCopy(path)
	if err != nil {
		return nil, 0, err
	}
	r, err := c.Export()
	if err != nil {
		return nil, 0, fmt.Errorf("%s: %w", path, err)
	}
	return r, 0, nil
}
