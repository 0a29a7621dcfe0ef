// Package secretfile reads files that hold secrets (private keys, bearer
// tokens) the way ssh reads its keys: a file that is not a regular file,
// or that its group or others may access, is refused before a byte of it
// is read. signetd and signet both read their secrets through [Read], so
// the rule and its message are one.
package secretfile

import (
	"fmt"
	"io"
	"os"
	"runtime"
)

// Read returns the content of the secret's file at path, up to 1 MiB.
// Errors opening it are returned as they are (so a missing file matches
// fs.ErrNotExist); a file whose mode lets group or others read or change
// it (mode & 0o077 != 0; not checked on Windows, which has no such bits)
// is refused with a message that says to run chmod 600 on it.
func Read(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", path)
	}
	if perm := st.Mode().Perm(); perm&0o077 != 0 && runtime.GOOS != "windows" {
		return nil, fmt.Errorf("%s holds a secret but its mode is %04o, so others on this machine can read or change it; "+
			"run chmod 600 %s", path, perm, path)
	}
	return io.ReadAll(io.LimitReader(f, 1<<20))
}
