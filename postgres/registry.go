package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/signet-ledger/signet/keys"
	"github.com/signet-ledger/signet/ledger"
	"github.com/signet-ledger/signet/registry"
)

const keyCols = `k.kid, k.signer, k.x, k.added_at, k.added_us, k.revoked_at, k.revoked_us, k.revoked_by, k.reason, k.compromised_since`

// scanKey reads one row of keyCols, checking its public key through kc.
func scanKey(row pgx.Row, kc *keys.KeyCache) (registry.Key, error) {
	var k registry.Key
	var x string
	var addedUS int64
	var revAt, revUS, cs *int64
	var by, reason *string
	if err := row.Scan(&k.KID, &k.Signer, &x, &k.AddedAt, &addedUS, &revAt, &revUS, &by, &reason, &cs); err != nil {
		return k, wrap(err)
	}
	pub, err := kc.ParseJWK([]byte(`{"kty":"OKP","crv":"Ed25519","x":"` + x + `"}`))
	if err != nil {
		return k, fmt.Errorf("%w: postgres: key %s: the stored public key does not parse (%v)", ledger.ErrCorrupt, k.KID, err)
	}
	k.PublicKey = pub
	k.AddedTime = time.UnixMicro(addedUS).UTC()
	if revAt != nil {
		r := &registry.Revocation{At: *revAt, CompromisedSince: cs}
		if revUS != nil {
			r.Time = time.UnixMicro(*revUS).UTC()
		}
		if by != nil {
			r.By = *by
		}
		if reason != nil {
			r.Reason = *reason
		}
		k.Revocation = r
	}
	return k, nil
}

// Key returns the key kid.
func (s *Store) Key(ctx context.Context, kid string) (registry.Key, error) {
	return scanKey(s.pool.QueryRow(ctx, `SELECT `+keyCols+` FROM signer_keys k WHERE kid = $1`, kid), s.keys)
}

// Signer returns signer id with its keys in the order added.
func (s *Store) Signer(ctx context.Context, id string) (registry.Signer, error) {
	sg, err := loadSigners(ctx, s.pool, s.keys, `k.signer = $1`, id)
	if err != nil {
		return registry.Signer{}, err
	}
	if len(sg) == 0 {
		return registry.Signer{}, fmt.Errorf("%w: no signer %q", ledger.ErrNotFound, id)
	}
	return sg[0], nil
}

// Signers returns the signers whose ids sort after after, bytewise
// (collation "C", whatever the database's default), in id order, at most
// limit of them, each with its keys in the order added.
func (s *Store) Signers(ctx context.Context, after string, limit int) ([]registry.Signer, error) {
	if limit < 1 {
		return nil, fmt.Errorf("postgres: Signers: the limit must be > 0, got %d", limit)
	}
	rows, err := s.pool.Query(ctx, `SELECT s.id, s.registered_at, s.registered_us, `+keyCols+`
		FROM (SELECT id FROM signers WHERE id COLLATE "C" > $1 ORDER BY id COLLATE "C" LIMIT $2) AS p
		JOIN signers s ON s.id = p.id JOIN signer_keys k ON k.signer = s.id
		ORDER BY s.id COLLATE "C", k.added_at`, after, limit) // signers_id_c
	if err != nil {
		return nil, wrap(err)
	}
	return scanSigners(rows, s.keys)
}

// signersSQL selects the signers (with all their keys) any of whose keys
// match where, a condition on signer_keys k; read the rows with scanSigners.
func signersSQL(where string) string {
	return `SELECT s.id, s.registered_at, s.registered_us, ` + keyCols + `
		FROM signers s JOIN signer_keys k ON k.signer = s.id
		WHERE s.id IN (SELECT k.signer FROM signer_keys k WHERE ` + where + `)
		ORDER BY s.id, k.added_at`
}

func loadSigners(ctx context.Context, q querier, kc *keys.KeyCache, where string, args ...any) ([]registry.Signer, error) {
	rows, err := q.Query(ctx, signersSQL(where), args...)
	if err != nil {
		return nil, wrap(err)
	}
	return scanSigners(rows, kc)
}

func scanSigners(rows pgx.Rows, kc *keys.KeyCache) ([]registry.Signer, error) {
	defer rows.Close()
	var out []registry.Signer
	for rows.Next() {
		var id string
		var at, us int64
		k, err := scanKey(scanPrefix{rows, []any{&id, &at, &us}}, kc)
		if err != nil {
			return nil, err
		}
		if len(out) == 0 || out[len(out)-1].ID != id {
			out = append(out, registry.Signer{ID: id, RegisteredAt: at, RegisteredTime: time.UnixMicro(us).UTC()})
		}
		last := &out[len(out)-1]
		last.Keys = append(last.Keys, k)
	}
	return out, wrap(rows.Err())
}

// scanPrefix scans leading columns into prefix and the rest into the
// destinations Scan is given.
type scanPrefix struct {
	row    pgx.Row
	prefix []any
}

func (p scanPrefix) Scan(dest ...any) error { return p.row.Scan(append(p.prefix, dest...)...) }
