package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/signet-ledger/signet/ledger"
	"github.com/signet-ledger/signet/sqlite"
)

var discard = slog.New(slog.DiscardHandler)

// migrated returns a migrated database file named name in a new directory.
func migrated(t *testing.T, name string) string {
	path := filepath.Join(t.TempDir(), name)
	if err := sqlite.Migrate(context.Background(), path, discard); err != nil {
		t.Fatalf("Migrate(%s) = %v", path, err)
	}
	return path
}

func TestOpenSetsDurableWAL(t *testing.T) {
	ctx := context.Background()
	path := migrated(t, "signet.db")
	s, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// journal_mode is a property of the file: any connection sees it.
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var mode string
	if err := db.QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("PRAGMA journal_mode = %q, %v; want wal", mode, err)
	}
}

func TestOpenRefuses(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	for _, c := range []struct {
		name string
		path string
		o    sqlite.Options
	}{
		{"NoDirectory", filepath.Join(dir, "missing", "signet.db"), sqlite.Options{}},
		{"Memory", ":memory:", sqlite.Options{}},
		{"URI", "file:" + filepath.Join(dir, "x.db"), sqlite.Options{}},
		{"Empty", "", sqlite.Options{}},
		{"SynchronousOff", filepath.Join(dir, "off.db"), sqlite.Options{Synchronous: "OFF"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if s, err := sqlite.OpenOptions(ctx, c.path, c.o); err == nil {
				s.Close()
				t.Errorf("OpenOptions(%q, %+v) succeeded", c.path, c.o)
			}
		})
	}
}

// TestOddPath opens a file whose name has the characters a file: URI
// gives a meaning to.
func TestOddPath(t *testing.T) {
	ctx := context.Background()
	path := migrated(t, "a ?b#c%20d.db")
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("the database is not at %q: %v", path, err)
	}
	s, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Head(ctx); err != nil {
		t.Errorf("Head() = %v", err)
	}
}

func TestMigrateConcurrentlyAndAgain(t *testing.T) {
	path := filepath.Join(t.TempDir(), "signet.db")
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			if err := sqlite.Migrate(context.Background(), path, discard); err != nil {
				t.Errorf("Migrate = %v", err)
			}
		})
	}
	wg.Wait()
	if err := sqlite.Migrate(context.Background(), path, discard); err != nil {
		t.Errorf("Migrate(again) = %v", err)
	}
}

// TestWriteLockHeldElsewhere holds the write lock from another connection,
// as another process would, past the busy timeout: Sequence waits that
// long and then fails with ErrUnavailable.
func TestWriteLockHeldElsewhere(t *testing.T) {
	ctx := context.Background()
	path := migrated(t, "signet.db")
	s, err := sqlite.OpenOptions(ctx, path, sqlite.Options{BusyTimeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	other, err := sql.Open("sqlite", path+"?_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	tx, err := other.Begin()
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err = s.Sequence(ctx, func(ctx context.Context, tx ledger.Tx) error { return nil })
	if !errors.Is(err, ledger.ErrUnavailable) || time.Since(start) < 150*time.Millisecond {
		t.Errorf("Sequence while another process holds the lock = %v after %v, want ErrUnavailable after the busy timeout", err, time.Since(start))
	}
	// Reads go on meanwhile.
	if _, err := s.Head(ctx); err != nil {
		t.Errorf("Head() while another process holds the lock = %v", err)
	}
	tx.Rollback()
	if err := s.Sequence(ctx, func(ctx context.Context, tx ledger.Tx) error { return nil }); err != nil {
		t.Errorf("Sequence after the lock was released = %v", err)
	}
}

func TestClosedIsUnavailable(t *testing.T) {
	ctx := context.Background()
	s, err := sqlite.Open(ctx, migrated(t, "signet.db"))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close() = %v", err)
	}
	if err := s.Ping(ctx); !errors.Is(err, ledger.ErrUnavailable) {
		t.Errorf("Ping() after Close = %v, want ErrUnavailable", err)
	}
	if _, err := s.Head(ctx); !errors.Is(err, ledger.ErrUnavailable) {
		t.Errorf("Head() after Close = %v, want ErrUnavailable", err)
	}
	err = s.Sequence(ctx, func(ctx context.Context, tx ledger.Tx) error { return nil })
	if !errors.Is(err, ledger.ErrUnavailable) {
		t.Errorf("Sequence() after Close = %v, want ErrUnavailable", err)
	}
}
