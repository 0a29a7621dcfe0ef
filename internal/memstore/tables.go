package memstore

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/signet-ledger/signet/keys"
	"github.com/signet-ledger/signet/ledger"
	"github.com/signet-ledger/signet/registry"
)

// The rows of the tables, one struct a table, one field a column, as in
// migrations/sqlite/00001_log.sql. A nullable column is a pointer. The
// col tags are the column names [DB.Tamper] takes.
type (
	headRow struct {
		Size       int64  `col:"size"`
		LastHash   []byte `col:"last_hash"`
		Checkpoint string `col:"checkpoint"` // "" when empty
	}
	recordRow struct {
		Idx          int64   `col:"idx" key:"true"`
		Kind         string  `col:"kind"`
		Signer       string  `col:"signer"`
		KID          string  `col:"kid"`
		IntegratedUS int64   `col:"integrated_us"`
		Protected    string  `col:"protected"`
		Payload      string  `col:"payload"`
		Signature    string  `col:"signature"`
		Nonce        *string `col:"nonce" key:"true"` // nil for operator records
		Hash         []byte  `col:"hash"`
		PrevHash     []byte  `col:"prev_hash"`
	}
	hashRow struct {
		Hash []byte `col:"hash"`
	}
	signerRow struct {
		ID           string `col:"id" key:"true"`
		RegisteredAt int64  `col:"registered_at"`
		RegisteredUS int64  `col:"registered_us"`
	}
	keyRow struct {
		KID              string  `col:"kid" key:"true"`
		Signer           string  `col:"signer" key:"true"`
		X                string  `col:"x"`
		AddedAt          int64   `col:"added_at"`
		AddedUS          int64   `col:"added_us"`
		RevokedAt        *int64  `col:"revoked_at"`
		RevokedUS        *int64  `col:"revoked_us"`
		RevokedBy        *string `col:"revoked_by"`
		Reason           *string `col:"reason"`
		CompromisedSince *int64  `col:"compromised_since"`
	}
)

// tables is one layer of the database: the committed state, or what one
// transaction wrote on top of it. In a layer above the committed one, a
// key row replaces the one below (a revocation), and every other row is
// new.
type tables struct {
	head    *headRow     // nil in a layer that does not move the head
	base    int64        // index of records[0]
	records []*recordRow // records[i].Idx == base+i
	hashes  map[int64]*hashRow
	signers map[string]*signerRow
	keys    map[string]*keyRow
	secrets map[string][]byte
	// spent_nonces: nonce -> spent_us. forget is the layer's
	// Batch.ForgetBefore in Unix microseconds (0 for none): rows below it,
	// in this layer and those under it, are deleted.
	spent  map[string]int64
	forget int64

	// The indexes: records_nonce, and signer_keys_signer (kids in the
	// order written).
	nonces map[string]int64
	keysOf map[string][]string
}

func newTables(base int64) *tables {
	return &tables{base: base, hashes: map[int64]*hashRow{}, signers: map[string]*signerRow{},
		keys: map[string]*keyRow{}, secrets: map[string][]byte{}, nonces: map[string]int64{}, keysOf: map[string][]string{},
		spent: map[string]int64{}}
}

// emptyDB returns the tables of a new database: a head of size 0.
func emptyDB() *tables {
	t := newTables(0)
	t.head = &headRow{LastHash: make([]byte, len(ledger.Hash{}))}
	return t
}

// merge adds layer up, written above t, to t.
func (t *tables) merge(up *tables) {
	if up.head != nil {
		t.head = up.head
	}
	t.records = append(t.records, up.records...)
	maps.Copy(t.hashes, up.hashes)
	maps.Copy(t.signers, up.signers)
	maps.Copy(t.keys, up.keys)
	maps.Copy(t.secrets, up.secrets)
	maps.Copy(t.nonces, up.nonces)
	maps.Copy(t.spent, up.spent)
	maps.DeleteFunc(t.spent, func(_ string, us int64) bool { return us < up.forget })
	for s, kids := range up.keysOf {
		t.keysOf[s] = append(t.keysOf[s], kids...)
	}
}

