package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/signet-ledger/signet"
	"github.com/signet-ledger/signet/audit"
	"github.com/signet-ledger/signet/internal/progress"
	"github.com/signet-ledger/signet/ledger"
)

// importLog loads an export (from "signet export") into the configured,
// empty store, with the progress of each step on stderr if it is a
// terminal. It first audits the whole file offline with this server's
// own log key, then loads it, checking every record again as it goes: a
// log moves between stores only if it verifies, and only with its key.
func importLog(ctx context.Context, c config, file string, log *slog.Logger) error {
	sec, err := loadSecrets(c, log)
	if err != nil {
		return err
	}
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	var size int64
	if st, err := f.Stat(); err == nil {
		size = st.Size()
	}
	bar := progress.New(os.Stderr, "auditing", "records", size)
	sum, err := audit.Audit(ctx, f, audit.Options{LogKey: sec.verifierKey, Progress: func(records, bytes int64) { bar.Set(bytes, records) }})
	bar.Done()
	if err != nil {
		return fmt.Errorf("the export does not verify with this server's log key: %w", err)
	}
	cp := sum.Checkpoint
	if cp == nil || cp.Size != sum.Records {
		return fmt.Errorf("the export holds %d records but its checkpoint covers more: export the whole log (signet export without --to)", sum.Records)
	}
	store, closeStore, err := openStore(ctx, c, log)
	if err != nil {
		return err
	}
	defer closeStore()
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	n, err := ledger.Import(ctx, store, counted(signet.NewExportReader(f, 8<<20).Next, progress.New(os.Stderr, "importing", "records", sum.Records)), cp)
	if err != nil {
		return fmt.Errorf("import stopped after %d records: %w", n, err)
	}
	log.Info("imported", "records", n, "audited", sum.Records)
	fmt.Printf("imported %d records; the log's checkpoint is unchanged\n", n)
	return nil
}

// counted returns next, showing on bar the records it has returned; bar
// is cleared at the first error or io.EOF.
func counted(next func() (*signet.Record, error), bar *progress.Bar) func() (*signet.Record, error) {
	var n int64
	return func() (*signet.Record, error) {
		rec, err := next()
		if err != nil {
			bar.Done()
			return nil, err
		}
		n++
		bar.Set(n, n)
		return rec, nil
	}
}
