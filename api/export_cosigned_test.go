package api_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"testing"

	signet "github.com/signet-ledger/signet"
	"github.com/signet-ledger/signet/audit"
	"github.com/signet-ledger/signet/internal/signettest"
	"github.com/signet-ledger/signet/ledger"
	"github.com/signet-ledger/signet/postgres"
)

// TestExportCarriesCosignatures: an export's end line carries the
// cosignatures collected for its checkpoint, so it audits against a
// witness policy as it comes from the server; importing it keeps only
// what the log signed as the new log's checkpoint. Before, the end line
// had the log's signature alone and an audit with a policy always failed.
func TestExportCarriesCosignatures(t *testing.T) {
	ctx := context.Background()
	e := signettest.New(t, signettest.Options{})
	e.Register(t, "alice")
	h, err := e.Store.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	w1, w2 := signettest.NewWitness(t, "w1.example"), signettest.NewWitness(t, "w2.example")
	if err := e.Store.AddCosignatures(ctx, ledger.Cosigned{Size: h.Size, Checkpoint: h.Checkpoint, Cosignatures: []ledger.Cosignature{
		{Witness: w1.VKey, Line: w1.Line(t, h.Checkpoint)}, {Witness: w2.VKey, Line: w2.Line(t, h.Checkpoint)}}}); err != nil {
		t.Fatal(err)
	}
	var export bytes.Buffer
	end, err := e.Client.Export(ctx, 0, 0, &export)
	if err != nil {
		t.Fatal(err)
	}
	policy, err := signet.ParsePolicy(fmt.Appendf(nil, "log %s\nwitness W1 %s\nwitness W2 %s\ngroup G all W1 W2\nquorum G\n", e.LogKey, w1.VKey, w2.VKey))
	if err != nil {
		t.Fatal(err)
	}
	if err := policy.Check([]byte(end.Checkpoint)); err != nil {
		t.Fatalf("the export's checkpoint: %v", err)
	}
	if _, err := audit.Audit(ctx, bytes.NewReader(export.Bytes()), audit.Options{LogKey: e.LogKey, Policy: policy}); err != nil {
		t.Fatalf("audit --policy of the export as served: %v", err)
	}

	cp, err := signet.OpenCheckpoint([]byte(end.Checkpoint), e.Origin, e.Verifier)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(cp.Signed, h.Checkpoint) {
		t.Fatalf("Checkpoint.Signed = %q, want the log's own note %q", cp.Signed, h.Checkpoint)
	}
	url := signettest.Schema(t)
	if err := postgres.Migrate(ctx, url, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	dst, err := postgres.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	if _, err := ledger.Import(ctx, dst, signet.NewExportReader(bytes.NewReader(export.Bytes()), 8<<20).Next, cp); err != nil {
		t.Fatal(err)
	}
	if h2, err := dst.Head(ctx); err != nil || !bytes.Equal(h2.Checkpoint, h.Checkpoint) {
		t.Fatalf("imported head checkpoint = %q, %v; want the log's own note, without cosignatures", h2.Checkpoint, err)
	}
}
