package main

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/signet-ledger/signet/internal/atomicfile"
)

// state is the client's memory, under the state dir:
//
//	logs/<origin>/log.key      the log's pinned verifier key
//	logs/<origin>/checkpoint   the latest checkpoint seen, verified
//	servers/<server URL>       the origin of the log that server serves
//
// Names are escaped so that any origin or URL is one file name. Files are
// written whole (a temporary file renamed), mode 0600 in folders of 0700.
type state struct{ dir string }

func (e *env) state() state { return state{e.g.StateDir} }

// escapeName turns s into one safe file name: bytes other than letters,
// digits, '.', '-' and '_' become %XX.
func escapeName(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' && i > 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

func (s state) logFile(origin, name string) string {
	return filepath.Join(s.dir, "logs", escapeName(origin), name)
}

func (s state) serverFile(server string) string {
	return filepath.Join(s.dir, "servers", escapeName(server))
}

// read returns the file's content trimmed of surrounding space, or ok
// false if it does not exist.
func (s state) read(path string) (string, bool, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("reading the client state: %w", err)
	}
	return string(bytes.TrimSpace(b)), true, nil
}

// write replaces the file's content atomically.
func (s state) write(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("writing the client state: %w", err)
	}
	return atomicfile.Write(path, data)
}

func (s state) pinnedKey(origin string) (string, bool, error) {
	return s.read(s.logFile(origin, "log.key"))
}

func (s state) pinKey(origin, vkey string) error {
	return s.write(s.logFile(origin, "log.key"), []byte(vkey+"\n"))
}

func (s state) lastCheckpoint(origin string) ([]byte, bool, error) {
	b, ok, err := s.read(s.logFile(origin, "checkpoint"))
	if !ok || err != nil {
		return nil, ok, err
	}
	return []byte(b + "\n"), true, nil
}

func (s state) saveCheckpoint(origin string, note []byte) error {
	return s.write(s.logFile(origin, "checkpoint"), note)
}

func (s state) serverOrigin(server string) (string, bool, error) {
	return s.read(s.serverFile(server))
}

func (s state) setServerOrigin(server, origin string) error {
	return s.write(s.serverFile(server), []byte(origin+"\n"))
}
