package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/signet-ledger/signet/ledger"
)

// AddCosignatures stores c's checkpoint note and the cosignatures of the
// witnesses that have none on c.Size yet, in one transaction.
func (s *Store) AddCosignatures(ctx context.Context, c ledger.Cosigned) error {
	return wrap(pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		// Two statements: under READ COMMITTED the SELECT sees a row that
		// another server committed while the INSERT waited on it.
		if _, err := tx.Exec(ctx, `INSERT INTO checkpoints (size, note) VALUES ($1, $2) ON CONFLICT (size) DO NOTHING`,
			c.Size, string(c.Checkpoint)); err != nil {
			return err
		}
		var stored string
		if err := tx.QueryRow(ctx, `SELECT note FROM checkpoints WHERE size = $1`, c.Size).Scan(&stored); err != nil {
			return err
		}
		if stored != string(c.Checkpoint) {
			return fmt.Errorf("%w: postgres: a different checkpoint of size %d is stored", ledger.ErrCorrupt, c.Size)
		}
		us := time.Now().UnixMicro()
		for _, cs := range c.Cosignatures {
			if _, err := tx.Exec(ctx, `INSERT INTO cosignatures (size, witness, line, added_us) VALUES ($1, $2, $3, $4)
				ON CONFLICT (size, witness) DO NOTHING`, c.Size, cs.Witness, string(cs.Line), us); err != nil {
				return err
			}
		}
		return nil
	}))
}

// Cosigned returns the newest cosigned checkpoints of size at most maxSize.
func (s *Store) Cosigned(ctx context.Context, maxSize int64, limit int) ([]ledger.Cosigned, error) {
	rows, err := s.pool.Query(ctx, `SELECT k.size, k.note, c.witness, c.line FROM
			(SELECT size, note FROM checkpoints WHERE size <= $1
				AND EXISTS (SELECT 1 FROM cosignatures c WHERE c.size = checkpoints.size)
				ORDER BY size DESC LIMIT $2) k
			JOIN cosignatures c ON c.size = k.size
		ORDER BY k.size DESC, c.witness`, maxSize, limit)
	if err != nil {
		return nil, fmt.Errorf("postgres: cosigned checkpoints: %w", wrap(err))
	}
	defer rows.Close()
	var out []ledger.Cosigned
	for rows.Next() {
		var size int64
		var note, witness, line string
		if err := rows.Scan(&size, &note, &witness, &line); err != nil {
			return nil, wrap(err)
		}
		if len(out) == 0 || out[len(out)-1].Size != size {
			out = append(out, ledger.Cosigned{Size: size, Checkpoint: []byte(note)})
		}
		last := &out[len(out)-1]
		last.Cosignatures = append(last.Cosignatures, ledger.Cosignature{Witness: witness, Line: []byte(line)})
	}
	return out, wrap(rows.Err())
}

// WitnessSize returns the largest size witness cosigned.
func (s *Store) WitnessSize(ctx context.Context, witness string) (int64, error) {
	var size *int64
	err := s.pool.QueryRow(ctx, `SELECT max(size) FROM cosignatures WHERE witness = $1`, witness).Scan(&size)
	if err != nil {
		return 0, fmt.Errorf("postgres: witness size: %w", wrap(err))
	}
	if size == nil {
		return 0, fmt.Errorf("%w: no cosignature of this witness is stored", ledger.ErrNotFound)
	}
	return *size, nil
}
