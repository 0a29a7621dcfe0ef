// Package atomicfile replaces files so that a crash leaves either the old
// content or the new, never a mix: the one way Signet's CLI and witness
// write state they must not lose.
package atomicfile

import (
	"os"
	"path/filepath"
	"strings"
)

// tempInfix marks the temporary files of [Write]; [RemoveTemps] deletes
// the ones a crash left behind.
const tempInfix = ".tmp-"

// Write replaces path with data: it writes a temporary file (mode 0600)
// in the same folder, syncs it, renames it over path and syncs the
// folder, so that the rename itself is durable.
func Write(path string, data []byte) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, filepath.Base(path)+tempInfix+"*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name()) // fails once renamed
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return err
	}
	return SyncDir(dir)
}

// RemoveTemps deletes the temporary files in dir that interrupted
// [Write]s left.
func RemoveTemps(dir string) error {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range ents {
		if strings.Contains(e.Name(), tempInfix) {
			if err := os.Remove(filepath.Join(dir, e.Name())); err != nil {
				return err
			}
		}
	}
	return nil
}

// SyncDir makes the entries of dir (files created, renamed or removed in
// it) durable.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
