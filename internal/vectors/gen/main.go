// Command gen writes Signet's conformance vectors:
//
//	go run ./internal/vectors/gen -o testdata/vectors
//
// It writes one export per vector, log.vkey, manifest.json and README.md
// into the directory, replacing the vectors there. See package vectors.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/signet-ledger/signet/internal/vectors"
)

func main() {
	out := flag.String("o", "testdata/vectors", "the directory to write the vectors to")
	flag.Parse()
	if err := run(*out); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(dir string) error {
	files, err := vectors.Generate()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := removeOld(dir); err != nil {
		return err
	}
	for _, f := range files {
		if err := os.WriteFile(filepath.Join(dir, f.Name), f.Data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// removeOld removes the vectors of an earlier run, so that a renamed
// vector leaves no stale file.
func removeOld(dir string) error {
	old, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range old {
		if n := e.Name(); strings.HasSuffix(n, ".ndjson") || strings.HasSuffix(n, ".checkpoint") {
			if err := os.Remove(filepath.Join(dir, n)); err != nil {
				return err
			}
		}
	}
	return nil
}
