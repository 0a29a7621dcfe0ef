package sqlite

import (
	"context"
	"database/sql"
	"strings"

	"github.com/signet-ledger/signet/ledger"
)

// rowsPerInsert bounds the rows of one multi-row INSERT: 11 columns times
// this stays well under SQLite's 32766 parameters.
const rowsPerInsert = 500

// writeBatch inserts b's records and stored hashes and applies its
// registry changes in order: new signers, then new keys, then revocations
// (a key may be added and revoked in one batch).
func writeBatch(ctx context.Context, tx *sql.Tx, b *ledger.Batch) error {
	err := insertRows(ctx, tx, `INSERT INTO records (idx, kind, signer, kid, integrated_us, protected, payload, signature, nonce, hash, prev_hash) VALUES `,
		11, len(b.Records), func(i int, args []any) []any {
			r := b.Records[i]
			var nonce any
			if r.Nonce != "" {
				nonce = r.Nonce
			}
			return append(args, r.Index, string(r.Kind), r.Signer, r.KID, r.IntegratedTime.UnixMicro(),
				r.Protected, r.Payload, r.Signature, nonce, r.Hash[:], r.PrevHash[:])
		})
	if err != nil {
		return err
	}
	if err := insertTerms(ctx, tx, b.Records); err != nil {
		return err
	}
	err = insertRows(ctx, tx, `INSERT INTO tree_hashes (idx, hash) VALUES `, 2, len(b.Hashes), func(i int, args []any) []any {
		return append(args, b.Hashes[i].Index, b.Hashes[i].Hash[:])
	})
	if err != nil {
		return err
	}
	if err := writeRegistry(ctx, tx, b); err != nil {
		return err
	}
	return writeSpent(ctx, tx, b)
}

// writeSpent records the batch's spent nonces and forgets expired ones.
func writeSpent(ctx context.Context, tx *sql.Tx, b *ledger.Batch) error {
	us := b.SpentTime.UnixMicro()
	err := insertRows(ctx, tx, `INSERT INTO spent_nonces (nonce, spent_us) VALUES `, 2, len(b.Spent), func(i int, args []any) []any {
		return append(args, b.Spent[i], us)
	})
	if err != nil || b.ForgetBefore.IsZero() {
		return err
	}
	_, err = tx.ExecContext(ctx, `DELETE FROM spent_nonces WHERE spent_us < ?`, b.ForgetBefore.UnixMicro())
	return err
}

// insertRows inserts n rows of cols columns with multi-row INSERTs that
// start with prefix; row appends row i's values to args.
func insertRows(ctx context.Context, tx *sql.Tx, prefix string, cols, n int, row func(i int, args []any) []any) error {
	tuple := "(?" + strings.Repeat(", ?", cols-1) + ")"
	for start := 0; start < n; start += rowsPerInsert {
		end := min(n, start+rowsPerInsert)
		args := make([]any, 0, (end-start)*cols)
		for i := start; i < end; i++ {
			args = row(i, args)
		}
		query := prefix + tuple + strings.Repeat(", "+tuple, end-start-1)
		if _, err := tx.ExecContext(ctx, query, args...); err != nil {
			return err
		}
	}
	return nil
}

func writeRegistry(ctx context.Context, tx *sql.Tx, b *ledger.Batch) error {
	for _, s := range b.NewSigners {
		_, err := tx.ExecContext(ctx, `INSERT INTO signers (id, registered_at, registered_us) VALUES (?, ?, ?)`,
			s.ID, s.RegisteredAt, s.RegisteredTime.UnixMicro())
		if err != nil {
			return err
		}
	}
	for _, k := range b.NewKeys {
		_, err := tx.ExecContext(ctx, `INSERT INTO signer_keys (kid, signer, x, added_at, added_us) VALUES (?, ?, ?, ?, ?)`,
			k.KID, k.Signer, k.PublicKey.JWK().X, k.AddedAt, k.AddedTime.UnixMicro())
		if err != nil {
			return err
		}
	}
	for _, k := range b.Revoked {
		r := k.Revocation
		_, err := tx.ExecContext(ctx, `UPDATE signer_keys SET revoked_at = ?, revoked_us = ?, revoked_by = ?, reason = ?, compromised_since = ?
			WHERE kid = ?`, r.At, r.Time.UnixMicro(), r.By, r.Reason, r.CompromisedSince, k.KID)
		if err != nil {
			return err
		}
	}
	return nil
}
