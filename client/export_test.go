package client_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/signet-ledger/signet/client"
	"github.com/signet-ledger/signet/internal/signettest"
	"github.com/signet-ledger/signet/ledger"
)

func TestExport(t *testing.T) {
	e := signettest.New(t, signettest.Options{})
	ctx := context.Background()
	k := e.Register(t, "alice")
	for i := range 4 {
		if _, err := e.Client.Submit(ctx, k, fmt.Appendf(nil, `{"n":%d}`, i)); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct{ from, to, lines, treeSize, proof int64 }{
		{0, 0, 5, 5, 0},
		{0, 3, 3, 3, 1},
		{2, 4, 2, 4, 1},
	} {
		var buf bytes.Buffer
		end, err := e.Client.Export(ctx, tc.from, tc.to, &buf)
		if err != nil {
			t.Fatalf("Export(%d, %d) = %v", tc.from, tc.to, err)
		}
		sc := bufio.NewScanner(&buf)
		var n int64
		for sc.Scan() {
			var w ledger.WireRecord
			if err := json.Unmarshal(sc.Bytes(), &w); err != nil {
				t.Fatal(err)
			}
			if w.JWS == nil { // the end line
				break
			}
			if w.Index != tc.from+n {
				t.Errorf("Export(%d, %d) line %d has index %d", tc.from, tc.to, n, w.Index)
			}
			n++
		}
		if n != tc.lines || end.TreeSize != tc.treeSize || (len(end.Consistency) > 0) != (tc.proof > 0) {
			t.Errorf("Export(%d, %d) = %d records, end %+v", tc.from, tc.to, n, end)
		}
	}
	_, err := e.Client.Export(ctx, 9, 0, &bytes.Buffer{})
	if !client.IsProblem(err, "malformed") {
		t.Errorf("Export(from 9) = %v, want malformed", err)
	}
}

func TestExportCutShort(t *testing.T) {
	for name, body := range map[string]string{
		"NoEndLine":   `{"index":0}` + "\n",
		"Empty":       "",
		"HalfEndLine": `{"index":0}` + "\n" + `{"tree_size":1,"checkp`,
	} {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/x-ndjson")
				fmt.Fprint(w, body)
			}))
			defer srv.Close()
			_, err := client.New(srv.URL).Export(context.Background(), 0, 0, &bytes.Buffer{})
			if err == nil || !strings.Contains(err.Error(), "cut short") {
				t.Errorf("Export of %q = %v, want cut short", body, err)
			}
		})
	}
}
