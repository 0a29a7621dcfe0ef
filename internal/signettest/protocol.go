package signettest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// ProtocolBlock returns the fenced block of docs/PROTOCOL.md whose info
// string is info (the text after the opening "```"), for the tests that
// hold the document's worked examples to the code. It finds the document
// from the module's root, above the test's package directory.
func ProtocolBlock(t testing.TB, info string) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's directory")
		}
		dir = parent
	}
	b, err := os.ReadFile(filepath.Join(dir, "docs", "PROTOCOL.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(b), "```"+info+"\n")
	if !ok {
		t.Fatalf("docs/PROTOCOL.md has no ```%s block", info)
	}
	block, _, ok := strings.Cut(rest, "```")
	if !ok {
		t.Fatalf("unterminated ```%s block", info)
	}
	return block
}
