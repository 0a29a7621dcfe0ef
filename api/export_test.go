package api_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"testing"

	"github.com/signet-ledger/signet/internal/signettest"
	"github.com/signet-ledger/signet/ledger"
)

// pageFailStore fails every Records read that starts past the first page,
// as a database lost in the middle of an export would.
type pageFailStore struct {
	ledger.Store
	fail bool
}

func (s *pageFailStore) Records(ctx context.Context, q ledger.Query) ([]*ledger.Record, error) {
	if s.fail && q.After >= 999 {
		return nil, errors.New("injected: database lost mid-export")
	}
	return s.Store.Records(ctx, q)
}

// TestExportCutShortBreaksTheConnection: an export that fails after its
// first page must not end like a complete one.
func TestExportCutShortBreaksTheConnection(t *testing.T) {
	var st *pageFailStore
	e := signettest.New(t, signettest.Options{Ledger: func(c *ledger.Config) {
		st = &pageFailStore{Store: c.Store}
		c.Store = st
	}})
	ctx := context.Background()
	k := e.Register(t, "alice")
	for b := 0; b < 2; b++ {
		var entries [][]byte
		for i := 0; i < 600; i++ {
			j, err := e.Client.SignEntry(ctx, k, []byte(fmt.Sprintf(`{"n":%d}`, i)))
			if err != nil {
				t.Fatal(err)
			}
			entries = append(entries, j.Flattened())
		}
		if _, err := e.Client.SubmitBatch(ctx, entries); err != nil {
			t.Fatal(err)
		}
	}
	var full bytes.Buffer
	if _, err := e.Client.Export(ctx, 0, 0, &full); err != nil {
		t.Fatalf("Export = %v", err)
	}
	st.fail = true
	resp, err := http.Get(e.URL + "/v1/log/export")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err == nil {
		t.Fatalf("reading a failed export ended cleanly after %d bytes (of %d); want a broken stream", len(body), full.Len())
	}
	if len(body) == 0 || len(body) >= full.Len() {
		t.Errorf("failed export gave %d bytes, want some but fewer than %d", len(body), full.Len())
	}
}
