package postgres_test

import (
	"context"
	"log/slog"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/signet-ledger/signet/internal/signettest"
	"github.com/signet-ledger/signet/ledger"
	"github.com/signet-ledger/signet/ledger/storetest"
	"github.com/signet-ledger/signet/postgres"
)

// backend runs the conformance suite on fresh schemas of DATABASE_URL.
var backend = storetest.Backend{
	New: func(t *testing.T) string {
		url := signettest.Schema(t)
		if err := postgres.Migrate(context.Background(), url, slog.New(slog.DiscardHandler)); err != nil {
			t.Fatalf("Migrate = %v", err)
		}
		return url
	},
	Open: func(t *testing.T, url string) ledger.Store {
		s, err := postgres.Open(context.Background(), url)
		if err != nil {
			t.Fatalf("Open = %v", err)
		}
		t.Cleanup(s.Close)
		return s
	},
	Tamper: func(t *testing.T, url, table, column string, key, value any) {
		ctx := context.Background()
		conn := connect(t, url)
		keyCol := map[string]string{"records": "idx", "tree_hashes": "idx", "log_head": "id",
			"signers": "id", "signer_keys": "kid", "secrets": "name"}[table]
		tag, err := conn.Exec(ctx, `UPDATE `+table+` SET `+column+` = $1 WHERE `+keyCol+` = $2`, value, key)
		if err != nil {
			t.Fatalf("tampering with %s.%s: %v", table, column, err)
		}
		if tag.RowsAffected() != 1 {
			t.Fatalf("tampering with %s.%s changed %d rows, want 1", table, column, tag.RowsAffected())
		}
	},
	ClearSearchIndex: func(t *testing.T, url string) {
		ctx := context.Background()
		conn := connect(t, url)
		if _, err := conn.Exec(ctx, `UPDATE records SET payload_doc = '{}'`); err != nil {
			t.Fatal(err)
		}
	},
	CheckSearchIndex: func(t *testing.T, url string) {
		ctx := context.Background()
		conn := connect(t, url)
		var n, nulls, differ int64
		err := conn.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE payload_doc IS NULL),
			count(*) FILTER (WHERE payload_doc IS DISTINCT FROM signet_payload_doc(payload)) FROM records`).Scan(&n, &nulls, &differ)
		if err != nil {
			t.Fatal(err)
		}
		if differ != 0 || nulls == 0 || nulls == n {
			t.Errorf("of %d records, %d have a payload_doc other than signet_payload_doc(payload), %d none; want 0, and some but not all", n, differ, nulls)
		}
	},
}

// connect opens a connection to url behind the store's back, closed when
// the test ends.
func connect(t *testing.T, url string) *pgx.Conn {
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func TestStore(t *testing.T)   { storetest.TestStore(t, backend) }
func TestLog(t *testing.T)     { storetest.TestLog(t, backend) }
func TestVectors(t *testing.T) { storetest.TestVectors(t, backend) }
