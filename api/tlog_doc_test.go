package api_test

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/signet-ledger/signet"
	"github.com/signet-ledger/signet/internal/signettest"
	"github.com/signet-ledger/signet/internal/vectors"
	"github.com/signet-ledger/signet/ledger"
)

// TestProtocolTilesExample: the tiles PROTOCOL.md §10 shows, in hex, are
// what the server answers for the log it names (the valid-control
// conformance vector, imported).
func TestProtocolTilesExample(t *testing.T) {
	block := signettest.ProtocolBlock(t, "example-tiles")
	lines := strings.Split(strings.TrimSpace(block), "\n")
	file, ok := strings.CutPrefix(lines[0], "log: ")
	if !ok {
		t.Fatalf("the example-tiles block does not begin with log: <file>: %q", lines[0])
	}
	e := importExport(t, "../"+file)
	var path string
	var want strings.Builder
	check := func() {
		if path == "" {
			return
		}
		a := get(t, e.URL+path, "")
		if got := hex.EncodeToString(a.body); a.status != 200 || got != want.String() {
			t.Errorf("GET %s = %d %s\nPROTOCOL.md shows %s", path, a.status, got, want.String())
		}
	}
	for _, l := range lines[1:] {
		if p, ok := strings.CutPrefix(l, "GET "); ok {
			check()
			path = p
			want.Reset()
			continue
		}
		want.WriteString(strings.ReplaceAll(l, " ", ""))
	}
	check()
	if path == "" {
		t.Error("the example-tiles block shows no answer")
	}
	// What the text around the block says of the same log.
	for w := 1; w <= 9; w++ {
		if a := get(t, fmt.Sprintf("%s/tlog/tile/0/000.p/%d", e.URL, w), ""); a.status != 200 || len(a.body) != 32*w {
			t.Errorf("GET /tlog/tile/0/000.p/%d = %d, %d bytes; want 200, %d bytes", w, a.status, len(a.body), 32*w)
		}
	}
	for _, p := range []string{"/tlog/tile/0/000", "/tlog/tile/0/000.p/10", "/tlog/tile/1/000.p/1"} {
		tlogProblem(t, "GET "+p, get(t, e.URL+p, ""), 404, "notFound")
	}
	tlogProblem(t, "GET /tlog/tile/0/0", get(t, e.URL+"/tlog/tile/0/0", ""), 400, "malformed")
}

// importExport starts a server holding the export in file, a log of the
// conformance vectors' log key.
func importExport(t *testing.T, file string) *signettest.Env {
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	lines := bytes.Split(bytes.TrimSpace(b), []byte("\n"))
	_, end, err := signet.ParseExportLine(lines[len(lines)-1])
	if err != nil || end == nil {
		t.Fatalf("%s: no end line: %v", file, err)
	}
	_, v := signettest.BulkKey(t)
	cp, err := signet.OpenCheckpoint([]byte(end.Checkpoint), vectors.Origin, v)
	if err != nil {
		t.Fatal(err)
	}
	e := signettest.New(t, signettest.Options{Ledger: signettest.UseBulkKey(t)})
	r := signet.NewExportReader(bytes.NewReader(b), 1<<20)
	if _, err := ledger.Import(t.Context(), e.Store, r.Next, cp); err != nil {
		t.Fatal(fmt.Errorf("importing %s: %w", file, err))
	}
	return e
}
