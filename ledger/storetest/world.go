package storetest

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/signet-ledger/signet/keys"
	"github.com/signet-ledger/signet/ledger"
	"github.com/signet-ledger/signet/registry"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// baseURL is the server the suite's JWS are addressed to.
const baseURL = "https://signet.test"

// world is the log key and the counter the suite's records are made with.
// Its methods are safe for concurrent use.
type world struct {
	t        *testing.T
	origin   string
	signer   note.Signer
	verifier note.Verifier
	n        atomic.Int64 // records made, numbering the payloads
}

func newWorld(t *testing.T) *world {
	origin := "signet.test/storetest"
	skey, vkey, err := note.GenerateKey(rand.Reader, origin)
	if err != nil {
		t.Fatal(err)
	}
	s, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	return &world{t: t, origin: origin, signer: s, verifier: v}
}

func newKey(t *testing.T) keys.PrivateKey {
	k, err := keys.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func kid(k keys.PrivateKey) string { return k.Public().Thumbprint() }

// nonce returns a random string shaped like the log's nonces (55
// base64url characters). The store does not check nonces.
func nonce() string {
	b := make([]byte, 41)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// mustJSON marshals v.
func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// sign signs payload with k for path; the header carries k's jwk if
// withJWK, else its kid.
func sign(t *testing.T, k keys.PrivateKey, withJWK bool, nonce, path string, payload []byte) *keys.JWS {
	h := keys.Header{Nonce: nonce, URL: baseURL + path}
	if withJWK {
		pub := k.Public()
		h.JWK = &pub
	} else {
		h.Kid = kid(k)
	}
	j, err := k.Sign(h, payload)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

// innerKeyChange is the inner JWS of adding nk to signer, authorised by
// the key oldKID, for path.
func innerKeyChange(t *testing.T, nk keys.PrivateKey, signer, oldKID, path string) []byte {
	return sign(t, nk, true, "", path, mustJSON(map[string]string{"signer": signer, "old_kid": oldKID})).Flattened()
}

// pend is a record as the sequencer receives it, and what it does to the
// registry (nil for an entry).
type pend struct {
	rec   ledger.Record
	apply func(st *registry.State, rec *ledger.Record, b *ledger.Batch) error
}

func fromJWS(kind ledger.Kind, signer, kid string, j *keys.JWS) ledger.Record {
	return ledger.Record{Kind: kind, Signer: signer, KID: kid, Nonce: j.Header.Nonce,
		Protected: j.Protected, Payload: j.Payload, Signature: j.Signature}
}

// register is the registration of signer id with its first key k.
func (w *world) register(id string, k keys.PrivateKey) pend {
	j := sign(w.t, k, true, nonce(), "/v1/signers", mustJSON(map[string]string{"signer": id}))
	pub := k.Public()
	return pend{rec: fromJWS(ledger.KindRegistered, id, kid(k), j),
		apply: func(st *registry.State, rec *ledger.Record, b *ledger.Batch) error {
			key, err := st.Register(id, pub, rec.Index, rec.IntegratedTime)
			if err != nil {
				return err
			}
			b.NewSigners = append(b.NewSigners, registry.Signer{ID: id, RegisteredAt: rec.Index, RegisteredTime: rec.IntegratedTime})
			b.NewKeys = append(b.NewKeys, key)
			return nil
		}}
}

// entry is a journal entry of signer signed by k.
func (w *world) entry(signer string, k keys.PrivateKey, memo string) pend {
	n := w.n.Add(1)
	payload := map[string]any{"n": n, "memo": memo, "pad": strings.Repeat("x", 200)}
	j := sign(w.t, k, false, nonce(), "/v1/entries", mustJSON(payload))
	return pend{rec: fromJWS(ledger.KindEntry, signer, kid(k), j)}
}

// addKey is the addition of nk to signer, signed by its key by.
func (w *world) addKey(signer string, by, nk keys.PrivateKey) pend {
	path := "/v1/signers/" + signer + "/keys"
	j := sign(w.t, by, false, nonce(), path, innerKeyChange(w.t, nk, signer, kid(by), path))
	pub := nk.Public()
	return pend{rec: fromJWS(ledger.KindKeyAdded, signer, kid(by), j),
		apply: func(st *registry.State, rec *ledger.Record, b *ledger.Batch) error {
			key, err := st.AddKey(signer, rec.KID, pub, rec.Index, rec.IntegratedTime)
			if err != nil {
				return err
			}
			b.NewKeys = append(b.NewKeys, key)
			return nil
		}}
}

// revoke is the revocation of signer's key revoked, signed by its key by,
// or by the operator if by is nil.
func (w *world) revoke(signer, revoked string, by *keys.PrivateKey, reason string, since *int64) pend {
	req := ledger.RevokeRequest{Reason: reason, CompromisedSince: since}
	var rec ledger.Record
	actor := registry.Operator
	if by == nil {
		p, _ := json.Marshal(ledger.OperatorRevocation{Signer: signer, KID: revoked, Reason: reason,
			CompromisedSince: since, RevokedBy: registry.Operator})
		rec = ledger.Record{Kind: ledger.KindKeyRevoked, Signer: signer, Payload: base64.RawURLEncoding.EncodeToString(p)}
	} else {
		j := sign(w.t, *by, false, nonce(), ledger.RevokePath(signer, revoked), mustJSON(req))
		rec, actor = fromJWS(ledger.KindKeyRevoked, signer, kid(*by), j), kid(*by)
	}
	return pend{rec: rec,
		apply: func(st *registry.State, rec *ledger.Record, b *ledger.Batch) error {
			key, err := st.Revoke(signer, revoked, registry.Revocation{At: rec.Index, Time: rec.IntegratedTime,
				By: actor, Reason: reason, CompromisedSince: since})
			if err != nil {
				return err
			}
			b.Revoked = append(b.Revoked, key)
			return nil
		}}
}

// seal turns ps into the batch that appends them to head, as the
// sequencer does: indexes, the integrated time, the chain, record hashes,
// the Merkle tree's stored hashes (reading the older ones through read) and
// a signed checkpoint. st is the registry at head, which seal updates; it
// may be nil if every pend is an entry.
func (w *world) seal(head ledger.Head, read tlog.HashReader, st *registry.State, ps ...pend) (*ledger.Batch, error) {
	b := &ledger.Batch{}
	mem := map[int64]tlog.Hash{}
	rd := overlay(mem, read)
	n, prev, now := head.Size, head.Hash, ledger.Time(time.Now())
	for _, p := range ps {
		rec := p.rec
		rec.Index, rec.IntegratedTime, rec.PrevHash = n, now, prev
		if p.apply != nil {
			if err := p.apply(st, &rec, b); err != nil {
				return nil, fmt.Errorf("storetest: record %d: %w", n, err)
			}
		}
		rec.Hash = ledger.RecordHash(&rec)
		sh, err := tlog.StoredHashesForRecordHash(n, ledger.LeafHash(rec.Hash), rd)
		if err != nil {
			return nil, err
		}
		for k, h := range sh {
			idx := tlog.StoredHashIndex(0, n) + int64(k)
			mem[idx] = h
			b.Hashes = append(b.Hashes, ledger.StoredHash{Index: idx, Hash: h})
		}
		b.Records = append(b.Records, &rec)
		n, prev = n+1, rec.Hash
	}
	root, err := tlog.TreeHash(n, rd)
	if err != nil {
		return nil, err
	}
	cp, err := ledger.SignCheckpoint(w.signer, w.origin, n, root)
	if err != nil {
		return nil, err
	}
	b.Head = ledger.Head{Size: n, Hash: prev, Checkpoint: cp}
	return b, nil
}

// overlay reads stored hashes from mem, the rest through read.
func overlay(mem map[int64]tlog.Hash, read tlog.HashReader) tlog.HashReader {
	return tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		var miss []int64
		var at []int
		for i, x := range idx {
			if h, ok := mem[x]; ok {
				out[i] = h
			} else {
				miss, at = append(miss, x), append(at, i)
			}
		}
		if len(miss) == 0 {
			return out, nil
		}
		hs, err := read.ReadHashes(miss)
		if err != nil {
			return nil, err
		}
		if len(hs) != len(miss) {
			return nil, fmt.Errorf("storetest: ReadHashes returned %d hashes for %d indexes", len(hs), len(miss))
		}
		for j, i := range at {
			out[i] = hs[j]
		}
		return out, nil
	})
}
