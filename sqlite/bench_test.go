package sqlite_test

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/signet-ledger/signet/ledger"
	"github.com/signet-ledger/signet/ledger/storetest"
	"github.com/signet-ledger/signet/sqlite"
)

// BenchmarkBatchCommit runs the store benchmark on a file in the test's
// temporary directory, with the default synchronous=FULL: the commit's
// fsync is counted.
func BenchmarkBatchCommit(b *testing.B) {
	storetest.BenchmarkBatchCommit(b, func(b *testing.B) ledger.Store {
		ctx := context.Background()
		path := filepath.Join(b.TempDir(), "signet.db")
		if err := sqlite.Migrate(ctx, path, slog.New(slog.DiscardHandler)); err != nil {
			b.Fatal(err)
		}
		s, err := sqlite.Open(ctx, path)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { s.Close() })
		return s
	})
}
