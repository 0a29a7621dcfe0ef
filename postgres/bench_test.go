package postgres_test

import (
	"context"
	"log/slog"
	"testing"

	"github.com/signet-ledger/signet/internal/signettest"
	"github.com/signet-ledger/signet/ledger"
	"github.com/signet-ledger/signet/ledger/storetest"
	"github.com/signet-ledger/signet/postgres"
)

// BenchmarkBatchCommit runs the store benchmark against DATABASE_URL.
func BenchmarkBatchCommit(b *testing.B) {
	storetest.BenchmarkBatchCommit(b, func(b *testing.B) ledger.Store {
		ctx := context.Background()
		url := signettest.Schema(b)
		if err := postgres.Migrate(ctx, url, slog.New(slog.DiscardHandler)); err != nil {
			b.Fatal(err)
		}
		s, err := postgres.Open(ctx, url)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(s.Close)
		return s
	})
}
