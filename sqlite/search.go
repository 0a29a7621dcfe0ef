package sqlite

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"fmt"
	"slices"
	"strings"

	"github.com/pressly/goose/v3"
	"github.com/signet-ledger/signet/ledger"
)

// The content-search index is the table record_terms: one row (term,
// idx) for every distinct term of record idx's payload (see
// [ledger.PayloadTerms]: each scalar with its path of member names and
// array levels, each nested object and array with its path), the term
// being the first 8 bytes of its SHA-256 as a signed integer. A match's
// records have every term of the match, so the rows of its rarest term,
// joined with a few of its others, give the candidates, each checked
// against its signed payload ([ledger.CollectMatches]); a hash collision
// only adds a candidate. Writes fill the table in the same transaction as
// the records; migration 4 and [Store.RebuildSearchIndex] derive it from
// the records.

// searchMigration is migration 4: SQLite can neither decode base64 nor
// read JSON numbers as exact decimals, so it is Go, not a file of
// migrations/sqlite.
var searchMigration = goose.NewGoMigration(4,
	&goose.GoFunc{RunTx: func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `CREATE TABLE record_terms (
			term INTEGER NOT NULL,
			idx  INTEGER NOT NULL,
			PRIMARY KEY (term, idx)
		) STRICT, WITHOUT ROWID`)
		if err != nil {
			return err
		}
		return indexAll(ctx, tx)
	}},
	&goose.GoFunc{RunTx: func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DROP TABLE record_terms`)
		return err
	}})

// termID is the index's integer for a term.
func termID(t []byte) int64 {
	h := sha256.Sum256(t)
	return int64(binary.BigEndian.Uint64(h[:8]))
}

// recordTerms returns the distinct term ids of r's payload; none if it is
// not JSON.
func recordTerms(r *ledger.Record) []int64 {
	p, err := r.PayloadJSON()
	if err != nil {
		return nil
	}
	ts, err := ledger.PayloadTerms(p)
	if err != nil {
		return nil
	}
	ids := make([]int64, len(ts))
	for i, t := range ts {
		ids[i] = termID(t)
	}
	slices.Sort(ids)
	return slices.Compact(ids)
}

// insertTerms adds the index rows of recs.
func insertTerms(ctx context.Context, tx *sql.Tx, recs []*ledger.Record) error {
	type row struct{ term, idx int64 }
	var rows []row
	for _, r := range recs {
		for _, id := range recordTerms(r) {
			rows = append(rows, row{id, r.Index})
		}
	}
	return insertRows(ctx, tx, `INSERT INTO record_terms (term, idx) VALUES `, 2, len(rows), func(i int, args []any) []any {
		return append(args, rows[i].term, rows[i].idx)
	})
}

// indexAll derives the index rows of every record, a page at a time.
func indexAll(ctx context.Context, tx *sql.Tx) error {
	for after := int64(-1); ; {
		rows, err := tx.QueryContext(ctx, `SELECT `+recordCols+` FROM records r WHERE r.idx > ? ORDER BY r.idx LIMIT 1000`, after)
		if err != nil {
			return err
		}
		var recs []*ledger.Record
		for rows.Next() {
			r, err := scanRecord(rows)
			if err != nil {
				rows.Close()
				return err
			}
			recs = append(recs, r)
		}
		if err := rows.Close(); err != nil {
			return err
		}
		if len(recs) == 0 {
			return nil
		}
		if err := insertTerms(ctx, tx, recs); err != nil {
			return err
		}
		after = recs[len(recs)-1].Index
	}
}

// RebuildSearchIndex replaces record_terms by rows derived anew from every
// record, in one write transaction.
func (s *Store) RebuildSearchIndex(ctx context.Context) error {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return s.wrap(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM record_terms`); err != nil {
		return s.wrap(err)
	}
	if err := indexAll(ctx, tx); err != nil {
		return s.wrap(err)
	}
	return s.wrap(tx.Commit())
}

// probeTerms bounds the terms a lookup joins: the rarest drives it, the
// rest narrow it; the Go check covers those left out.
const probeTerms = 4

// rarityProbe bounds how many index rows are counted to rank a term.
const rarityProbe = 1000

// lookupTerms returns the match's terms to look up, rarest first: its
// scalars if it has any, else its nested containers; none for {}.
func (s *Store) lookupTerms(ctx context.Context, m *ledger.Match) ([]int64, error) {
	scalars, containers := m.Terms()
	ts := scalars
	if len(ts) == 0 {
		ts = containers
	}
	ids := make([]int64, len(ts))
	for i, t := range ts {
		ids[i] = termID(t)
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	if len(ids) > 2*probeTerms {
		ids = ids[:2*probeTerms]
	}
	n := make(map[int64]int, len(ids))
	for _, id := range ids {
		var c int
		err := s.read.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM record_terms WHERE term = ? LIMIT ?)`, id, rarityProbe).Scan(&c)
		if err != nil {
			return nil, s.wrap(err)
		}
		n[id] = c
	}
	slices.SortStableFunc(ids, func(a, b int64) int { return n[a] - n[b] })
	return ids[:min(len(ids), probeTerms)], nil
}

// candidates returns at most limit records after after, in index order,
// that pass q's filters and hold every one of terms (all records if terms
// is empty).
func (s *Store) candidates(ctx context.Context, q ledger.Query, terms []int64, after int64, limit int) ([]*ledger.Record, error) {
	if len(terms) == 0 {
		c := q
		c.Match, c.After, c.Limit = nil, after, limit
		return s.records(ctx, c)
	}
	where := []string{"t.term = ?", "t.idx > ?"}
	args := []any{terms[0], after}
	for _, id := range terms[1:] {
		where = append(where, "EXISTS (SELECT 1 FROM record_terms u WHERE u.term = ? AND u.idx = t.idx)")
		args = append(args, id)
	}
	w, a := filters(q)
	where, args = append(where, w...), append(args, a...)
	args = append(args, limit)
	query := fmt.Sprintf(`SELECT %s FROM record_terms t JOIN records r ON r.idx = t.idx WHERE %s ORDER BY t.idx LIMIT ?`,
		recordCols, strings.Join(where, " AND "))
	return s.collectRecords(s.read.QueryContext(ctx, query, args...))
}

// SearchIndexBytes returns the disk space the content-search index takes
// (the pages of record_terms), for operators sizing a database.
func (s *Store) SearchIndexBytes(ctx context.Context) (int64, error) {
	var n int64
	err := s.read.QueryRowContext(ctx, `SELECT coalesce(sum(pgsize), 0) FROM dbstat WHERE name = 'record_terms'`).Scan(&n)
	return n, s.wrap(err)
}
