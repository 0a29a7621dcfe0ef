package api_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"testing"

	"github.com/signet-ledger/signet/internal/signettest"
	"github.com/signet-ledger/signet/ledger"
	"golang.org/x/mod/sumdb/tlog"
)

// tamperLog is the log every tamper case starts from: alice registered at
// 0, bob at 1, alice's entries at 2, 3 and 4, bob's entry at 5. Cases
// tamper with record 3 unless they say otherwise.
func tamperLog(t *testing.T) *signettest.Env {
	e := signettest.New(t, signettest.Options{})
	alice := registerRaw(t, e, "alice")
	bob := registerRaw(t, e, "bob")
	for _, p := range []string{`{"journal_id":"JE1"}`, `{"journal_id":"JE2","amount":"16453.24"}`, `{"journal_id":"JE3"}`} {
		submitRaw(t, e, alice, p)
	}
	submitRaw(t, e, bob, `{"journal_id":"JE4"}`)
	return e
}

// tamper runs SQL on e's database.
func tamper(t *testing.T, e *signettest.Env, sql string, args ...any) {
	t.Helper()
	tag, err := e.DB.Exec(context.Background(), sql, args...)
	if err != nil || tag.RowsAffected() != 1 {
		t.Fatalf("tampering: %s = %v, %v, want one row changed", sql, tag, err)
	}
}

func randomHash() []byte {
	b := make([]byte, 32)
	rand.Read(b)
	return b
}

// rechain rewrites record i's payload and then, as an attacker who knows
// the hash format would, recomputes its hash and every later record's
// prev_hash and hash, and the head, so that every hash and link checks.
func rechain(t *testing.T, e *signettest.Env, i int64) {
	ctx := context.Background()
	n := e.Size(t)
	var prev ledger.Hash
	for j := i; j < n; j++ {
		r, err := e.Store.Record(ctx, j)
		if err != nil {
			t.Fatal(err)
		}
		if j == i {
			r.Payload = b64([]byte(`{"journal_id":"JE2","amount":"99999.99"}`))
		} else {
			r.PrevHash = prev
		}
		r.Hash = ledger.RecordHash(r)
		tamper(t, e, `UPDATE records SET payload = $2, prev_hash = $3, hash = $4 WHERE idx = $1`, j, r.Payload, r.PrevHash[:], r.Hash[:])
		prev = r.Hash
	}
	tamper(t, e, `UPDATE log_head SET last_hash = $1`, prev[:])
}

// swapRows swaps the contents of records i and j, keeping their indexes.
func swapRows(i, j int64) func(t *testing.T, e *signettest.Env) {
	return func(t *testing.T, e *signettest.Env) {
		tag, err := e.DB.Exec(context.Background(), `UPDATE records r SET kind = o.kind, signer = o.signer, kid = o.kid,
			integrated_us = o.integrated_us, protected = o.protected, payload = o.payload, signature = o.signature,
			nonce = NULL, hash = o.hash, prev_hash = o.prev_hash
			FROM records o WHERE (r.idx, o.idx) IN (($1, $2), ($2, $1))`, i, j)
		if err != nil || tag.RowsAffected() != 2 {
			t.Fatalf("swapping rows: %v, %v", tag, err)
		}
	}
}

