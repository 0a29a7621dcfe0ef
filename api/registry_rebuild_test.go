package api_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/signet-ledger/signet/client"
	"github.com/signet-ledger/signet/internal/signettest"
	"github.com/signet-ledger/signet/keys"
	"github.com/signet-ledger/signet/ledger"
	"github.com/signet-ledger/signet/registry"
)

// keyFacts is everything the registry says of one key, in one comparable
// form whatever its source.
type keyFacts struct {
	KID, Signer, X    string
	AddedAt           int64
	AddedTime         string
	Revoked           bool
	RevokedAt         int64
	RevokedTime       string
	RevokedBy, Reason string
	CompromisedSince  int64 // -1 when not set
}

type signerFacts struct {
	ID             string
	RegisteredAt   int64
	RegisteredTime string
	Keys           []keyFacts
}

func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

func factsOfRegistry(s registry.Signer) signerFacts {
	f := signerFacts{ID: s.ID, RegisteredAt: s.RegisteredAt, RegisteredTime: rfc3339(s.RegisteredTime)}
	for _, k := range s.Keys {
		kf := keyFacts{KID: k.KID, Signer: k.Signer, X: k.PublicKey.JWK().X, AddedAt: k.AddedAt,
			AddedTime: rfc3339(k.AddedTime), CompromisedSince: -1}
		if r := k.Revocation; r != nil {
			kf.Revoked, kf.RevokedAt, kf.RevokedTime, kf.RevokedBy, kf.Reason = true, r.At, rfc3339(r.Time), r.By, r.Reason
			if r.CompromisedSince != nil {
				kf.CompromisedSince = *r.CompromisedSince
			}
		}
		f.Keys = append(f.Keys, kf)
	}
	return f
}

func factsOfAPI(s *client.SignerInfo) signerFacts {
	f := signerFacts{ID: s.Signer, RegisteredAt: s.LogIndex, RegisteredTime: s.RegisteredAt}
	for _, k := range s.Keys {
		kf := keyFacts{KID: k.KID, Signer: s.Signer, X: k.JWK.X, AddedAt: k.LogIndex, AddedTime: k.AddedAt, CompromisedSince: -1}
		if k.Status != "active" {
			kf.Revoked, kf.RevokedTime, kf.RevokedBy, kf.Reason = true, k.RevokedAt, k.RevokedBy, k.Reason
			if k.RevokedAtIndex != nil {
				kf.RevokedAt = *k.RevokedAtIndex
			}
			if k.CompromisedSince != nil {
				kf.CompromisedSince = *k.CompromisedSince
			}
		}
		f.Keys = append(f.Keys, kf)
	}
	return f
}

// recordOfAPI rebuilds the ledger record that GET /v1/entries shows. An
// operator record has no JWS; its stored payload is the base64url of the
// JSON shown.
func recordOfAPI(t *testing.T, r client.Record) *ledger.Record {
	t.Helper()
	it, err := time.Parse(time.RFC3339Nano, r.IntegratedTime)
	if err != nil {
		t.Fatalf("record %d: integrated_time %q: %v", r.Index, r.IntegratedTime, err)
	}
	rec := &ledger.Record{Index: r.Index, Kind: ledger.Kind(r.Kind), Signer: r.Signer, KID: r.KID, IntegratedTime: it}
	if r.JWS != nil {
		rec.Protected, rec.Payload, rec.Signature = r.JWS.Protected, r.JWS.Payload, r.JWS.Signature
	} else {
		rec.Payload = base64.RawURLEncoding.EncodeToString(r.Payload)
	}
	if rec.Hash, err = ledger.ParseHash(r.Hash); err != nil {
		t.Fatalf("record %d: hash: %v", r.Index, err)
	}
	if rec.PrevHash, err = ledger.ParseHash(r.PrevHash); err != nil {
		t.Fatalf("record %d: prev_hash: %v", r.Index, err)
	}
	return rec
}

// recordsOfAPI reads the whole log through GET /v1/entries, page by page.
func recordsOfAPI(t *testing.T, c *client.Client) []*ledger.Record {
	t.Helper()
	var out []*ledger.Record
	q := client.Query{Limit: 7} // small pages, to cross several
	for {
		p, err := c.Entries(context.Background(), q)
		if err != nil {
			t.Fatalf("Entries(%+v) = %v", q, err)
		}
		for _, r := range p.Entries {
			out = append(out, recordOfAPI(t, r))
		}
		if p.Next == nil {
			return out
		}
		q.After = *p.Next
	}
}

