package postgres

import (
	"bytes"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/signet-ledger/signet/ledger"
)

// queueRecords queues one INSERT of every record, from column arrays.
func queueRecords(b *pgx.Batch, recs []*ledger.Record) {
	n := len(recs)
	idx, us := make([]int64, n), make([]int64, n)
	kind, signer, kid := make([]string, n), make([]string, n), make([]string, n)
	prot, pay, sig := make([]string, n), make([]string, n), make([]string, n)
	nonce, doc := make([]*string, n), make([]*string, n)
	hash, prev := make([][]byte, n), make([][]byte, n)
	for i, r := range recs {
		idx[i], us[i] = r.Index, r.IntegratedTime.UnixMicro()
		kind[i], signer[i], kid[i] = string(r.Kind), r.Signer, r.KID
		prot[i], pay[i], sig[i] = r.Protected, r.Payload, r.Signature
		if r.Nonce != "" {
			nonce[i] = &r.Nonce
		}
		doc[i] = payloadText(r)
		hash[i], prev[i] = r.Hash[:], r.PrevHash[:]
	}
	// payload_doc is derived from the payload, as the migration that added
	// it and RebuildSearchIndex derive it (signet_payload_doc), but from
	// the payload decoded here: PostgreSQL's base64url decoding costs 8 µs
	// a record of the serial commit path, its jsonb parse 1 µs. A payload
	// this cannot hand over as text is decoded by PostgreSQL as before.
	b.Queue(`INSERT INTO records (idx, kind, signer, kid, integrated_us, protected, payload, signature, nonce, hash, prev_hash, payload_doc)
		SELECT u.idx, u.kind, u.signer, u.kid, u.integrated_us, u.protected, u.payload, u.signature, u.nonce, u.hash, u.prev_hash,
			CASE WHEN u.doc IS NULL THEN signet_payload_doc(u.payload) ELSE signet_jsonb(u.doc) END
		FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::text[], $7::text[], $8::text[], $9::text[], $10::bytea[], $11::bytea[], $12::text[])
			AS u (idx, kind, signer, kid, integrated_us, protected, payload, signature, nonce, hash, prev_hash, doc)`,
		idx, kind, signer, kid, us, prot, pay, sig, nonce, hash, prev, doc)
}

// payloadText returns the text a record's payload column encodes (unpadded
// base64url), as signet_payload_doc decodes it before its jsonb cast, or
// nil if it is not valid base64url or not text PostgreSQL can take (UTF-8
// without NUL bytes): signet_payload_doc then decides.
func payloadText(r *ledger.Record) *string {
	b, err := r.PayloadJSON()
	if err != nil || !utf8.Valid(b) || bytes.IndexByte(b, 0) >= 0 {
		return nil
	}
	t := string(b)
	return &t
}

func queueHashes(b *pgx.Batch, hs []ledger.StoredHash) {
	idx, hash := make([]int64, len(hs)), make([][]byte, len(hs))
	for i, h := range hs {
		idx[i], hash[i] = h.Index, h.Hash[:]
	}
	b.Queue(`INSERT INTO tree_hashes (idx, hash) SELECT * FROM unnest($1::bigint[], $2::bytea[])`, idx, hash)
}

// queueRegistry queues the batch's registry changes, in order: new
// signers, then new keys, then revocations (a key may be added and revoked
// in one batch).
func queueRegistry(b *pgx.Batch, bt *ledger.Batch) {
	for _, s := range bt.NewSigners {
		b.Queue(`INSERT INTO signers (id, registered_at, registered_us) VALUES ($1, $2, $3)`,
			s.ID, s.RegisteredAt, s.RegisteredTime.UnixMicro())
	}
	for _, k := range bt.NewKeys {
		b.Queue(`INSERT INTO signer_keys (kid, signer, x, added_at, added_us) VALUES ($1, $2, $3, $4, $5)`,
			k.KID, k.Signer, k.PublicKey.JWK().X, k.AddedAt, k.AddedTime.UnixMicro())
	}
	for _, k := range bt.Revoked {
		r := k.Revocation
		b.Queue(`UPDATE signer_keys SET revoked_at = $2, revoked_us = $3, revoked_by = $4, reason = $5, compromised_since = $6
			WHERE kid = $1`, k.KID, r.At, r.Time.UnixMicro(), r.By, r.Reason, r.CompromisedSince)
	}
}

// queueSpent queues the batch's spent nonces and forgets expired ones.
func queueSpent(b *pgx.Batch, bt *ledger.Batch) {
	if len(bt.Spent) > 0 {
		b.Queue(`INSERT INTO spent_nonces (nonce, spent_us) SELECT n, $2 FROM unnest($1::text[]) AS n`,
			bt.Spent, bt.SpentTime.UnixMicro())
	}
	if !bt.ForgetBefore.IsZero() {
		b.Queue(`DELETE FROM spent_nonces WHERE spent_us < $1`, bt.ForgetBefore.UnixMicro())
	}
}
