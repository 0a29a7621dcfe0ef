package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/signet-ledger/signet/ledger"
)

// AddCosignatures stores c's checkpoint note and the cosignatures of the
// witnesses that have none on c.Size yet, in one transaction.
func (s *Store) AddCosignatures(ctx context.Context, c ledger.Cosigned) error {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return s.wrap(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `INSERT INTO checkpoints (size, note) VALUES (?, ?) ON CONFLICT (size) DO NOTHING`,
		c.Size, string(c.Checkpoint)); err != nil {
		return s.wrap(err)
	}
	var stored string
	if err := tx.QueryRowContext(ctx, `SELECT note FROM checkpoints WHERE size = ?`, c.Size).Scan(&stored); err != nil {
		return s.wrap(err)
	}
	if stored != string(c.Checkpoint) {
		return fmt.Errorf("%w: sqlite: a different checkpoint of size %d is stored", ledger.ErrCorrupt, c.Size)
	}
	us := time.Now().UnixMicro()
	for _, cs := range c.Cosignatures {
		if _, err := tx.ExecContext(ctx, `INSERT INTO cosignatures (size, witness, line, added_us) VALUES (?, ?, ?, ?)
			ON CONFLICT (size, witness) DO NOTHING`, c.Size, cs.Witness, string(cs.Line), us); err != nil {
			return s.wrap(err)
		}
	}
	return s.wrap(tx.Commit())
}

// Cosigned returns the newest cosigned checkpoints of size at most maxSize.
func (s *Store) Cosigned(ctx context.Context, maxSize int64, limit int) ([]ledger.Cosigned, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT k.size, k.note, c.witness, c.line FROM
			(SELECT size, note FROM checkpoints WHERE size <= ?
				AND EXISTS (SELECT 1 FROM cosignatures c WHERE c.size = checkpoints.size)
				ORDER BY size DESC LIMIT ?) k
			JOIN cosignatures c ON c.size = k.size
		ORDER BY k.size DESC, c.witness`, maxSize, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: cosigned checkpoints: %w", s.wrap(err))
	}
	defer rows.Close()
	var out []ledger.Cosigned
	for rows.Next() {
		var size int64
		var note, witness, line string
		if err := rows.Scan(&size, &note, &witness, &line); err != nil {
			return nil, s.wrap(err)
		}
		if len(out) == 0 || out[len(out)-1].Size != size {
			out = append(out, ledger.Cosigned{Size: size, Checkpoint: []byte(note)})
		}
		last := &out[len(out)-1]
		last.Cosignatures = append(last.Cosignatures, ledger.Cosignature{Witness: witness, Line: []byte(line)})
	}
	return out, s.wrap(rows.Err())
}

// WitnessSize returns the largest size witness cosigned.
func (s *Store) WitnessSize(ctx context.Context, witness string) (int64, error) {
	var size sql.NullInt64
	err := s.read.QueryRowContext(ctx, `SELECT max(size) FROM cosignatures WHERE witness = ?`, witness).Scan(&size)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("sqlite: witness size: %w", s.wrap(err))
	}
	if !size.Valid {
		return 0, fmt.Errorf("%w: no cosignature of this witness is stored", ledger.ErrNotFound)
	}
	return size.Int64, nil
}
