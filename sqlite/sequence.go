package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/signet-ledger/signet/ledger"
	"golang.org/x/mod/sumdb/tlog"
)

// Sequence runs f in one transaction that holds the log's write lock: the
// Store's one write connection, and SQLite's write lock across processes,
// taken by BEGIN IMMEDIATE before f runs.
func (s *Store) Sequence(ctx context.Context, f func(context.Context, ledger.Tx) error) error {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return s.wrap(err)
	}
	defer tx.Rollback()
	if err := f(ctx, &seqTx{s: s, tx: tx}); err != nil {
		return err
	}
	return s.wrap(tx.Commit())
}

// seqTx is the transaction of Sequence.
type seqTx struct {
	s      *Store
	tx     *sql.Tx
	locked bool
	size   int64 // head size read in Snapshot
}

var _ ledger.Tx = (*seqTx)(nil)

// Snapshot reads the head, the registry the batch touches, the records
// that used its nonces, and the guessed frontier hashes.
func (t *seqTx) Snapshot(ctx context.Context, q ledger.SnapshotQuery) (*ledger.Snapshot, error) {
	head, err := readHead(ctx, t.tx)
	if err != nil {
		return nil, t.s.wrap(err)
	}
	snap := &ledger.Snapshot{Head: head, ByNonce: map[string]*ledger.Record{}, Spent: map[string]bool{}}
	if snap.Registry, err = loadSigners(ctx, t.tx, t.s.keys, q.Signers, q.KIDs); err != nil {
		return nil, t.s.wrap(err)
	}
	if err := t.byNonce(ctx, q.Nonces, snap.ByNonce); err != nil {
		return nil, t.s.wrap(err)
	}
	if err := t.spent(ctx, q.Nonces, snap.Spent); err != nil {
		return nil, t.s.wrap(err)
	}
	if q.HashesFor == head.Size && len(q.Hashes) > 0 {
		snap.Hashes, err = readHashes(ctx, t.tx, q.Hashes)
		if errors.Is(err, errMissingHash) {
			snap.Hashes, err = nil, nil // a wrong guess, as any other
		}
		if err != nil {
			return nil, t.s.wrap(err)
		}
	}
	t.locked, t.size = true, head.Size
	return snap, nil
}

// byNonce adds the records that used any of nonces to m.
func (t *seqTx) byNonce(ctx context.Context, nonces []string, m map[string]*ledger.Record) error {
	if len(nonces) == 0 {
		return nil
	}
	rows, err := t.tx.QueryContext(ctx, `SELECT r.nonce, `+recordCols+`
		FROM json_each(?) AS j CROSS JOIN records AS r ON r.nonce = j.value`, jsonArray(nonces))
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var nonce string
		r, err := scanRecord(rows, &nonce)
		if err != nil {
			return err
		}
		m[nonce] = r
	}
	return rows.Err()
}

// spent adds the nonces of nonces that refused requests spent to m.
func (t *seqTx) spent(ctx context.Context, nonces []string, m map[string]bool) error {
	if len(nonces) == 0 {
		return nil
	}
	rows, err := t.tx.QueryContext(ctx, `SELECT s.nonce FROM json_each(?) AS j CROSS JOIN spent_nonces AS s ON s.nonce = j.value`,
		jsonArray(nonces))
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var nonce string
		if err := rows.Scan(&nonce); err != nil {
			return err
		}
		m[nonce] = true
	}
	return rows.Err()
}

// ReadHashes reads stored hashes inside the transaction.
func (t *seqTx) ReadHashes(ctx context.Context, indexes []int64) ([]tlog.Hash, error) {
	hs, err := readHashes(ctx, t.tx, indexes)
	return hs, t.s.wrap(err)
}

// Write inserts the batch and moves the head, guarded by the size read in
// Snapshot.
func (t *seqTx) Write(ctx context.Context, b *ledger.Batch) error {
	if !t.locked {
		return fmt.Errorf("sqlite: Write before Snapshot")
	}
	if err := writeBatch(ctx, t.tx, b); err != nil {
		return t.s.wrap(err)
	}
	if len(b.Records) == 0 {
		return nil
	}
	res, err := t.tx.ExecContext(ctx, `UPDATE log_head SET size = ?, last_hash = ?, checkpoint = ? WHERE id = 1 AND size = ?`,
		b.Head.Size, b.Head.Hash[:], string(b.Head.Checkpoint), t.size)
	if err != nil {
		return t.s.wrap(err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return fmt.Errorf("sqlite: the log head moved under the lock")
	}
	t.size = b.Head.Size
	return nil
}