// newRecordRow is the row a store writes for r.
func newRecordRow(r *ledger.Record) *recordRow {
	row := &recordRow{Idx: r.Index, Kind: string(r.Kind), Signer: r.Signer, KID: r.KID,
		IntegratedUS: r.IntegratedTime.UnixMicro(), Protected: r.Protected, Payload: r.Payload,
		Signature: r.Signature, Hash: slices.Clone(r.Hash[:]), PrevHash: slices.Clone(r.PrevHash[:])}
	if r.Nonce != "" {
		row.Nonce = new(r.Nonce)
	}
	return row
}

// record reads r back as the real stores do: without its nonce, times in
// UTC, and a hash of the wrong length (tampering) zero-padded.
func (r *recordRow) record() *ledger.Record {
	rec := &ledger.Record{Index: r.Idx, Kind: ledger.Kind(r.Kind), Signer: r.Signer, KID: r.KID,
		IntegratedTime: timeUS(r.IntegratedUS), Protected: r.Protected, Payload: r.Payload, Signature: r.Signature}
	copy(rec.Hash[:], r.Hash)
	copy(rec.PrevHash[:], r.PrevHash)
	return rec
}

func (h *headRow) head() ledger.Head {
	out := ledger.Head{Size: h.Size}
	copy(out.Hash[:], h.LastHash)
	if h.Checkpoint != "" {
		out.Checkpoint = []byte(h.Checkpoint)
	}
	return out
}

func newHeadRow(h ledger.Head) *headRow {
	return &headRow{Size: h.Size, LastHash: slices.Clone(h.Hash[:]), Checkpoint: string(h.Checkpoint)}
}

func newKeyRow(k registry.Key) *keyRow {
	return &keyRow{KID: k.KID, Signer: k.Signer, X: k.PublicKey.JWK().X, AddedAt: k.AddedAt, AddedUS: k.AddedTime.UnixMicro()}
}

// revoked returns a copy of k with r's columns set.
func (k *keyRow) revoked(r *registry.Revocation) *keyRow {
	c := *k
	c.RevokedAt, c.RevokedUS, c.RevokedBy, c.Reason = new(r.At), new(r.Time.UnixMicro()), new(r.By), new(r.Reason)
	c.CompromisedSince = nil
	if r.CompromisedSince != nil {
		c.CompromisedSince = new(*r.CompromisedSince)
	}
	return &c
}

// key reads k back as the real stores do: a revocation exactly when
// revoked_at is set.
func (k *keyRow) key() (registry.Key, error) {
	out := registry.Key{KID: k.KID, Signer: k.Signer, AddedAt: k.AddedAt, AddedTime: timeUS(k.AddedUS)}
	jx, _ := json.Marshal(k.X)
	pub, err := keys.ParseJWK([]byte(`{"kty":"OKP","crv":"Ed25519","x":` + string(jx) + `}`))
	if err != nil {
		return out, fmt.Errorf("%w: memstore: key %s: the stored public key does not parse (%v)", ledger.ErrCorrupt, k.KID, err)
	}
	out.PublicKey = pub
	if k.RevokedAt == nil {
		return out, nil
	}
	r := &registry.Revocation{At: *k.RevokedAt, By: deref(k.RevokedBy), Reason: deref(k.Reason)}
	if k.RevokedUS != nil {
		r.Time = timeUS(*k.RevokedUS)
	}
	if k.CompromisedSince != nil {
		r.CompromisedSince = new(*k.CompromisedSince)
	}
	out.Revocation = r
	return out, nil
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// timeUS reads a column of Unix microseconds as the real stores do, in UTC.
func timeUS(us int64) time.Time { return time.UnixMicro(us).UTC() }
