package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/signet-ledger/signet/keys"
	"github.com/signet-ledger/signet/ledger"
	"github.com/signet-ledger/signet/registry"
)

const keyCols = `k.kid, k.signer, k.x, k.added_at, k.added_us, k.revoked_at, k.revoked_us, k.revoked_by, k.reason, k.compromised_since`

// scanKey reads one row of keyCols after the destinations in prefix.
func scanKey(rw row, kc *keys.KeyCache, prefix ...any) (registry.Key, error) {
	var k registry.Key
	var x string
	var addedUS int64
	var revAt, revUS, cs sql.NullInt64
	var by, reason sql.NullString
	dest := append(prefix, &k.KID, &k.Signer, &x, &k.AddedAt, &addedUS, &revAt, &revUS, &by, &reason, &cs)
	if err := rw.Scan(dest...); err != nil {
		return k, err
	}
	jx, _ := json.Marshal(x)
	pub, err := kc.ParseJWK([]byte(`{"kty":"OKP","crv":"Ed25519","x":` + string(jx) + `}`))
	if err != nil {
		return k, fmt.Errorf("%w: sqlite: key %s: the stored public key does not parse (%v)", ledger.ErrCorrupt, k.KID, err)
	}
	k.PublicKey = pub
	k.AddedTime = time.UnixMicro(addedUS).UTC()
	if revAt.Valid {
		r := &registry.Revocation{At: revAt.Int64, By: by.String, Reason: reason.String}
		if revUS.Valid {
			r.Time = time.UnixMicro(revUS.Int64).UTC()
		}
		if cs.Valid {
			r.CompromisedSince = &cs.Int64
		}
		k.Revocation = r
	}
	return k, nil
}

// Key returns the key kid.
func (s *Store) Key(ctx context.Context, kid string) (registry.Key, error) {
	k, err := scanKey(s.read.QueryRowContext(ctx, `SELECT `+keyCols+` FROM signer_keys k WHERE k.kid = ?`, kid), s.keys)
	return k, s.wrap(err)
}

// Signer returns signer id with its keys in the order added.
func (s *Store) Signer(ctx context.Context, id string) (registry.Signer, error) {
	sg, err := loadSigners(ctx, s.read, s.keys, []string{id}, nil)
	if err != nil {
		return registry.Signer{}, s.wrap(err)
	}
	if len(sg) == 0 {
		return registry.Signer{}, fmt.Errorf("%w: no signer %q", ledger.ErrNotFound, id)
	}
	return sg[0], nil
}

// Signers returns the signers whose ids sort after after (SQLite's
// BINARY collation: bytewise), in id order, at most limit of them, each
// with its keys in the order added.
func (s *Store) Signers(ctx context.Context, after string, limit int) ([]registry.Signer, error) {
	if limit < 1 {
		return nil, fmt.Errorf("sqlite: Signers: the limit must be > 0, got %d", limit)
	}
	rows, err := s.read.QueryContext(ctx, `SELECT s.id, s.registered_at, s.registered_us, `+keyCols+`
		FROM (SELECT id FROM signers WHERE id > ? ORDER BY id LIMIT ?) AS p
		JOIN signers s ON s.id = p.id JOIN signer_keys k ON k.signer = s.id
		ORDER BY s.id, k.added_at`, after, limit)
	if err != nil {
		return nil, s.wrap(err)
	}
	sg, err := scanSigners(rows, s.keys)
	return sg, s.wrap(err)
}

// loadSigners reads the signers named in ids and the signers of the keys
// named in kids, each with all its keys in the order added.
func loadSigners(ctx context.Context, q querier, kc *keys.KeyCache, ids, kids []string) ([]registry.Signer, error) {
	rows, err := q.QueryContext(ctx, `SELECT s.id, s.registered_at, s.registered_us, `+keyCols+`
		FROM signers s JOIN signer_keys k ON k.signer = s.id
		WHERE s.id IN (SELECT value FROM json_each(?1)
			UNION SELECT signer FROM signer_keys WHERE kid IN (SELECT value FROM json_each(?2)))
		ORDER BY s.id, k.added_at`, jsonArray(ids), jsonArray(kids))
	if err != nil {
		return nil, err
	}
	return scanSigners(rows, kc)
}

// scanSigners reads rows of (id, registered_at, registered_us, keyCols)
// ordered by signer into signers with their keys, and closes rows.
func scanSigners(rows *sql.Rows, kc *keys.KeyCache) ([]registry.Signer, error) {
	defer rows.Close()
	var out []registry.Signer
	for rows.Next() {
		var id string
		var at, us int64
		k, err := scanKey(rows, kc, &id, &at, &us)
		if err != nil {
			return nil, err
		}
		if len(out) == 0 || out[len(out)-1].ID != id {
			out = append(out, registry.Signer{ID: id, RegisteredAt: at, RegisteredTime: time.UnixMicro(us).UTC()})
		}
		last := &out[len(out)-1]
		last.Keys = append(last.Keys, k)
	}
	return out, rows.Err()
}
