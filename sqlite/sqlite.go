// Package sqlite implements Signet's stores on an embedded SQLite database
// with modernc.org/sqlite, a pure-Go driver: no cgo, no server. All of
// Signet's SQL for SQLite lives here.
//
// # Durability and concurrency
//
// The database is in WAL mode with synchronous=FULL unless [Options] say
// otherwise: when [Store.Sequence] returns nil its commit is on disk and
// survives a power loss. A [Store] has one write connection, which
// database/sql hands to one caller at a time, so its writers take turns;
// every write transaction begins with BEGIN IMMEDIATE, which serialises them
// with the writers of any other process that opened the same file, waiting
// up to the busy timeout. Reads use a separate pool of query-only
// connections that WAL lets run beside the writer, each seeing the last
// committed state.
//
// The file must be on a local file system: WAL needs shared memory between
// the processes that open it, which network file systems do not give.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/pressly/goose/v3"
	"github.com/signet-ledger/signet/keys"
	"github.com/signet-ledger/signet/ledger"
	"github.com/signet-ledger/signet/migrations"
	sqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Store is a [ledger.Store] on a SQLite database file.
type Store struct {
	write  *sql.DB // exactly one connection; every transaction is BEGIN IMMEDIATE
	read   *sql.DB // query-only connections
	closed atomic.Bool
	// keys remembers the stored keys already checked: the sequencer
	// reads its batch's signers' keys from the tables for every batch.
	keys *keys.KeyCache
}

var _ ledger.Store = (*Store)(nil)

// Options adjust [OpenOptions]. The zero value is the default.
type Options struct {
	// Synchronous is SQLite's synchronous setting for commits. Optional.
	// Default "FULL": a commit is flushed to disk before Sequence returns.
	// "NORMAL" is faster and never corrupts the database, but a power loss
	// (not a process crash) may lose the last acknowledged commits.
	Synchronous string
	// BusyTimeout is how long a write waits for another process's write
	// lock before failing with [ledger.ErrUnavailable]. Optional.
	// Default 10s.
	BusyTimeout time.Duration
	// Readers is the most read connections open at once. Optional.
	// Default GOMAXPROCS, at least 4.
	Readers int
}

func (o *Options) defaults() error {
	if o.Synchronous == "" {
		o.Synchronous = "FULL"
	}
	switch strings.ToUpper(o.Synchronous) {
	case "FULL", "EXTRA", "NORMAL":
	default:
		return fmt.Errorf("sqlite: synchronous must be FULL, EXTRA or NORMAL, not %q", o.Synchronous)
	}
	if o.BusyTimeout == 0 {
		o.BusyTimeout = 10 * time.Second
	}
	if o.Readers == 0 {
		o.Readers = max(4, runtime.GOMAXPROCS(0))
	}
	return nil
}

// Open opens the database file at path, creating the file if it does not
// exist, with the default [Options], and checks that it answers. It does
// not migrate; call [Migrate] first.
func Open(ctx context.Context, path string) (*Store, error) {
	return OpenOptions(ctx, path, Options{})
}

// OpenOptions is [Open] with options.
func OpenOptions(ctx context.Context, path string, o Options) (*Store, error) {
	if err := o.defaults(); err != nil {
		return nil, err
	}
	busy := "_busy_timeout=" + strconv.FormatInt(o.BusyTimeout.Milliseconds(), 10)
	w, err := openDB(path, busy+"&_journal_mode=WAL&_synchronous="+o.Synchronous+"&_foreign_keys=1&_txlock=immediate&_pragma=temp_store(memory)")
	if err != nil {
		return nil, err
	}
	w.SetMaxOpenConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	if err := checkWriter(ctx, w, o.Synchronous); err != nil {
		w.Close()
		return nil, err
	}
	// The readers open after the writer has put the file in WAL mode.
	r, err := openDB(path, busy+"&_query_only=1")
	if err != nil {
		w.Close()
		return nil, err
	}
	r.SetMaxOpenConns(o.Readers)
	r.SetMaxIdleConns(o.Readers)
	return &Store{write: w, read: r, keys: new(keys.KeyCache)}, nil
}

// openDB returns a pool on the file at path with the driver's DSN
// parameters params.
func openDB(path, params string) (*sql.DB, error) {
	dsn, err := fileDSN(path, params)
	if err != nil {
		return nil, err
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	return db, nil
}

// fileDSN returns a file: URI naming the absolute path, with the query
// params.
func fileDSN(path string, params string) (string, error) {
	if path == "" || strings.HasPrefix(path, "file:") || path == ":memory:" {
		return "", fmt.Errorf("sqlite: %q is not a file path", path)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", fmt.Errorf("sqlite: %w", err)
	}
	p := filepath.ToSlash(abs)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p // a Windows drive letter
	}
	return "file:" + (&url.URL{Path: p}).EscapedPath() + "?" + params, nil
}

