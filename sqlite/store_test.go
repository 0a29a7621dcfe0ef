package sqlite_test

import (
	"context"
	"database/sql"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/signet-ledger/signet/ledger"
	"github.com/signet-ledger/signet/ledger/storetest"
	"github.com/signet-ledger/signet/sqlite"
)

// backend runs the conformance suite on database files in the test's
// temporary directory.
var backend = storetest.Backend{
	New: func(t *testing.T) string {
		path := filepath.Join(t.TempDir(), "signet.db")
		if err := sqlite.Migrate(context.Background(), path, slog.New(slog.DiscardHandler)); err != nil {
			t.Fatalf("Migrate(%s) = %v", path, err)
		}
		return path
	},
	Open: func(t *testing.T, path string) ledger.Store {
		s, err := sqlite.Open(context.Background(), path)
		if err != nil {
			t.Fatalf("Open(%s) = %v", path, err)
		}
		t.Cleanup(func() {
			if err := s.Close(); err != nil {
				t.Errorf("Close() = %v", err)
			}
		})
		return s
	},
	Tamper: func(t *testing.T, path, table, column string, key, value any) {
		db, err := sql.Open("sqlite", path)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		keyCol := map[string]string{"records": "idx", "tree_hashes": "idx", "log_head": "id",
			"signers": "id", "signer_keys": "kid", "secrets": "name"}[table]
		res, err := db.Exec(`UPDATE `+table+` SET `+column+` = ? WHERE `+keyCol+` = ?`, value, key)
		if err != nil {
			t.Fatalf("tampering with %s.%s: %v", table, column, err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			t.Fatalf("tampering with %s.%s changed %d rows, want 1", table, column, n)
		}
	},
	ClearSearchIndex: func(t *testing.T, path string) {
		db, err := sql.Open("sqlite", path)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if _, err := db.Exec(`DELETE FROM record_terms`); err != nil {
			t.Fatal(err)
		}
	},
}

func TestStore(t *testing.T)   { storetest.TestStore(t, backend) }
func TestLog(t *testing.T)     { storetest.TestLog(t, backend) }
func TestVectors(t *testing.T) { storetest.TestVectors(t, backend) }
