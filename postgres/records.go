package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/signet-ledger/signet/ledger"
	"golang.org/x/mod/sumdb/tlog"
)

const recordCols = `idx, kind, signer, kid, integrated_us, protected, payload, signature, hash, prev_hash`

// scanRecord reads one row of recordCols.
func scanRecord(row pgx.Row) (*ledger.Record, error) {
	var r ledger.Record
	var kind string
	var us int64
	var hash, prev []byte
	err := row.Scan(&r.Index, &kind, &r.Signer, &r.KID, &us, &r.Protected, &r.Payload, &r.Signature, &hash, &prev)
	if err != nil {
		return nil, wrap(err)
	}
	r.Kind = ledger.Kind(kind)
	r.IntegratedTime = time.UnixMicro(us).UTC()
	// A hash column of the wrong length (tampering) leaves a zero-padded
	// hash, which fails every check that uses it.
	copy(r.Hash[:], hash)
	copy(r.PrevHash[:], prev)
	return &r, nil
}

func collectRecords(rows pgx.Rows, err error) ([]*ledger.Record, error) {
	if err != nil {
		return nil, wrap(err)
	}
	defer rows.Close()
	var out []*ledger.Record
	for rows.Next() {
		r, err := scanRecord(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, wrap(rows.Err())
}

// Head returns the last committed head.
func (s *Store) Head(ctx context.Context) (ledger.Head, error) {
	return scanHead(s.pool.QueryRow(ctx, `SELECT size, last_hash, checkpoint FROM log_head WHERE id = 1`))
}

func scanHead(row pgx.Row) (ledger.Head, error) {
	var h ledger.Head
	var hash []byte
	var note string
	if err := row.Scan(&h.Size, &hash, &note); err != nil {
		return h, wrap(err)
	}
	copy(h.Hash[:], hash)
	if note != "" {
		h.Checkpoint = []byte(note)
	}
	return h, nil
}

// Record returns the record at index i.
func (s *Store) Record(ctx context.Context, i int64) (*ledger.Record, error) {
	r, err := scanRecord(s.pool.QueryRow(ctx, `SELECT `+recordCols+` FROM records WHERE idx = $1`, i))
	if errors.Is(err, ledger.ErrNotFound) {
		// The detail reaches clients: no driver text in it.
		return nil, fmt.Errorf("%w: there is no record %d", ledger.ErrNotFound, i)
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: record %d: %w", i, err)
	}
	return r, nil
}

// Records returns the records q selects, in index order. A match finds
// its candidates through records_payload_doc (payload_doc @> the match)
// and records_payload_unindexed (the payloads jsonb cannot hold); every
// candidate is then checked against its signed payload
// ([ledger.CollectMatches]).
func (s *Store) Records(ctx context.Context, q ledger.Query) ([]*ledger.Record, error) {
	if q.Match == nil {
		return s.records(ctx, q)
	}
	return ledger.CollectMatches(q, func(after int64, limit int) ([]*ledger.Record, error) {
		c := q
		c.After, c.Limit = after, limit
		return s.records(ctx, c)
	})
}

// records runs q, a match selecting candidates rather than answers.
func (s *Store) records(ctx context.Context, q ledger.Query) ([]*ledger.Record, error) {
	where := []string{"idx > $1"}
	args := []any{q.After}
	if q.Signer != "" {
		args = append(args, q.Signer)
		where = append(where, fmt.Sprintf("signer = $%d", len(args)))
	}
	if q.Kind != "" {
		args = append(args, string(q.Kind))
		where = append(where, fmt.Sprintf("kind = $%d", len(args)))
	}
	if q.KeyEvents {
		where = append(where, "kind <> 'entry'") // records_key_events
	}
	if q.Match != nil {
		// A match that jsonb cannot hold makes signet_jsonb NULL: then
		// only the unindexed payloads are candidates.
		args = append(args, q.Match.JSON())
		where = append(where, fmt.Sprintf("(payload_doc @> signet_jsonb($%d) OR payload_doc IS NULL)", len(args)))
	}
	args = append(args, q.Limit)
	sql := fmt.Sprintf(`SELECT %s FROM records WHERE %s ORDER BY idx LIMIT $%d`,
		recordCols, strings.Join(where, " AND "), len(args))
	return collectRecords(s.pool.Query(ctx, sql, args...))
}

// RebuildSearchIndex derives every record's payload_doc anew from its
// payload and rebuilds records_payload_doc, in one transaction.
func (s *Store) RebuildSearchIndex(ctx context.Context) error {
	return wrap(pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		for _, stmt := range []string{
			`DROP INDEX records_payload_doc`,
			`UPDATE records SET payload_doc = signet_payload_doc(payload)`,
			`CREATE INDEX records_payload_doc ON records USING gin (payload_doc jsonb_path_ops)`,
		} {
			if _, err := tx.Exec(ctx, stmt); err != nil {
				return err
			}
		}
		return nil
	}))
}

// RecordByNonce returns the record whose JWS carried nonce.
func (s *Store) RecordByNonce(ctx context.Context, nonce string) (*ledger.Record, error) {
	return scanRecord(s.pool.QueryRow(ctx, `SELECT `+recordCols+` FROM records WHERE nonce = $1`, nonce))
}

// ReadHashes returns the stored hashes at indexes, in order.
func (s *Store) ReadHashes(ctx context.Context, indexes []int64) ([]tlog.Hash, error) {
	return readHashes(ctx, s.pool, indexes)
}

type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

func readHashes(ctx context.Context, q querier, indexes []int64) ([]tlog.Hash, error) {
	if len(indexes) == 0 {
		return nil, nil
	}
	rows, err := q.Query(ctx, `SELECT idx, hash FROM tree_hashes WHERE idx = ANY($1)`, indexes)
	return collectHashes(rows, err, indexes)
}

// collectHashes orders the (idx, hash) rows as indexes, failing unless all
// are present.
func collectHashes(rows pgx.Rows, err error, indexes []int64) ([]tlog.Hash, error) {
	if err != nil {
		return nil, wrap(err)
	}
	defer rows.Close()
	got := make(map[int64]tlog.Hash, len(indexes))
	for rows.Next() {
		var idx int64
		var b []byte
		if err := rows.Scan(&idx, &b); err != nil {
			return nil, wrap(err)
		}
		var h tlog.Hash
		copy(h[:], b)
		got[idx] = h
	}
	if err := rows.Err(); err != nil {
		return nil, wrap(err)
	}
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		h, ok := got[x]
		if !ok {
			return nil, fmt.Errorf("postgres: stored hash %d is missing", x)
		}
		out[i] = h
	}
	return out, nil
}

// Secret returns the secret called name, storing gen() first if none exists.
func (s *Store) Secret(ctx context.Context, name string, gen func() []byte) ([]byte, error) {
	_, err := s.pool.Exec(ctx, `INSERT INTO secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`, name, gen())
	if err != nil {
		return nil, wrap(err)
	}
	var v []byte
	err = s.pool.QueryRow(ctx, `SELECT value FROM secrets WHERE name = $1`, name).Scan(&v)
	return v, wrap(err)
}

// SearchIndexBytes returns the disk space the content-search index takes:
// the payload_doc column and its two indexes, for operators sizing a
// database.
func (s *Store) SearchIndexBytes(ctx context.Context) (int64, error) {
	var n int64
	err := s.pool.QueryRow(ctx, `SELECT coalesce((SELECT sum(pg_column_size(payload_doc)) FROM records), 0)::bigint
		+ pg_relation_size('records_payload_doc') + pg_relation_size('records_payload_unindexed')`).Scan(&n)
	return n, wrap(err)
}