// rekeyRegistration replaces alice's registration (record 0) with one
// that carries mallory's key, properly signed by mallory, and points the
// registry at it: the key record now says another key.
func rekeyRegistration(t *testing.T, e *signettest.Env) {
	ctx := context.Background()
	r, err := e.Store.Record(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	mallory := newRawKey(t)
	h := header{"alg": "EdDSA", "jwk": mallory.jwk(), "nonce": "forged", "url": e.URL + "/v1/signers"}
	j := signRaw(mallory, h.json(), decodeB64(t, r.Payload))
	tamper(t, e, `UPDATE records SET protected = $1, signature = $2 WHERE idx = 0`, j.Protected, j.Signature)
	tamper(t, e, `UPDATE signer_keys SET x = $1 WHERE added_at = 0`, mallory.x())
}

// tamperCase is one direct change to the database, and the checks that
// must then fail, by index. Every other record must still verify.
type tamperCase struct {
	name   string
	change func(t *testing.T, e *signettest.Env)
	failed map[int64][]string
}

// sqlChange is a change made by one SQL statement.
func sqlChange(sql string, args ...any) func(t *testing.T, e *signettest.Env) {
	return func(t *testing.T, e *signettest.Env) { tamper(t, e, sql, args...) }
}

var tamperCases = []tamperCase{
	{"payload", sqlChange(`UPDATE records SET payload = $1 WHERE idx = 3`, b64([]byte(`{"journal_id":"JE2","amount":"99999.99"}`))),
		map[int64][]string{3: {"record_hash", "signature"}}},
	{"payloadOneCharacter", sqlChange(`UPDATE records SET payload = overlay(payload placing 'x' from 3 for 1) WHERE idx = 3`),
		map[int64][]string{3: {"record_hash", "signature"}}},
	{"signature", sqlChange(`UPDATE records SET signature = (SELECT signature FROM records WHERE idx = 4) WHERE idx = 3`),
		map[int64][]string{3: {"record_hash", "signature"}}},
	{"protectedHeader", sqlChange(`UPDATE records SET protected = (SELECT protected FROM records WHERE idx = 4) WHERE idx = 3`),
		map[int64][]string{3: {"record_hash", "signature"}}},
	{"signer", sqlChange(`UPDATE records SET signer = 'bob' WHERE idx = 3`),
		map[int64][]string{3: {"record_hash", "signature"}}},
	{"kid", sqlChange(`UPDATE records SET kid = (SELECT kid FROM records WHERE idx = 1) WHERE idx = 3`),
		map[int64][]string{3: {"record_hash", "signature"}}},
	{"signerAndKid", sqlChange(`UPDATE records SET (signer, kid) = (SELECT signer, kid FROM records WHERE idx = 1) WHERE idx = 3`),
		map[int64][]string{3: {"record_hash", "signature"}}},
	{"kind", sqlChange(`UPDATE records SET kind = 'signer.key_revoked' WHERE idx = 3`),
		map[int64][]string{3: {"record_hash"}}},
	{"hash", sqlChange(`UPDATE records SET hash = $1 WHERE idx = 3`, randomHash()),
		map[int64][]string{3: {"record_hash", "chain_link"}, 4: {"chain_link"}}},
	{"hashOfLastRecord", sqlChange(`UPDATE records SET hash = $1 WHERE idx = 5`, randomHash()),
		map[int64][]string{5: {"record_hash", "chain_link"}}},
	{"prevHash", sqlChange(`UPDATE records SET prev_hash = $1 WHERE idx = 3`, randomHash()),
		map[int64][]string{2: {"chain_link"}, 3: {"record_hash", "chain_link"}}},
	{"integratedTime", sqlChange(`UPDATE records SET integrated_us = integrated_us + 1 WHERE idx = 3`),
		map[int64][]string{3: {"record_hash"}}},
	{"registrationRecord", sqlChange(`UPDATE records SET payload = $1 WHERE idx = 0`, b64([]byte(`{"signer":"mallory"}`))),
		map[int64][]string{0: {"record_hash", "signature"}, 2: {"signature"}, 3: {"signature"}, 4: {"signature"}}},
	{"deletedRow", sqlChange(`DELETE FROM records WHERE idx = 3`),
		map[int64][]string{2: {"chain_link"}, 3: {"record_hash", "chain_link", "signature", "inclusion"}, 4: {"chain_link"}}},
	{"payloadRehashedAndRechained", func(t *testing.T, e *signettest.Env) { rechain(t, e, 3) },
		map[int64][]string{3: {"signature", "inclusion"}, 4: {"inclusion"}, 5: {"inclusion"}}},
	{"rowsSwapped", swapRows(2, 4),
		map[int64][]string{1: {"chain_link"}, 2: {"record_hash", "chain_link"}, 3: {"chain_link"}, 4: {"record_hash", "chain_link"}, 5: {"chain_link"}}},
	{"keyRecordChangedToAnotherKey", rekeyRegistration,
		map[int64][]string{0: {"record_hash", "signature"}, 2: {"signature"}, 3: {"signature"}, 4: {"signature"}}},
	// The nonce column is what makes a nonce single use; a cleared or
	// changed one would let the request be replayed.
	{"nonceCleared", sqlChange(`UPDATE records SET nonce = NULL WHERE idx = 3`), map[int64][]string{3: {}}},
	{"nonceChanged", sqlChange(`UPDATE records SET nonce = 'changed' WHERE idx = 3`), map[int64][]string{3: {}}},
	{"leafTreeHash", sqlChange(`UPDATE tree_hashes SET hash = $1 WHERE idx = $2`, randomHash(), tlog.StoredHashIndex(0, 3)),
		map[int64][]string{2: {"inclusion"}, 3: {"inclusion"}}},
}

// TestTamper changes the stored log behind the server's back, one way per
// case, and checks that verify names the failing checks of every affected
// record, and still verifies the others.
func TestTamper(t *testing.T) {
	for _, tc := range tamperCases {
		t.Run(tc.name, func(t *testing.T) {
			e := tamperLog(t)
			n := e.Size(t)
			verifyAll(t, e, n)
			tc.change(t, e)
			for i := range n {
				v := verifyIndex(t, e, i)
				checks, _ := json.Marshal(v.Checks)
				failed, affected := tc.failed[i]
				switch {
				case !affected && !v.Verified:
					t.Errorf("verify(%d) = unverified %s %q, want verified", i, checks, v.Problems)
				case affected && (v.Verified || len(v.Problems) == 0):
					t.Errorf("verify(%d) = verified %v, problems %q, want unverified with problems", i, v.Verified, v.Problems)
				}
				for _, name := range failed {
					if ok, present := v.Checks[name]; ok || !present {
						t.Errorf("verify(%d).checks = %s, want %s false", i, checks, name)
					}
				}
			}
		})
	}
}
