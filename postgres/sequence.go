package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/signet-ledger/signet/keys"
	"github.com/signet-ledger/signet/ledger"
	"golang.org/x/mod/sumdb/tlog"
)

// Sequence runs f in one transaction that holds the log's write lock: the
// head row, locked FOR UPDATE by [seqTx.Snapshot].
func (s *Store) Sequence(ctx context.Context, f func(context.Context, ledger.Tx) error) error {
	err := s.sequence(ctx, f)
	if errors.Is(err, ledger.ErrUnavailable) {
		// The database went away: drop every pooled connection now rather
		// than let each fail in turn once it is back.
		s.pool.Reset()
	}
	return err
}

// sequence runs f in a transaction on one connection of the pool, begun
// by the first batch [seqTx.Snapshot] sends (not by a round trip of its
// own) and committed after f.
func (s *Store) sequence(ctx context.Context, f func(context.Context, ledger.Tx) error) error {
	c, err := s.pool.Acquire(ctx)
	if err != nil {
		return wrap(err)
	}
	// The pool closes a connection released in a transaction, should the
	// rollback below fail.
	defer c.Release()
	t := &seqTx{conn: c, keys: s.keys}
	err = f(ctx, t)
	if err == nil && t.begun {
		_, err = c.Exec(ctx, "COMMIT")
		t.begun = err != nil
		err = wrap(err)
	}
	if t.begun {
		_, _ = c.Exec(context.WithoutCancel(ctx), "ROLLBACK")
	}
	return err
}

// seqTx is the transaction of Sequence.
type seqTx struct {
	conn   *pgxpool.Conn
	keys   *keys.KeyCache
	begun  bool // BEGIN was sent
	locked bool
	size   int64 // head size read under the lock
}

var _ ledger.Tx = (*seqTx)(nil)

// Snapshot locks the head and reads, in one round trip, the head, the
// registry the batch touches, the records that used its nonces, and the
// guessed frontier hashes.
func (t *seqTx) Snapshot(ctx context.Context, q ledger.SnapshotQuery) (*ledger.Snapshot, error) {
	b := &pgx.Batch{}
	snap := &ledger.Snapshot{ByNonce: map[string]*ledger.Record{}, Spent: map[string]bool{}}
	if t.begun {
		return nil, fmt.Errorf("postgres: a second Snapshot in one transaction")
	}
	b.Queue(`BEGIN`)
	queuePlanOnce(b)
	b.Queue(`SELECT size, last_hash, checkpoint FROM log_head WHERE id = 1 FOR UPDATE`).QueryRow(func(row pgx.Row) error {
		var err error
		snap.Head, err = scanHead(row)
		return err
	})
	b.Queue(signersSQL(`k.signer = ANY($1) OR k.kid = ANY($2)`), q.Signers, q.KIDs).Query(func(rows pgx.Rows) error {
		var err error
		snap.Registry, err = scanSigners(rows, t.keys)
		return err
	})
	b.Queue(`SELECT nonce, `+recordCols+` FROM records WHERE nonce = ANY($1)`, q.Nonces).Query(func(rows pgx.Rows) error {
		defer rows.Close()
		for rows.Next() {
			var nonce string
			r, err := scanRecord(scanPrefix{rows, []any{&nonce}})
			if err != nil {
				return err
			}
			snap.ByNonce[nonce] = r
		}
		return wrap(rows.Err())
	})
	b.Queue(`SELECT nonce FROM spent_nonces WHERE nonce = ANY($1)`, q.Nonces).Query(func(rows pgx.Rows) error {
		defer rows.Close()
		for rows.Next() {
			var nonce string
			if err := rows.Scan(&nonce); err != nil {
				return err
			}
			snap.Spent[nonce] = true
		}
		return wrap(rows.Err())
	})
	var hashes []tlog.Hash
	var hashErr error
	if len(q.Hashes) > 0 {
		b.Queue(`SELECT idx, hash FROM tree_hashes WHERE idx = ANY($1)`, q.Hashes).Query(func(rows pgx.Rows) error {
			hashes, hashErr = collectHashes(rows, nil, q.Hashes)
			return nil
		})
	}
	t.begun = true
	if err := t.conn.SendBatch(ctx, b).Close(); err != nil {
		return nil, wrap(err)
	}
	t.locked, t.size = true, snap.Head.Size
	if q.HashesFor == snap.Head.Size && hashErr == nil && len(q.Hashes) > 0 {
		snap.Hashes = hashes
	}
	return snap, nil
}

// queuePlanOnce makes the rest of the transaction run the statements the
// connection has prepared with one plan each, made at their first run
// (plan_cache_mode=force_generic_plan), instead of planning every
// execution for its arguments as [Open] has every other statement do:
// the sequencer's statements are a few fixed index lookups and inserts,
// and planning them cost more than running them (0.45 ms a commit of 8,
// in docs/PERFORMANCE.md). So that a plan made while the tables were
// small is not a sequential scan kept as they grow (why Open plans each
// execution), the plans are made with sequential scans disabled: every
// lookup here has an index.
func queuePlanOnce(b *pgx.Batch) {
	b.Queue(`SET LOCAL plan_cache_mode = force_generic_plan`)
	b.Queue(`SET LOCAL enable_seqscan = off`)
}

// ReadHashes reads stored hashes inside the transaction.
func (t *seqTx) ReadHashes(ctx context.Context, indexes []int64) ([]tlog.Hash, error) {
	if !t.locked {
		return nil, fmt.Errorf("postgres: ReadHashes before Snapshot")
	}
	return readHashes(ctx, t.conn, indexes)
}

// Write inserts the batch with multi-row INSERTs from arrays and moves the
// head, guarded by the size read under the lock, in one round trip.
func (t *seqTx) Write(ctx context.Context, bt *ledger.Batch) error {
	if !t.locked {
		return fmt.Errorf("postgres: Write before Snapshot")
	}
	b := &pgx.Batch{}
	queueRecords(b, bt.Records)
	queueHashes(b, bt.Hashes)
	queueRegistry(b, bt)
	queueSpent(b, bt)
	moved := int64(1)
	if len(bt.Records) > 0 {
		b.Queue(`UPDATE log_head SET size = $1, last_hash = $2, checkpoint = $3 WHERE id = 1 AND size = $4`,
			bt.Head.Size, bt.Head.Hash[:], string(bt.Head.Checkpoint), t.size).Exec(func(ct pgconn.CommandTag) error {
			moved = ct.RowsAffected()
			return nil
		})
	}
	if err := t.conn.SendBatch(ctx, b).Close(); err != nil {
		return wrap(err)
	}
	if moved != 1 {
		return fmt.Errorf("postgres: the log head moved under the lock")
	}
	return nil
}
