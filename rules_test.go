package signet_test

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/signet-ledger/signet"
	"github.com/signet-ledger/signet/keys"
	"github.com/signet-ledger/signet/registry"
)

// book builds a log in memory, record by record, as the server would,
// and replays it with [signet.Replay] as every verifier does.
type book struct {
	t      *testing.T
	r      *signet.Replay
	prev   signet.Hash
	n      int64
	nonces int
	now    time.Time
}

func newBook(t *testing.T) *book {
	return &book{t: t, r: signet.NewReplay(), now: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}
}

func newKey(t *testing.T) keys.PrivateKey {
	k, err := keys.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func (b *book) nonce() string {
	b.nonces++
	return fmt.Sprintf("nonce-%d", b.nonces)
}

// signed returns the record of a JWS by k with header h over payload.
func (b *book) signed(kind signet.Kind, signer string, k keys.PrivateKey, h keys.Header, payload string) *signet.Record {
	j, err := k.Sign(h, []byte(payload))
	if err != nil {
		b.t.Fatal(err)
	}
	kid := h.Kid
	if h.JWK != nil {
		kid = h.JWK.Thumbprint()
	}
	return b.seal(&signet.Record{Kind: kind, Signer: signer, KID: kid,
		Protected: j.Protected, Payload: j.Payload, Signature: j.Signature})
}

// seal gives rec the next index, time and chain link, and its hash.
func (b *book) seal(rec *signet.Record) *signet.Record {
	rec.Index, rec.IntegratedTime, rec.PrevHash = b.n, b.now, b.prev
	rec.Hash = signet.RecordHash(rec)
	return rec
}

// next replays rec, which must keep every rule.
func (b *book) next(rec *signet.Record) {
	b.t.Helper()
	if _, err := b.r.Next(rec); err != nil {
		b.t.Fatalf("Next(record %d) = %v, want it accepted", rec.Index, err)
	}
	b.n, b.prev = rec.Index+1, rec.Hash
}

// refuse replays rec, which must break rule want with class class.
func (b *book) refuse(rec *signet.Record, want signet.Rule, class error) {
	b.t.Helper()
	_, err := b.r.Next(rec)
	if got := signet.RuleOf(err); got != want || class != nil && !errors.Is(err, class) {
		b.t.Fatalf("Next(record %d) = %v (rule %q), want rule %s (%s) of class %v", rec.Index, err, got, want, want.Name(), class)
	}
}

func (b *book) register(signer string, k keys.PrivateKey) {
	pub := k.Public()
	b.next(b.signed(signet.KindRegistered, signer, k, keys.Header{JWK: &pub, Nonce: b.nonce(), URL: "https://s.test/v1/signers"},
		`{"signer":"`+signer+`"}`))
}

func (b *book) entryRecord(signer string, k keys.PrivateKey, url, nonce, payload string) *signet.Record {
	return b.signed(signet.KindEntry, signer, k, keys.Header{Kid: k.Public().Thumbprint(), Nonce: nonce, URL: url}, payload)
}

func (b *book) addKey(signer string, by, k keys.PrivateKey) {
	url := "https://s.test" + signet.KeysPath(signer)
	pub := k.Public()
	inner, err := k.Sign(keys.Header{JWK: &pub, URL: url}, []byte(`{"signer":"`+signer+`","old_kid":"`+by.Public().Thumbprint()+`"}`))
	if err != nil {
		b.t.Fatal(err)
	}
	b.next(b.signed(signet.KindKeyAdded, signer, by, keys.Header{Kid: by.Public().Thumbprint(), Nonce: b.nonce(), URL: url}, string(inner.Flattened())))
}

func (b *book) revokeRecord(signer string, by keys.PrivateKey, kid, payload string) *signet.Record {
	url := "https://s.test" + signet.RevokePath(signer, kid)
	return b.signed(signet.KindKeyRevoked, signer, by, keys.Header{Kid: by.Public().Thumbprint(), Nonce: b.nonce(), URL: url}, payload)
}

const entries = "https://s.test/v1/entries"

// TestRulesRefuseWhatAdmissionRefuses holds the records an operator could
// craft, internally consistent but breaking one rule, against the rules
// every verifier runs: each is refused with the rule it breaks.
func TestRulesRefuseWhatAdmissionRefuses(t *testing.T) {
	alice, alice2, bob := newKey(t), newKey(t), newKey(t)
	setup := func(t *testing.T) *book {
		b := newBook(t)
		b.register("alice", alice)
		b.register("bob", bob)
		b.addKey("alice", alice, alice2) // record 2
		b.next(b.entryRecord("alice", alice, entries, b.nonce(), `{"n":1}`))
		return b
	}
	kidA := alice.Public().Thumbprint()
	for _, tc := range []struct {
		name  string
		rec   func(b *book) *signet.Record
		rule  signet.Rule
		class error
	}{
		{"EntrySignedForSigners", func(b *book) *signet.Record {
			return b.entryRecord("alice", alice, "https://s.test/v1/signers", b.nonce(), `{"n":2}`)
		}, signet.RuleURL, signet.ErrMalformed},
		{"EntrySignedForBatch", func(b *book) *signet.Record {
			return b.entryRecord("alice", alice, "https://s.test/v1/entries:batch", b.nonce(), `{"n":2}`)
		}, signet.RuleURL, signet.ErrMalformed},
		{"RevocationStoredAsEntry", func(b *book) *signet.Record {
			r := b.revokeRecord("alice", alice2, kidA, `{"reason":"stolen"}`)
			r.Kind, r.KID = signet.KindEntry, alice2.Public().Thumbprint()
			return b.seal(r)
		}, signet.RuleURL, signet.ErrMalformed},
		{"NoNonce", func(b *book) *signet.Record {
			return b.entryRecord("alice", alice, entries, "", `{"n":2}`)
		}, signet.RuleNonce, signet.ErrBadNonce},
		{"NonceUsedTwice", func(b *book) *signet.Record {
			return b.entryRecord("alice", alice, entries, "nonce-1", `{"n":2}`)
		}, signet.RuleNonceUnique, signet.ErrBadNonce},
		{"DuplicateMemberNames", func(b *book) *signet.Record {
			return b.entryRecord("alice", alice, entries, b.nonce(), `{"amount":"1.00","amount":"1000.00"}`)
		}, signet.RuleEntryPayload, signet.ErrMalformed},
		{"NumberBeyondDouble", func(b *book) *signet.Record {
			return b.entryRecord("alice", alice, entries, b.nonce(), `{"amount":1e400}`)
		}, signet.RuleEntryPayload, signet.ErrMalformed},
		{"RevocationCaseVariantMember", func(b *book) *signet.Record {
			return b.revokeRecord("alice", alice2, kidA, `{"reason":"rotated","COMPROMISED_SINCE":0}`)
		}, signet.RuleRevocation, signet.ErrMalformed},
		{"NewerKeyDisownsOlderHistory", func(b *book) *signet.Record {
			return b.revokeRecord("alice", alice2, kidA, `{"reason":"stolen","compromised_since":0}`)
		}, signet.RuleRevokeTarget, registry.ErrInvalidRevocation},
		{"CompromisedSinceBeyondTheRevocation", func(b *book) *signet.Record {
			return b.revokeRecord("alice", alice, kidA, `{"reason":"stolen","compromised_since":99}`)
		}, signet.RuleRevokeTarget, registry.ErrInvalidRevocation},
		{"EntryByAnotherSignersKey", func(b *book) *signet.Record {
			return b.entryRecord("alice", bob, entries, b.nonce(), `{"n":2}`)
		}, signet.RuleKeyState, registry.ErrWrongSigner},
		{"KeyEventPayloadBeyondItsFixedLimit", func(b *book) *signet.Record {
			return b.revokeRecord("alice", alice2, kidA, `{"reason":"`+strings.Repeat("x", signet.MaxKeyEventPayload)+`"}`)
		}, signet.RuleRevocation, signet.ErrMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := setup(t)
			b.refuse(tc.rec(b), tc.rule, tc.class)
		})
	}
}

