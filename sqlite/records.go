package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/signet-ledger/signet/ledger"
	"golang.org/x/mod/sumdb/tlog"
)

const recordCols = `r.idx, r.kind, r.signer, r.kid, r.integrated_us, r.protected, r.payload, r.signature, r.hash, r.prev_hash`

// row is a *sql.Row or *sql.Rows.
type row interface{ Scan(dest ...any) error }

// querier is a *sql.DB or *sql.Tx.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// scanRecord reads one row of recordCols after the destinations in prefix.
func scanRecord(rw row, prefix ...any) (*ledger.Record, error) {
	var r ledger.Record
	var kind string
	var us int64
	var hash, prev []byte
	dest := append(prefix, &r.Index, &kind, &r.Signer, &r.KID, &us, &r.Protected, &r.Payload, &r.Signature, &hash, &prev)
	if err := rw.Scan(dest...); err != nil {
		return nil, err
	}
	r.Kind = ledger.Kind(kind)
	r.IntegratedTime = time.UnixMicro(us).UTC()
	// A hash column of the wrong length (tampering) leaves a zero-padded
	// hash, which fails every check that uses it.
	copy(r.Hash[:], hash)
	copy(r.PrevHash[:], prev)
	return &r, nil
}

func (s *Store) collectRecords(rows *sql.Rows, err error) ([]*ledger.Record, error) {
	if err != nil {
		return nil, s.wrap(err)
	}
	defer rows.Close()
	var out []*ledger.Record
	for rows.Next() {
		r, err := scanRecord(rows)
		if err != nil {
			return nil, s.wrap(err)
		}
		out = append(out, r)
	}
	return out, s.wrap(rows.Err())
}

// Head returns the last committed head.
func (s *Store) Head(ctx context.Context) (ledger.Head, error) {
	h, err := readHead(ctx, s.read)
	return h, s.wrap(err)
}

func readHead(ctx context.Context, q querier) (ledger.Head, error) {
	var h ledger.Head
	var hash []byte
	var note string
	err := q.QueryRowContext(ctx, `SELECT size, last_hash, checkpoint FROM log_head WHERE id = 1`).Scan(&h.Size, &hash, &note)
	if err != nil {
		return h, err
	}
	copy(h.Hash[:], hash)
	if note != "" {
		h.Checkpoint = []byte(note)
	}
	return h, nil
}

// Record returns the record at index i.
func (s *Store) Record(ctx context.Context, i int64) (*ledger.Record, error) {
	r, err := scanRecord(s.read.QueryRowContext(ctx, `SELECT `+recordCols+` FROM records r WHERE r.idx = ?`, i))
	if errors.Is(err, sql.ErrNoRows) {
		// The detail reaches clients: no driver text in it.
		return nil, fmt.Errorf("%w: there is no record %d", ledger.ErrNotFound, i)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: record %d: %w", i, s.wrap(err))
	}
	return r, nil
}

// Records returns the records q selects, in index order. A match finds
// its candidates in record_terms (see search.go) and checks each against
// its signed payload ([ledger.CollectMatches]).
func (s *Store) Records(ctx context.Context, q ledger.Query) ([]*ledger.Record, error) {
	if q.Limit < 1 {
		return nil, fmt.Errorf("sqlite: Records: the limit must be > 0, got %d", q.Limit)
	}
	if q.Match == nil {
		return s.records(ctx, q)
	}
	terms, err := s.lookupTerms(ctx, q.Match)
	if err != nil {
		return nil, err
	}
	return ledger.CollectMatches(q, func(after int64, limit int) ([]*ledger.Record, error) {
		return s.candidates(ctx, q, terms, after, limit)
	})
}

// records runs q, ignoring its match.
func (s *Store) records(ctx context.Context, q ledger.Query) ([]*ledger.Record, error) {
	where, args := filters(q)
	where, args = append([]string{"r.idx > ?"}, where...), append([]any{q.After}, args...)
	args = append(args, q.Limit)
	query := `SELECT ` + recordCols + ` FROM records r WHERE ` + strings.Join(where, " AND ") + ` ORDER BY r.idx LIMIT ?`
	return s.collectRecords(s.read.QueryContext(ctx, query, args...))
}

// filters returns the conditions on records r of q's signer, kind and
// key events, with their arguments.
func filters(q ledger.Query) (where []string, args []any) {
	if q.Signer != "" {
		where, args = append(where, "r.signer = ?"), append(args, q.Signer)
	}
	if q.Kind != "" {
		where, args = append(where, "r.kind = ?"), append(args, string(q.Kind))
	}
	if q.KeyEvents || q.Kind != "" && q.Kind != ledger.KindEntry {
		where = append(where, "r.kind <> 'entry'") // lets SQLite use records_key_events
	}
	return where, args
}

// RecordByNonce returns the record whose JWS carried nonce.
func (s *Store) RecordByNonce(ctx context.Context, nonce string) (*ledger.Record, error) {
	r, err := scanRecord(s.read.QueryRowContext(ctx, `SELECT `+recordCols+` FROM records r WHERE r.nonce = ?`, nonce))
	return r, s.wrap(err)
}

// ReadHashes returns the stored hashes at indexes, in order.
func (s *Store) ReadHashes(ctx context.Context, indexes []int64) ([]tlog.Hash, error) {
	hs, err := readHashes(ctx, s.read, indexes)
	return hs, s.wrap(err)
}

// errMissingHash is wrapped by readHashes when a stored hash is missing.
var errMissingHash = errors.New("sqlite: a stored hash is missing")

// readHashes reads the stored hashes at indexes, failing unless all are
// present. The indexes go in as one JSON array, which drives the lookup.
func readHashes(ctx context.Context, q querier, indexes []int64) ([]tlog.Hash, error) {
	if len(indexes) == 0 {
		return nil, nil
	}
	rows, err := q.QueryContext(ctx, `SELECT t.idx, t.hash FROM json_each(?) AS j CROSS JOIN tree_hashes AS t ON t.idx = j.value`,
		jsonArray(indexes))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	got := make(map[int64]tlog.Hash, len(indexes))
	for rows.Next() {
		var idx int64
		var b []byte
		if err := rows.Scan(&idx, &b); err != nil {
			return nil, err
		}
		var h tlog.Hash
		copy(h[:], b)
		got[idx] = h
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		h, ok := got[x]
		if !ok {
			return nil, fmt.Errorf("%w: %d", errMissingHash, x)
		}
		out[i] = h
	}
	return out, nil
}

// jsonArray encodes v as a JSON array, for json_each; empty is [].
func jsonArray[T any](v []T) string {
	if len(v) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// Secret returns the secret called name, storing gen() first if none
// exists; gen is called only then.
func (s *Store) Secret(ctx context.Context, name string, gen func() []byte) ([]byte, error) {
	var v []byte
	err := s.read.QueryRowContext(ctx, `SELECT value FROM secrets WHERE name = ?`, name).Scan(&v)
	if !errors.Is(err, sql.ErrNoRows) {
		return v, s.wrap(err)
	}
	_, err = s.write.ExecContext(ctx, `INSERT INTO secrets (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING`, name, gen())
	if err != nil {
		return nil, s.wrap(err)
	}
	err = s.write.QueryRowContext(ctx, `SELECT value FROM secrets WHERE name = ?`, name).Scan(&v)
	return v, s.wrap(err)
}
