// Package postgres implements Signet's stores on PostgreSQL with pgx. All
// of Signet's SQL for PostgreSQL lives here.
package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	"github.com/signet-ledger/signet/keys"
	"github.com/signet-ledger/signet/ledger"
	"github.com/signet-ledger/signet/migrations"
)

// Store is a [ledger.Store] on a PostgreSQL database.
type Store struct {
	pool *pgxpool.Pool
	// keys remembers the stored keys already checked: the sequencer
	// reads its batch's signers' keys from the tables for every batch.
	keys *keys.KeyCache
}

var _ ledger.Store = (*Store)(nil)

// Open connects to the database at url (a postgres:// URL or DSN; pgx's
// pool_max_conns and similar parameters apply) and checks that it answers.
// It does not migrate; call [Migrate] first.
func Open(ctx context.Context, url string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: parsing the database URL: %w", err)
	}
	if !strings.Contains(url, "pool_max_conns") {
		cfg.MaxConns = 16
	}
	// pgx prepares every statement; PostgreSQL may then settle on a generic
	// plan made while the tables were empty (a sequential scan for the
	// nonce lookup) and keep it as the log grows. Plan each execution for
	// its own arguments instead: the statements are few and cheap to plan.
	if _, ok := cfg.ConnConfig.RuntimeParams["plan_cache_mode"]; !ok {
		cfg.ConnConfig.RuntimeParams["plan_cache_mode"] = "force_custom_plan"
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	return &Store{pool: pool, keys: new(keys.KeyCache)}, nil
}

// PoolStats reports the state of the store's connection pool.
func (s *Store) PoolStats() ledger.PoolStats {
	st := s.pool.Stat()
	return ledger.PoolStats{
		Total: int64(st.TotalConns()), Idle: int64(st.IdleConns()), InUse: int64(st.AcquiredConns()), Max: int64(st.MaxConns()),
		Opened: st.NewConnsCount(), Closed: st.MaxLifetimeDestroyCount() + st.MaxIdleDestroyCount(),
		Acquires: st.AcquireCount(), Waited: st.EmptyAcquireCount(), WaitTime: st.EmptyAcquireWaitTime(),
	}
}

// Close closes every connection.
func (s *Store) Close() { s.pool.Close() }

// Ping reports whether the database answers.
func (s *Store) Ping(ctx context.Context) error { return wrap(s.pool.Ping(ctx)) }

// Migrate applies every pending migration to the database at url. It holds
// a PostgreSQL advisory lock while it runs, so several servers starting at
// once migrate one at a time.
func Migrate(ctx context.Context, url string, log *slog.Logger) error {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return fmt.Errorf("postgres: parsing the database URL: %w", err)
	}
	db := stdlib.OpenDB(*cfg)
	defer db.Close()
	return migrate(ctx, db, lockID(cfg.RuntimeParams["search_path"]), log)
}

// lockID is the advisory lock id of migrations into a search path: goose's
// default for the default path, and a distinct one per schema, so that
// servers migrating different schemas of one database do not wait on
// each other.
func lockID(searchPath string) int64 {
	if searchPath == "" {
		return lock.DefaultLockID
	}
	h := fnv.New64a()
	h.Write([]byte(searchPath))
	return int64(h.Sum64() >> 1)
}

func migrate(ctx context.Context, db *sql.DB, id int64, log *slog.Logger) error {
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(id), lock.WithLockTimeout(1, 300))
	if err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	fsys, err := fs.Sub(migrations.Postgres, "postgres")
	if err != nil {
		return err
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, fsys,
		goose.WithSessionLocker(locker), goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return fmt.Errorf("postgres: migrations: %w", err)
	}
	res, err := p.Up(ctx)
	if err != nil {
		return fmt.Errorf("postgres: migrating: %w", wrap(err))
	}
	for _, r := range res {
		log.Info("applied migration", "version", r.Source.Version, "duration", r.Duration)
	}
	return nil
}

// wrap turns pgx errors into the ledger's: no rows is ErrNotFound, a lost
// or refused connection or a server out of resources (a full disk) is
// ErrUnavailable.
func wrap(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return ledger.ErrNotFound // callers add what was not found; no driver text
	}
	if unavailable(err) {
		return fmt.Errorf("%w: the database is unreachable: %w", ledger.ErrUnavailable, err)
	}
	return err
}

func unavailable(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		c := pgErr.Code
		// 08: connection exception; 57P01-57P03: shutting down or
		// starting up; 53: insufficient resources (53100 disk full,
		// 53200 out of memory, 53300 too many connections): the server,
		// not the request, is at fault. 40001/40P01 are not expected (one
		// writer holds the head lock).
		return strings.HasPrefix(c, "08") || strings.HasPrefix(c, "53") ||
			c == "57P01" || c == "57P02" || c == "57P03"
	}
	var connErr *pgconn.ConnectError
	var netErr net.Error
	return errors.As(err, &connErr) || errors.As(err, &netErr) || pgconn.Timeout(err) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) ||
		errors.Is(err, pgconn.ErrConnClosed)
}
