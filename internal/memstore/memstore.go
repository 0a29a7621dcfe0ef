// Package memstore is a [ledger.Store] held in memory, with fault hooks,
// so that the ledger's engine can be tested without a database, as
// sumdb's storage/mem.go and Sunlight's MemoryBackend let theirs. It never
// replaces the real stores' conformance suite (package storetest): it
// runs that suite itself, beside them.
//
// # Databases and stores
//
// A [DB] is one database: the tables of migrations/sqlite/00001_log.sql
// (log_head, records, tree_hashes, signers, signer_keys, secrets; and
// checkpoints and cosignatures of 00003_cosignatures.sql), one
// struct a row. [DB.Open] returns a [Store] on it; every Store of one DB
// shares it, as processes sharing one database do. A Store and its DB are
// safe for concurrent use.
//
// # What a Store promises
//
// Everything [ledger.Store] and [ledger.Tx] say, as the real stores keep
// it:
//
//   - [Store.Sequence] holds the DB's one write lock (across every Store
//     of the DB) while f runs, waiting for it until the context ends. What
//     f writes is staged in a layer of its own, which its reads see and no
//     one else's; the commit adds the layer to the DB at once, under the
//     readers' lock. If f fails or panics, the context ends, or the commit
//     fails, the layer is dropped: nothing f wrote is ever visible. f runs
//     at most once.
//   - [ledger.Tx.Write] is all or nothing: it checks the whole batch
//     against the schema's constraints (a record index, a nonce, a tree
//     hash index, a signer or a kid already taken; a key of an unknown
//     signer; the head moved since [ledger.Tx.Snapshot]) before it stages
//     any of it. A Write that fails aborts the transaction, as PostgreSQL
//     does: every later call of the Tx fails, and so does the commit.
//     Write also refuses what the real stores' schemas would let through
//     but the contract forbids: records that do not run on from the head,
//     and a revocation of a key that does not exist.
//   - Reads return copies: nothing a caller does to a record, key or
//     slice it got changes what is stored. Records come back as the real
//     stores return them: without their Nonce, times in UTC.
//   - A read that finds nothing wraps [ledger.ErrNotFound]; ReadHashes
//     fails unless every hash exists. A context that ends fails the call;
//     a deadline that passes wraps [ledger.ErrUnavailable], as the real
//     stores' timeouts do; so does every call of a closed Store.
//
// # Faults and tampering
//
// Each Store has [Faults], which make its operations fail, wait or stall
// and count them. [DB.Tamper] changes a stored field behind the stores'
// backs, as anyone with write access to a database could, named by the
// real tables' table and column names.
package memstore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/signet-ledger/signet/ledger"
	"github.com/signet-ledger/signet/registry"
	"golang.org/x/mod/sumdb/tlog"
)

// DB is one in-memory database. Create it with [NewDB].
type DB struct {
	lock chan struct{} // the write lock: holding it is holding its one slot

	mu        sync.RWMutex // readers' lock: guards committed
	committed *tables

	cosigned cosignTables // written outside the write lock, as the real stores do
}

// NewDB returns an empty, migrated database: a log of size 0.
func NewDB() *DB {
	return &DB{lock: make(chan struct{}, 1), committed: emptyDB()}
}

// Open returns a new Store on d, as another process would open the
// database.
func (d *DB) Open() *Store { return &Store{db: d} }

// Store is a [ledger.Store] on a [DB].
type Store struct {
	// Faults are the failures injected into this Store's operations.
	Faults Faults

	db     *DB
	closed atomic.Bool
}

var _ ledger.Store = (*Store)(nil)

// New returns a Store on a new, empty [DB].
func New() *Store { return NewDB().Open() }

// Close closes s: every later call fails with [ledger.ErrUnavailable]. The
// DB and its other Stores are unaffected.
func (s *Store) Close() { s.closed.Store(true) }

// ctxErr is the error of a call whose context ended, or nil.
func ctxErr(ctx context.Context) error {
	switch err := ctx.Err(); {
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("%w: memstore: the database did not answer in time: %w", ledger.ErrUnavailable, err)
	case err != nil:
		return fmt.Errorf("memstore: %w", err)
	}
	return nil
}

// enter starts every call of op: closed, faulted, or context ended.
func (s *Store) enter(ctx context.Context, op Op) error {
	if s.closed.Load() {
		return fmt.Errorf("%w: memstore: the store is closed", ledger.ErrUnavailable)
	}
	return s.Faults.hit(ctx, op)
}

