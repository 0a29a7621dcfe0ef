package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/signet-ledger/signet"
	"github.com/signet-ledger/signet/audit"
	"github.com/signet-ledger/signet/ledger"
)

// importLog loads an export (from "signet export") into the configured,
// empty store. It first audits the whole file offline with this server's
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
	sum, err := audit.Audit(ctx, f, audit.Options{LogKey: sec.verifierKey})
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
	n, err := ledger.Import(ctx, store, signet.NewExportReader(f, 8<<20).Next, cp)
	if err != nil {
		return fmt.Errorf("import stopped after %d records: %w", n, err)
	}
	log.Info("imported", "records", n, "audited", sum.Records)
	fmt.Printf("imported %d records; the log's checkpoint is unchanged\n", n)
	return nil
}
