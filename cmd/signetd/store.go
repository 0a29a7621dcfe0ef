package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/signet-ledger/signet/ledger"
	"github.com/signet-ledger/signet/postgres"
	"github.com/signet-ledger/signet/sqlite"
)

// storeFor says which store a configuration names: PostgreSQL for a
// postgres:// or postgresql:// URL, SQLite at the path after "sqlite:",
// and by default SQLite at <data-dir>/signet.db.
func storeFor(c config) (kind, where string, err error) {
	u := c.DatabaseURL
	switch {
	case u == "":
		return "sqlite", filepath.Join(c.DataDir, "signet.db"), nil
	case strings.HasPrefix(u, "postgres://"), strings.HasPrefix(u, "postgresql://"):
		return "postgres", u, nil
	case strings.HasPrefix(u, "sqlite:"):
		return "sqlite", strings.TrimPrefix(u, "sqlite:"), nil
	}
	return "", "", fmt.Errorf("--database-url must be a postgres:// URL or sqlite:PATH")
}

// migrateStore applies the migrations of the configured store.
func migrateStore(ctx context.Context, c config, log *slog.Logger) error {
	kind, where, err := storeFor(c)
	if err != nil {
		return err
	}
	if kind == "postgres" {
		return postgres.Migrate(ctx, where, log)
	}
	if err := os.MkdirAll(filepath.Dir(where), 0o700); err != nil {
		return err
	}
	if err := privateFile(where, log); err != nil {
		return err
	}
	return sqlite.Migrate(ctx, where, log)
}

// openStore migrates and opens the configured store, and says which it is.
func openStore(ctx context.Context, c config, log *slog.Logger) (ledger.Store, func(), error) {
	if err := migrateStore(ctx, c, log); err != nil {
		return nil, nil, err
	}
	kind, where, _ := storeFor(c)
	if kind == "postgres" {
		s, err := postgres.Open(ctx, where)
		if err != nil {
			return nil, nil, err
		}
		log.Info("store", "kind", "postgres")
		return s, s.Close, nil
	}
	s, err := sqlite.Open(ctx, where)
	if err != nil {
		return nil, nil, err
	}
	log.Info("store", "kind", "sqlite", "path", where)
	return s, func() { s.Close() }, nil
}

// privateFile creates the SQLite database file with mode 0600 if it does
// not exist yet, so that no one but its owner can read the log behind the
// reader tokens' back (SQLite gives its -wal and -shm files the database
// file's mode). It warns about an existing one that others may read.
func privateFile(path string, log *slog.Logger) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if perm := st.Mode().Perm(); perm&0o077 != 0 {
		log.Warn("the SQLite database can be read by other users of this machine; run chmod 600 on it and its -wal and -shm files",
			"path", path, "mode", fmt.Sprintf("%04o", perm))
	}
	return nil
}