// read runs f on the committed state under the readers' lock.
func (s *Store) read(ctx context.Context, f func(v view) error) error {
	if err := s.enter(ctx, OpRead); err != nil {
		return err
	}
	s.db.mu.RLock()
	defer s.db.mu.RUnlock()
	return f(view{s.db.committed})
}

// Ping reports whether the database answers: whether s is open and no
// fault says otherwise.
func (s *Store) Ping(ctx context.Context) error { return s.enter(ctx, OpPing) }

// Head returns the last committed head.
func (s *Store) Head(ctx context.Context) (ledger.Head, error) {
	var h ledger.Head
	err := s.read(ctx, func(v view) error {
		h = v.head().head()
		return nil
	})
	return h, err
}

// Record returns the record at index i.
func (s *Store) Record(ctx context.Context, i int64) (*ledger.Record, error) {
	return s.recordWhere(ctx, func(v view) *recordRow { return v.record(i) }, "there is no record %d", i)
}

// Records returns the records q selects, in index order.
func (s *Store) Records(ctx context.Context, q ledger.Query) ([]*ledger.Record, error) {
	if q.Limit < 1 {
		return nil, fmt.Errorf("memstore: Records: the limit must be > 0, got %d", q.Limit)
	}
	var out []*ledger.Record
	err := s.read(ctx, func(v view) error {
		out = v.records(q)
		return nil
	})
	return out, err
}

// RecordByNonce returns the record whose JWS carried nonce.
func (s *Store) RecordByNonce(ctx context.Context, nonce string) (*ledger.Record, error) {
	return s.recordWhere(ctx, func(v view) *recordRow { return v.byNonce(nonce) }, "no record used that nonce")
}

// recordWhere returns the record find finds, or an error wrapping
// ErrNotFound that says what was not found.
func (s *Store) recordWhere(ctx context.Context, find func(view) *recordRow, notFound string, args ...any) (*ledger.Record, error) {
	var r *ledger.Record
	err := s.read(ctx, func(v view) error {
		row := find(v)
		if row == nil {
			return fmt.Errorf("%w: "+notFound, append([]any{ledger.ErrNotFound}, args...)...)
		}
		r = row.record()
		return nil
	})
	return r, err
}

// ReadHashes returns the stored hashes at indexes, in the same order,
// failing unless every one exists.
func (s *Store) ReadHashes(ctx context.Context, indexes []int64) ([]tlog.Hash, error) {
	var hs []tlog.Hash
	err := s.read(ctx, func(v view) (err error) {
		hs, err = v.readHashes(indexes)
		return err
	})
	return hs, err
}

// Signer returns the signer id with its keys in the order added.
func (s *Store) Signer(ctx context.Context, id string) (registry.Signer, error) {
	var sg registry.Signer
	err := s.read(ctx, func(v view) error {
		got, ok, err := v.signerWithKeys(id)
		if err == nil && !ok {
			err = fmt.Errorf("%w: no signer %q", ledger.ErrNotFound, id)
		}
		sg = got
		return err
	})
	return sg, err
}

// Signers returns the signers whose ids sort after after, in id order, at
// most limit of them, each with its keys in the order added.
func (s *Store) Signers(ctx context.Context, after string, limit int) ([]registry.Signer, error) {
	if limit < 1 {
		return nil, fmt.Errorf("memstore: Signers: the limit must be > 0, got %d", limit)
	}
	var out []registry.Signer
	err := s.read(ctx, func(v view) (err error) {
		out, err = v.signerPage(after, limit)
		return err
	})
	return out, err
}

// Key returns the key kid.
func (s *Store) Key(ctx context.Context, kid string) (registry.Key, error) {
	var k registry.Key
	err := s.read(ctx, func(v view) error {
		row, ok := v.key(kid)
		if !ok {
			return fmt.Errorf("%w: no key %s", ledger.ErrNotFound, kid)
		}
		var err error
		k, err = row.key()
		return err
	})
	return k, err
}

// Secret returns the secret called name, first storing gen() under that
// name if none exists; gen is called only then. Every Store of the DB
// gets the same one.
func (s *Store) Secret(ctx context.Context, name string, gen func() []byte) ([]byte, error) {
	if err := s.enter(ctx, OpRead); err != nil {
		return nil, err
	}
	s.db.mu.Lock()
	defer s.db.mu.Unlock()
	c := s.db.committed
	if _, ok := c.secrets[name]; !ok {
		c.secrets[name] = slices.Clone(gen())
	}
	return slices.Clone(c.secrets[name]), nil
}