// mixedHistory builds a log with several signers, key changes,
// revocations by a signer (one by the revoked key itself) and by the
// operator (one of a last key), and entries, some appended concurrently so
// that batches mix key events and entries.
func mixedHistory(t *testing.T, e *signettest.Env) {
	t.Helper()
	ctx := context.Background()
	entry := func(k keys.PrivateKey, i int) {
		if r := submitWith(t, e, k, fmt.Sprintf(`{"n":%d}`, i)); r.Status != 201 {
			t.Fatalf("submit = %d %s", r.Status, r.Body)
		}
	}
	add := func(signer string, by, k keys.PrivateKey) {
		decodeKeyEvent(t, "add key to "+signer, keyChange{signer: signer, outer: by, newKey: k}.post(t, e))
	}
	revoke := func(signer string, k, by keys.PrivateKey, payload string) {
		decodeKeyEvent(t, "revoke a key of "+signer, revocation{signer: signer, kid: k.Public().Thumbprint(), by: by, payload: payload}.post(t, e))
	}
	operator := func(signer string, k keys.PrivateKey, body string) {
		decodeKeyEvent(t, "operator revocation", operatorRevoke(t, e, signer, k.Public().Thumbprint(), e.AdminToken, body))
	}

	a1, b1, c1, d1 := e.Register(t, "alice"), e.Register(t, "bob"), e.Register(t, "carol"), e.Register(t, "dave")
	eve := signettest.Key(t)
	if _, err := e.Client.Register(ctx, "eve@example.com", eve, map[string]any{"name": "Eve", "team": "audit"}); err != nil {
		t.Fatal(err)
	}
	a2, a3, b2, d2 := signettest.Key(t), signettest.Key(t), signettest.Key(t), signettest.Key(t)
	for i := range 3 {
		entry(a1, i)
		entry(b1, i)
	}
	add("alice", a1, a2)
	add("alice", a2, a3)
	entry(a2, 10)
	revoke("alice", a1, a2, `{"reason":"rotated","compromised_since":11}`) // a2 was added at 11
	revoke("alice", a3, a3, `{"reason":"retired"}`)
	add("bob", b1, b2)
	operator("bob", b1, `{"reason":"lost","compromised_since":3}`)
	operator("carol", c1, `{"reason":"left the company"}`)
	entry(eve, 1)
	eve2 := signettest.Key(t)
	add("eve@example.com", eve, eve2)
	revoke("eve@example.com", eve, eve, `{"reason":"moved to hardware key","compromised_since":0}`) // self-revocation reaches back to 0

	var wg sync.WaitGroup
	for w, k := range []keys.PrivateKey{a2, b2, d1, eve2} {
		wg.Go(func() {
			for i := range 15 {
				if r := submitWith(t, e, k, fmt.Sprintf(`{"w":%d,"i":%d}`, w, i)); r.Status != 201 {
					t.Errorf("submit = %d %s", r.Status, r.Body)
				}
			}
		})
	}
	wg.Go(func() { add("dave", d1, d2) })
	wg.Wait()
	revoke("dave", d1, d2, `{"reason":"scheduled rotation"}`)
	entry(d2, 99)
}

// TestRegistryIsAFunctionOfTheLog rebuilds every signer and key from the
// log records alone, read through GET /v1/entries, by replaying them with
// ledger.Replay into an empty registry, and compares the result with what
// GET /v1/signers/{id} and the store's tables say.
func TestRegistryIsAFunctionOfTheLog(t *testing.T) {
	e := signettest.New(t, signettest.Options{})
	ctx := context.Background()
	mixedHistory(t, e)

	recs := recordsOfAPI(t, e.Client)
	if int64(len(recs)) != e.Size(t) {
		t.Fatalf("GET /v1/entries gave %d records, the log has %d", len(recs), e.Size(t))
	}
	stored, err := e.Store.Records(ctx, ledger.Query{After: -1, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	st := registry.NewState()
	for i, r := range recs {
		if r.Index != int64(i) || ledger.RecordHash(r) != r.Hash {
			t.Fatalf("record %d as the API shows it: index %d, hash recomputes %v", i, r.Index, ledger.RecordHash(r) == r.Hash)
		}
		s := *stored[i]
		s.Nonce = ""
		if !r.IntegratedTime.Equal(s.IntegratedTime) || !sameRecord(*r, s) {
			t.Errorf("record %d: API shows %+v, store has %+v", i, *r, s)
		}
		if err := ledger.Replay(st, r); err != nil {
			t.Fatalf("Replay(record %d) = %v", i, err)
		}
	}

	var ids []string
	rows, err := e.DB.Query(ctx, `SELECT id FROM signers ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id string
		rows.Scan(&id)
		ids = append(ids, id)
	}
	rows.Close()
	var nKeys int
	if err := e.DB.QueryRow(ctx, `SELECT count(*) FROM signer_keys`).Scan(&nKeys); err != nil {
		t.Fatal(err)
	}

	rebuilt := st.Signers()
	var rebuiltIDs []string
	replayedKeys := 0
	for _, s := range rebuilt {
		rebuiltIDs = append(rebuiltIDs, s.ID)
		replayedKeys += len(s.Keys)
	}
	if !reflect.DeepEqual(rebuiltIDs, ids) || replayedKeys != nKeys {
		t.Fatalf("replay rebuilt signers %v with %d keys; the tables have %v with %d keys", rebuiltIDs, replayedKeys, ids, nKeys)
	}
	revoked, byOperator := 0, 0
	for _, s := range rebuilt {
		want := factsOfRegistry(s)
		fromStore, err := e.Store.Signer(ctx, s.ID)
		if err != nil {
			t.Fatalf("Store.Signer(%q) = %v", s.ID, err)
		}
		if got := factsOfRegistry(fromStore); !reflect.DeepEqual(got, want) {
			t.Errorf("signer %q:\nstore  %+v\nreplay %+v", s.ID, got, want)
		}
		if got := factsOfAPI(signerInfo(t, e, s.ID)); !reflect.DeepEqual(got, want) {
			t.Errorf("signer %q:\nGET    %+v\nreplay %+v", s.ID, got, want)
		}
		for _, k := range want.Keys {
			if k.Revoked {
				revoked++
			}
			if k.RevokedBy == registry.Operator {
				byOperator++
			}
		}
	}
	// The history must have exercised what it claims to.
	if len(rebuilt) != 5 || replayedKeys != 10 || revoked != 6 || byOperator != 2 {
		t.Errorf("history has %d signers, %d keys, %d revoked, %d by the operator; want 5, 10, 6, 2",
			len(rebuilt), replayedKeys, revoked, byOperator)
	}
}

// sameRecord compares two records field by field, times by instant.
func sameRecord(a, b ledger.Record) bool {
	a.IntegratedTime, b.IntegratedTime = time.Time{}, time.Time{}
	return a == b
}