// checkWriter opens the write connection and checks that the settings a
// commit's durability depends on took effect, and temp_store=MEMORY: the
// statement journal of each multi-row INSERT, which SQLite otherwise
// writes to a temporary file with a pwrite per page, is kept in memory
// (2% of the CPU of a batch append in signetd's profile; batch appends
// +5%, docs/PERFORMANCE.md).
func checkWriter(ctx context.Context, db *sql.DB, sync string) error {
	var mode string
	var syncLevel, fk, temp int
	err := db.QueryRowContext(ctx, `SELECT journal_mode, synchronous, foreign_keys, temp_store
		FROM pragma_journal_mode, pragma_synchronous, pragma_foreign_keys, pragma_temp_store`).Scan(&mode, &syncLevel, &fk, &temp)
	if err != nil {
		return fmt.Errorf("sqlite: opening the database: %w", err)
	}
	want := map[string]int{"NORMAL": 1, "FULL": 2, "EXTRA": 3}[strings.ToUpper(sync)]
	if mode != "wal" || syncLevel != want || fk != 1 || temp != 2 {
		return fmt.Errorf("sqlite: the database is in journal mode %q, synchronous %d, foreign keys %d, temp_store %d; want wal, %d, 1, 2 (is it on a network file system?)",
			mode, syncLevel, fk, temp, want)
	}
	return nil
}

// Close closes every connection. The last one to close folds the WAL back
// into the database file.
func (s *Store) Close() error {
	s.closed.Store(true)
	return errors.Join(s.read.Close(), s.write.Close())
}

// Ping reports whether the database answers.
func (s *Store) Ping(ctx context.Context) error {
	var n int
	return s.wrap(s.read.QueryRowContext(ctx, `SELECT count(*) FROM log_head`).Scan(&n))
}

// Migrate applies every pending migration to the database file at path,
// creating the file if it does not exist. Where the platform has flock, it
// holds an exclusive lock on path+"-migrate.lock" while it runs, so several
// servers starting at once migrate one at a time.
func Migrate(ctx context.Context, path string, log *slog.Logger) error {
	unlock, err := lockFile(ctx, path+"-migrate.lock")
	if err != nil {
		return err
	}
	defer unlock()
	db, err := openDB(path, "_busy_timeout=10000&_journal_mode=WAL&_synchronous=FULL&_foreign_keys=1&_txlock=immediate")
	if err != nil {
		return err
	}
	defer db.Close()
	fsys, err := fs.Sub(migrations.Sqlite, "sqlite")
	if err != nil {
		return err
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, db, fsys, goose.WithDisableGlobalRegistry(true),
		goose.WithGoMigrations(searchMigration))
	if err != nil {
		return fmt.Errorf("sqlite: migrations: %w", err)
	}
	res, err := p.Up(ctx)
	if err != nil {
		return fmt.Errorf("sqlite: migrating: %w", unavailableIf(err))
	}
	for _, r := range res {
		log.Info("applied migration", "version", r.Source.Version, "duration", r.Duration)
	}
	return nil
}

// wrap turns driver errors into the ledger's: no rows is ErrNotFound; a
// closed store, a lock held past the busy timeout or a failing disk is
// ErrUnavailable.
func (s *Store) wrap(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, sql.ErrNoRows):
		return ledger.ErrNotFound // callers add what was not found; no driver text
	case s.closed.Load():
		return fmt.Errorf("%w: the database is closed: %w", ledger.ErrUnavailable, err)
	}
	return unavailableIf(err)
}

// unavailableIf wraps err with ErrUnavailable if the caller's deadline
// passed (waiting for the write connection), or SQLite says the database
// is busy or locked, cannot be opened, or its disk fails or is full:
// conditions that a later retry may find cleared.
func unavailableIf(err error) error {
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%w: the database did not answer in time: %w", ledger.ErrUnavailable, err)
	}
	var e *sqlite.Error
	if !errors.As(err, &e) {
		return err
	}
	switch e.Code() & 0xff { // the primary result code
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_FULL:
		return fmt.Errorf("%w: the database is busy or unreachable: %w", ledger.ErrUnavailable, err)
	}
	return err
}
