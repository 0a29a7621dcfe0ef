package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/signet-ledger/signet"
)

// The journal is this machine's account of what it put in each log, kept
// under the state dir as
//
//	logs/<origin>/journal.ndjson
//
// one JSON object a line, appended and fsynced once the answer checked
// out: by submit for each entry, and by register, rotate-key and
// revoke-key (--operator too) for each key event:
//
//	{"index":12,"hash":"<64 hex>","kind":"entry","signer":"alice"}
//
// signet watch --expect-local flags each record of its signer whose hash
// is not in it. A command stopped between the server's answer and the
// append leaves its record out, which watch then flags: a false alarm,
// never a missed one.
type journalLine struct {
	Index  int64       `json:"index"`
	Hash   signet.Hash `json:"hash"`
	Kind   signet.Kind `json:"kind"`
	Signer string      `json:"signer"`
}

func (s state) journalFile(origin string) string { return s.logFile(origin, "journal.ndjson") }

// journal appends rec, which this machine made, to the journal of log
// origin. Appends are serialised within the process; each is one write
// to a file opened for appending, so that processes do not mix lines.
func (e *env) journal(origin string, rec *signet.Record) error {
	b, err := json.Marshal(journalLine{rec.Index, rec.Hash, rec.Kind, rec.Signer})
	if err != nil {
		return err
	}
	e.journalMu.Lock()
	defer e.journalMu.Unlock()
	path := e.state().journalFile(origin)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("writing the journal: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("writing the journal: %w", err)
	}
	_, err = f.Write(append(b, '\n'))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("writing the journal %s: %w", path, err)
	}
	return nil
}

// journalHashes returns the hashes of the records of log origin at index
// from or later that the journal holds. An unterminated last line (an
// append cut short) is ignored; any other line that does not parse is an
// error, as the journal is this machine's own.
func (s state) journalHashes(origin string, from int64) (map[signet.Hash]bool, error) {
	path := s.journalFile(origin)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return map[signet.Hash]bool{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the journal: %w", err)
	}
	if i := bytes.LastIndexByte(b, '\n'); i < len(b)-1 {
		b = b[:i+1]
	}
	out := map[signet.Hash]bool{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		var l journalLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			return nil, fmt.Errorf("the journal %s, line %d: %w", path, n, err)
		}
		if l.Index >= from {
			out[l.Hash] = true
		}
	}
	return out, sc.Err()
}
