package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/signet-ledger/signet"
	"github.com/signet-ledger/signet/internal/signettest"
	"github.com/signet-ledger/signet/internal/vectors"
)

const vectorDir = "../../testdata/vectors"

// importsAnyway are the invalid vectors signetd import accepts, and why.
var importsAnyway = map[string]string{
	"r26-fork": "signetd import takes no checkpoint held apart: without it the export is a valid log",
}

// TestImportVectorsProcess runs the real "signetd import", as the
// vectors' log (its key), on every vector of testdata/vectors, into SQLite
// and into PostgreSQL: a valid export is imported whole with its
// checkpoint; an invalid one is refused naming the manifest's rule and
// record, and the store is left empty.
func TestImportVectorsProcess(t *testing.T) {
	bin := buildSignetd(t)
	keyFile := filepath.Join(t.TempDir(), "log.key")
	if err := os.WriteFile(keyFile, []byte(vectors.LogPrivateKey()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var manifest []vectors.Entry
	b, err := os.ReadFile(filepath.Join(vectorDir, "manifest.json"))
	if err == nil {
		err = json.Unmarshal(b, &manifest)
	}
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range manifest {
		for _, kind := range []string{"sqlite", "postgres"} {
			name := strings.TrimSuffix(e.File, ".ndjson")
			t.Run(name+"/"+kind, func(t *testing.T) {
				t.Parallel()
				c := config{DatabaseURL: "sqlite:" + filepath.Join(t.TempDir(), "signet.db"), DataDir: t.TempDir()}
				if kind == "postgres" {
					c.DatabaseURL = signettest.Schema(t)
				}
				file := filepath.Join(vectorDir, e.File)
				out, err := runCmd(bin, []string{"DATABASE_URL=" + c.DatabaseURL, "SIGNET_DATA_DIR=" + c.DataDir,
					"SIGNET_LOG_KEY_FILE=" + keyFile, "SIGNET_ADMIN_TOKEN=admin"}, "import", file)
				size, cp := storedHead(t, c)
				if _, ok := importsAnyway[name]; e.Verdict == "valid" || ok {
					n, end := exportEnd(t, file)
					if err != nil || size != n || cp != end {
						t.Fatalf("signetd import = %v, %d records, checkpoint %q; want %d records, checkpoint %q\n%s", err, size, cp, n, end, out)
					}
					return
				}
				want := fmt.Sprintf(": %s %s: ", e.Rule, e.RuleName)
				if e.Index >= 0 {
					want = fmt.Sprintf("record %d (line %d)%s", e.Index, e.Index+1, want)
				}
				if err == nil || !strings.Contains(out, want) {
					t.Errorf("signetd import = %v, want a refusal naming %q:\n%s", err, want, out)
				}
				if size != 0 || cp != "" {
					t.Errorf("after a refused import the store has %d records, checkpoint %q; want none", size, cp)
				}
			})
		}
	}
}

// storedHead returns the size and checkpoint of the store c names.
func storedHead(t *testing.T, c config) (int64, string) {
	ctx := context.Background()
	store, closeStore, err := openStore(ctx, c, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer closeStore()
	h, err := store.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return h.Size, string(h.Checkpoint)
}

// exportEnd returns the tree size and checkpoint of a valid export's end
// line.
func exportEnd(t *testing.T, file string) (int64, string) {
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	lines := bytes.Split(bytes.TrimSpace(b), []byte("\n"))
	_, end, err := signet.ParseExportLine(lines[len(lines)-1])
	if err != nil || end == nil {
		t.Fatalf("%s: the last line is not an end line: %v", file, err)
	}
	return end.TreeSize, end.Checkpoint
}