// TestRevocationCompromisedSince walks the compromised_since range: a key
// revoking itself may reach back to 0, another key of the signer only to
// where it was added, nobody beyond the revocation's own index.
func TestRevocationCompromisedSince(t *testing.T) {
	alice, alice2 := newKey(t), newKey(t)
	for _, tc := range []struct {
		name  string
		by    keys.PrivateKey
		since int64
		ok    bool
	}{
		{"SelfFromZero", alice, 0, true},
		{"SelfAtItsOwnIndex", alice, 3, true},
		{"OtherFromWhereItWasAdded", alice2, 1, true},
		{"OtherBeforeItWasAdded", alice2, 0, false},
		{"BeyondTheRevocation", alice, 4, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newBook(t)
			b.register("alice", alice)
			b.addKey("alice", alice, alice2) // record 1
			b.next(b.entryRecord("alice", alice, entries, b.nonce(), `{"n":1}`))
			rec := b.revokeRecord("alice", tc.by, alice.Public().Thumbprint(), fmt.Sprintf(`{"reason":"r","compromised_since":%d}`, tc.since))
			if tc.ok {
				b.next(rec)
				return
			}
			b.refuse(rec, signet.RuleRevokeTarget, registry.ErrInvalidRevocation)
		})
	}
}

// TestCaseVariantMembersMeanOneThing: a registration payload with "signer"
// and "SIGNER" registers the signer every JSON reader sees, "signer";
// "SIGNER" is just another descriptive member.
func TestCaseVariantMembersMeanOneThing(t *testing.T) {
	k := newKey(t)
	pub := k.Public()
	j, err := k.Sign(keys.Header{JWK: &pub, Nonce: "n", URL: "https://s.test/v1/signers"},
		[]byte(`{"signer":"alice@example.com","SIGNER":"mallory@example.com"}`))
	if err != nil {
		t.Fatal(err)
	}
	e, err := signet.Decode(signet.KindRegistered, j)
	if err != nil || e.Signer != "alice@example.com" {
		t.Fatalf("Decode(registration) = %+v, %v; want signer alice@example.com", e, err)
	}
}

// TestOperatorRevocationPayload: the payload the operator's record holds
// has exactly its members.
func TestOperatorRevocationPayload(t *testing.T) {
	alice := newKey(t)
	for _, tc := range []struct {
		name    string
		payload string
		rule    signet.Rule
	}{
		{"OK", `{"signer":"alice","kid":"%s","reason":"lost","revoked_by":"operator"}`, ""},
		{"ExtraMember", `{"signer":"alice","kid":"%s","reason":"lost","revoked_by":"operator","note":"x"}`, signet.RuleOperator},
		{"NotByOperator", `{"signer":"alice","kid":"%s","reason":"lost","revoked_by":"alice"}`, signet.RuleOperator},
		{"CaseVariantSigner", `{"signer":"alice","SIGNER":"bob","kid":"%s","reason":"lost","revoked_by":"operator"}`, signet.RuleOperator},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newBook(t)
			b.register("alice", alice)
			p := fmt.Sprintf(tc.payload, alice.Public().Thumbprint())
			rec := b.seal(&signet.Record{Kind: signet.KindKeyRevoked, Signer: "alice",
				Payload: base64.RawURLEncoding.EncodeToString([]byte(p))})
			if tc.rule == "" {
				b.next(rec)
				return
			}
			b.refuse(rec, tc.rule, signet.ErrMalformed)
		})
	}
}
