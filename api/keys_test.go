package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/signet-ledger/signet/client"
	"github.com/signet-ledger/signet/internal/signettest"
	"github.com/signet-ledger/signet/keys"
)

// keyChange describes one POST /v1/signers/{signer}/keys. The zero values
// of the optional fields give a valid request.
type keyChange struct {
	signer string          // the signer in the path
	outer  keys.PrivateKey // signs the outer JWS, named by kid
	newKey keys.PrivateKey // carried in the inner jwk

	innerKey    *keys.PrivateKey // signs the inner JWS instead of newKey
	innerSigner *string          // the inner payload's signer instead of signer
	oldKID      *string          // the inner payload's old_kid instead of outer's kid
	innerNonce  bool             // give the inner JWS a nonce
	innerURL    string           // the inner url path instead of the outer's
	innerKid    bool             // name newKey by kid instead of carrying it in jwk
	innerExtra  bool             // add an unknown member to the inner payload
	flipOuter   bool             // change a bit of the outer signature
	flipInner   bool             // change a bit of the inner signature
}

func (kc keyChange) path() string { return "/v1/signers/" + kc.signer + "/keys" }

// post builds and sends the key change.
func (kc keyChange) post(t *testing.T, e *signettest.Env) *client.Response {
	t.Helper()
	p := map[string]string{"signer": kc.signer, "old_kid": kc.outer.Public().Thumbprint()}
	if kc.innerSigner != nil {
		p["signer"] = *kc.innerSigner
	}
	if kc.oldKID != nil {
		p["old_kid"] = *kc.oldKID
	}
	if kc.innerExtra {
		p["role"] = "admin"
	}
	payload, _ := json.Marshal(p)
	pub := kc.newKey.Public()
	h := keys.Header{JWK: &pub, URL: e.URL + kc.path()}
	if kc.innerURL != "" {
		h.URL = e.URL + kc.innerURL
	}
	if kc.innerNonce {
		n, err := e.Client.Nonce(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		h.Nonce = n
	}
	if kc.innerKid {
		h.JWK, h.Kid = nil, pub.Thumbprint()
	}
	signer := kc.newKey
	if kc.innerKey != nil {
		signer = *kc.innerKey
	}
	inner, err := signer.Sign(h, payload)
	if err != nil {
		t.Fatal(err)
	}
	if kc.flipInner {
		inner = flipSignature(inner)
	}
	outer := signFor(t, e, kc.outer, kc.path(), inner.Flattened())
	if kc.flipOuter {
		outer = flipSignature(outer)
	}
	return postJWS(t, e, kc.path(), outer)
}

// revocation describes one signed POST /v1/signers/{signer}/keys/{kid}/revoke.
type revocation struct {
	signer, kid string
	by          keys.PrivateKey
	payload     string // default {"reason":"test"}
	urlKID      string // sign for the revocation of this kid instead
	flip        bool
}

func (rv revocation) post(t *testing.T, e *signettest.Env) *client.Response {
	t.Helper()
	payload := rv.payload
	if payload == "" {
		payload = `{"reason":"test"}`
	}
	signed := client.RevokePath(rv.signer, rv.kid)
	if rv.urlKID != "" {
		signed = client.RevokePath(rv.signer, rv.urlKID)
	}
	j := signFor(t, e, rv.by, signed, []byte(payload))
	if rv.flip {
		j = flipSignature(j)
	}
	return postJWS(t, e, client.RevokePath(rv.signer, rv.kid), j)
}

// operatorRevoke sends the operator's plain-JSON revocation with token.
func operatorRevoke(t *testing.T, e *signettest.Env, signer, kid, token, body string) *client.Response {
	t.Helper()
	var hdr http.Header
	if token != "" {
		hdr = http.Header{"Authorization": {"Bearer " + token}}
	}
	r, err := e.Client.Do(context.Background(), http.MethodPost, client.RevokePath(signer, kid), "application/json", []byte(body), hdr)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// logState is what a refused request must leave as it was.
type keyLogState struct {
	size       int64
	checkpoint string
	keys       string // every key row, as text
}

func keyStateOf(t *testing.T, e *signettest.Env) keyLogState {
	t.Helper()
	var s keyLogState
	err := e.DB.QueryRow(context.Background(), `SELECT h.size, h.checkpoint,
		(SELECT coalesce(string_agg(k::text, ';' ORDER BY kid), '') FROM signer_keys k)
		FROM log_head h`).Scan(&s.size, &s.checkpoint, &s.keys)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func signerInfo(t *testing.T, e *signettest.Env, id string) *client.SignerInfo {
	t.Helper()
	s, err := e.Client.Signer(context.Background(), id)
	if err != nil {
		t.Fatalf("Signer(%q) = %v", id, err)
	}
	return s
}

func keyOf(t *testing.T, s *client.SignerInfo, kid string) client.Key {
	t.Helper()
	for _, k := range s.Keys {
		if k.KID == kid {
			return k
		}
	}
	t.Fatalf("signer %q has no key %s", s.Signer, kid)
	return client.Key{}
}

func decodeKeyEvent(t *testing.T, what string, r *client.Response) client.KeyEvent {
	t.Helper()
	if r.Status != http.StatusCreated {
		t.Fatalf("%s = %d %s, want 201", what, r.Status, r.Body)
	}
	var ev client.KeyEvent
	decodeOK(t, what, r, &ev)
	if loc := r.Header.Get("Location"); loc != fmt.Sprintf("/v1/entries/%d", ev.LogIndex) {
		t.Errorf("%s: Location %q, log_index %d", what, loc, ev.LogIndex)
	}
	return ev
}

func submitWith(t *testing.T, e *signettest.Env, k keys.PrivateKey, payload string) *client.Response {
	t.Helper()
	return postJWS(t, e, "/v1/entries", signFor(t, e, k, "/v1/entries", []byte(payload)))
}

func verifyOf(t *testing.T, e *signettest.Env, i int64) *client.Verification {
	t.Helper()
	v, err := e.Client.Verify(context.Background(), i)
	if err != nil {
		t.Fatalf("Verify(%d) = %v", i, err)
	}
	return v
}

// TestKeyRotationAndRevocation walks a rotation through HTTP: add a key,
// sign with it, revoke the old key with the new one declaring it
// compromised from a past index, and see what verify then says of the old
// key's records on either side of that index.
func TestKeyRotationAndRevocation(t *testing.T) {
	e := signettest.New(t, signettest.Options{})
	k1, k2 := e.Register(t, "alice"), signettest.Key(t)
	kid1, kid2 := k1.Public().Thumbprint(), k2.Public().Thumbprint()
	for i := range 2 { // records 1 and 2, signed by k1
		if r := submitWith(t, e, k1, fmt.Sprintf(`{"before":%d}`, i)); r.Status != http.StatusCreated {
			t.Fatalf("submit = %d %s", r.Status, r.Body)
		}
	}

	add := decodeKeyEvent(t, "add key", keyChange{signer: "alice", outer: k1, newKey: k2}.post(t, e))
	if add.KID != kid2 || add.LogIndex != 3 || add.Status != "active" || add.Signer != "alice" || add.AddedAt == "" {
		t.Errorf("add key = %+v, want kid %s at log index 3, active", add, kid2)
	}
	rec, err := e.Client.Entry(context.Background(), 3)
	if err != nil || rec.Kind != "signer.key_added" || rec.KID != kid1 || rec.JWS == nil {
		t.Errorf("Entry(3) = %+v, %v; want signer.key_added signed by %s", rec, err, kid1)
	}
	s := signerInfo(t, e, "alice")
	if len(s.Keys) != 2 || s.Keys[0].KID != kid1 || s.Keys[1].KID != kid2 {
		t.Fatalf("Signer(alice).keys = %+v, want %s then %s", s.Keys, kid1, kid2)
	}
	for i, k := range s.Keys {
		if k.Status != "active" || k.RevokedAtIndex != nil || k.LogIndex != []int64{0, 3}[i] {
			t.Errorf("Signer(alice).keys[%d] = %+v, want active from %d", i, k, []int64{0, 3}[i])
		}
	}
	if got := keyOf(t, s, kid2).JWK.X; got != k2.Public().JWK().X {
		t.Errorf("key %s has jwk x %q, want %q", kid2, got, k2.Public().JWK().X)
	}

	if r := submitWith(t, e, k2, `{"after":"add"}`); r.Status != http.StatusCreated { // record 4
		t.Fatalf("submit with the new key = %d %s", r.Status, r.Body)
	}

	// k2 was added at 3: it may not disown what k1 signed before that.
	before := keyStateOf(t, e)
	expectProblem(t, "revocation by a newer key reaching back before it", revocation{signer: "alice", kid: kid1, by: k2,
		payload: `{"reason":"laptop stolen","compromised_since":2}`}.post(t, e), 400, "malformed")
	if after := keyStateOf(t, e); after != before {
		t.Errorf("a refused revocation changed the log: %+v -> %+v", before, after)
	}
	// k1 itself may (self-revocation), as far back as it likes.
	rev := decodeKeyEvent(t, "revoke", revocation{signer: "alice", kid: kid1, by: k1,
		payload: `{"reason":"laptop stolen","compromised_since":2}`}.post(t, e))
	if rev.KID != kid1 || rev.LogIndex != 5 || rev.Status != "revoked" || rev.RevokedAt == "" {
		t.Errorf("revoke = %+v, want kid %s at log index 5, revoked", rev, kid1)
	}
	s = signerInfo(t, e, "alice")
	old := keyOf(t, s, kid1)
	if old.Status != "revoked" || old.RevokedAtIndex == nil || *old.RevokedAtIndex != 5 || old.RevokedBy != kid1 ||
		old.Reason != "laptop stolen" || old.CompromisedSince == nil || *old.CompromisedSince != 2 {
		t.Errorf("revoked key = %+v", old)
	}
	if k := keyOf(t, s, kid2); k.Status != "active" {
		t.Errorf("new key = %+v, want active", k)
	}

	before = keyStateOf(t, e)
	r := submitWith(t, e, k1, `{"after":"revocation"}`)
	expectProblem(t, "entry signed by the revoked key", r, 403, "revokedKey")
	if after := keyStateOf(t, e); after != before {
		t.Errorf("a refused entry changed the log: %+v -> %+v", before, after)
	}

	for _, tc := range []struct {
		index       int64
		verified    bool
		status      string
		compromised bool
	}{
		{1, true, "revoked", false}, // signed by k1 before compromised_since
		{2, false, "revoked", true}, // signed by k1 at compromised_since
		{3, false, "revoked", true}, // the key change k1 signed after it
		{4, true, "active", false},  // signed by k2
		{5, false, "revoked", true}, // the revocation, signed by k1 after compromised_since
		{0, true, "revoked", false}, // k1's registration, before compromise
	} {
		v := verifyOf(t, e, tc.index)
		if v.Verified != tc.verified || v.Signer.KeyStatus != tc.status || v.Signer.Compromised != tc.compromised {
			t.Errorf("Verify(%d) = verified %v key_status %q compromised %v (%v), want %v %q %v",
				tc.index, v.Verified, v.Signer.KeyStatus, v.Signer.Compromised, v.Problems, tc.verified, tc.status, tc.compromised)
		}
		if tc.status == "revoked" && (v.Signer.RevokedAtIndex == nil || *v.Signer.RevokedAtIndex != 5) {
			t.Errorf("Verify(%d).signer.revoked_at_index = %v, want 5", tc.index, v.Signer.RevokedAtIndex)
		}
		if !v.Checks["signature"] || !v.Checks["record_hash"] || !v.Checks["chain_link"] || !v.Checks["inclusion"] {
			t.Errorf("Verify(%d).checks = %v, want all true: a later revocation does not break a signature", tc.index, v.Checks)
		}
		if tc.compromised && !strings.Contains(strings.Join(v.Problems, " "), "compromised") {
			t.Errorf("Verify(%d).problems = %q, want one saying the key was compromised", tc.index, v.Problems)
		}
	}
}

// TestKeyChangeAndRevocationRefusals sends every kind of bad key change and
// revocation through HTTP. Each is refused with its problem type and leaves
// the log and the key table unchanged; a POST answer carries a fresh nonce.
// Then the operator revokes a signer's last key, which a signer cannot.
func TestKeyChangeAndRevocationRefusals(t *testing.T) {
	e := signettest.New(t, signettest.Options{})
	ctx := context.Background()
	k1, k2, kr := e.Register(t, "alice"), signettest.Key(t), signettest.Key(t)
	kb, kc := e.Register(t, "bob"), e.Register(t, "carol")
	for _, k := range []keys.PrivateKey{k2, kr} {
		decodeKeyEvent(t, "add key", keyChange{signer: "alice", outer: k1, newKey: k}.post(t, e))
	}
	decodeKeyEvent(t, "revoke kr", revocation{signer: "alice", kid: kr.Public().Thumbprint(), by: k2}.post(t, e))
	kid1, kid2, kidr := k1.Public().Thumbprint(), k2.Public().Thumbprint(), kr.Public().Thumbprint()
	kidb, kidc := kb.Public().Thumbprint(), kc.Public().Thumbprint()
	bob, other := "bob", signettest.Key(t)

	cases := []struct {
		name   string
		send   func() *client.Response
		status int
		ptype  string
	}{
		{"OuterSignatureWrong", func() *client.Response {
			return keyChange{signer: "alice", outer: k1, newKey: signettest.Key(t), flipOuter: true}.post(t, e)
		}, 400, "badSignature"},
		{"InnerSignatureWrong", func() *client.Response {
			return keyChange{signer: "alice", outer: k1, newKey: signettest.Key(t), flipInner: true}.post(t, e)
		}, 400, "badSignature"},
		{"InnerSignedByAnotherKeyThanItsJWK", func() *client.Response {
			return keyChange{signer: "alice", outer: k1, newKey: signettest.Key(t), innerKey: &other}.post(t, e)
		}, 400, "badSignature"},
		{"InnerNamesAnotherSigner", func() *client.Response {
			return keyChange{signer: "alice", outer: k1, newKey: signettest.Key(t), innerSigner: &bob}.post(t, e)
		}, 400, "malformed"},
		{"InnerOldKIDIsAnotherKey", func() *client.Response {
			return keyChange{signer: "alice", outer: k1, newKey: signettest.Key(t), oldKID: &kid2}.post(t, e)
		}, 400, "malformed"},
		{"InnerHasNonce", func() *client.Response {
			return keyChange{signer: "alice", outer: k1, newKey: signettest.Key(t), innerNonce: true}.post(t, e)
		}, 400, "malformed"},
		{"InnerURLDiffers", func() *client.Response {
			return keyChange{signer: "alice", outer: k1, newKey: signettest.Key(t), innerURL: "/v1/signers/bob/keys"}.post(t, e)
		}, 400, "malformed"},
		{"InnerNamesKeyByKID", func() *client.Response {
			return keyChange{signer: "alice", outer: k1, newKey: signettest.Key(t), innerKid: true}.post(t, e)
		}, 400, "malformed"},
		{"InnerPayloadHasUnknownMember", func() *client.Response {
			return keyChange{signer: "alice", outer: k1, newKey: signettest.Key(t), innerExtra: true}.post(t, e)
		}, 400, "malformed"},
		{"OuterKeyOfAnotherSigner", func() *client.Response {
			return keyChange{signer: "alice", outer: kb, newKey: signettest.Key(t)}.post(t, e)
		}, 403, "forbidden"},
		{"RevokedKeyAddsKey", func() *client.Response {
			return keyChange{signer: "alice", outer: kr, newKey: signettest.Key(t)}.post(t, e)
		}, 403, "revokedKey"},
		{"NewKeyAlreadyThisSigners", func() *client.Response {
			return keyChange{signer: "alice", outer: k1, newKey: k2}.post(t, e)
		}, 409, "conflict"},
		{"NewKeyAnotherSigners", func() *client.Response {
			return keyChange{signer: "alice", outer: k1, newKey: kb}.post(t, e)
		}, 409, "conflict"},
		{"NewKeyRevokedEarlier", func() *client.Response {
			return keyChange{signer: "alice", outer: k1, newKey: kr}.post(t, e)
		}, 409, "conflict"},
		{"RegisterWithRegisteredKey", func() *client.Response {
			nonce, err := e.Client.Nonce(ctx)
			if err != nil {
				t.Fatal(err)
			}
			pub := k1.Public()
			j, err := k1.Sign(keys.Header{JWK: &pub, Nonce: nonce, URL: e.URL + "/v1/signers"}, []byte(`{"signer":"dave"}`))
			if err != nil {
				t.Fatal(err)
			}
			r, err := e.Client.Do(ctx, http.MethodPost, "/v1/signers", "application/jose+json", j.Flattened(),
				http.Header{"Authorization": {"Bearer " + e.AdminToken}})
			if err != nil {
				t.Fatal(err)
			}
			return r
		}, 409, "conflict"},
		{"RevokedKeyRevokes", func() *client.Response {
			return revocation{signer: "alice", kid: kid2, by: kr}.post(t, e)
		}, 403, "revokedKey"},
		{"RevokedKeySignsEntry", func() *client.Response {
			return submitWith(t, e, kr, `{"late":true}`)
		}, 403, "revokedKey"},
		{"RevokeAnotherSignersKeyUnderOwnName", func() *client.Response {
			return revocation{signer: "alice", kid: kidb, by: k1}.post(t, e)
		}, 403, "forbidden"},
		{"RevokeAnotherSignersKeyUnderItsName", func() *client.Response {
			return revocation{signer: "bob", kid: kidb, by: k1}.post(t, e)
		}, 403, "forbidden"},
		{"RevokeOwnLastActiveKey", func() *client.Response {
			return revocation{signer: "carol", kid: kidc, by: kc}.post(t, e)
		}, 409, "conflict"},
		{"RevokeAlreadyRevokedKey", func() *client.Response {
			return revocation{signer: "alice", kid: kidr, by: k1}.post(t, e)
		}, 409, "conflict"},
		{"RevokeUnknownKey", func() *client.Response {
			return revocation{signer: "alice", kid: other.Public().Thumbprint(), by: k1}.post(t, e)
		}, 400, "unknownKey"},
		{"RevocationSignatureWrong", func() *client.Response {
			return revocation{signer: "alice", kid: kid2, by: k1, flip: true}.post(t, e)
		}, 400, "badSignature"},
		{"RevocationSignedForAnotherKey", func() *client.Response {
			return revocation{signer: "alice", kid: kid2, by: k1, urlKID: kid1}.post(t, e)
		}, 400, "malformed"},
		{"RevocationCompromisedSinceInFuture", func() *client.Response {
			return revocation{signer: "alice", kid: kid2, by: k1, payload: `{"reason":"x","compromised_since":1000}`}.post(t, e)
		}, 400, "malformed"},
		{"RevocationCompromisedSinceNegative", func() *client.Response {
			return revocation{signer: "alice", kid: kid2, by: k1, payload: `{"reason":"x","compromised_since":-1}`}.post(t, e)
		}, 400, "malformed"},
		{"RevocationUnknownMember", func() *client.Response {
			return revocation{signer: "alice", kid: kid2, by: k1, payload: `{"reason":"x","when":"now"}`}.post(t, e)
		}, 400, "malformed"},
		{"OperatorRevocationWithoutToken", func() *client.Response {
			return operatorRevoke(t, e, "carol", kidc, "", `{"reason":"x"}`)
		}, 401, "unauthorized"},
		{"OperatorRevocationWrongToken", func() *client.Response {
			return operatorRevoke(t, e, "carol", kidc, e.AdminToken+"x", `{"reason":"x"}`)
		}, 401, "unauthorized"},
		{"OperatorRevokesUnknownKey", func() *client.Response {
			return operatorRevoke(t, e, "carol", other.Public().Thumbprint(), e.AdminToken, `{"reason":"x"}`)
		}, 400, "unknownKey"},
		{"OperatorRevokesKeyUnderAnotherSigner", func() *client.Response {
			return operatorRevoke(t, e, "carol", kidb, e.AdminToken, `{"reason":"x"}`)
		}, 403, "forbidden"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := keyStateOf(t, e)
			r := tc.send()
			expectProblem(t, tc.name, r, tc.status, tc.ptype)
			if r.Header.Get("Replay-Nonce") == "" {
				t.Errorf("%s: the answer carries no Replay-Nonce", tc.name)
			}
			if after := keyStateOf(t, e); after != before {
				t.Errorf("%s changed the log or the keys: %+v -> %+v", tc.name, before, after)
			}
		})
	}

	// The operator may revoke a signer's last active key, and the log
	// records that the operator did it.
	size := e.Size(t)
	ev := decodeKeyEvent(t, "operator revocation", operatorRevoke(t, e, "carol", kidc, e.AdminToken, `{"reason":"left the company"}`))
	if ev.KID != kidc || ev.LogIndex != size || ev.Status != "revoked" || ev.Signer != "carol" {
		t.Errorf("operator revocation = %+v, want kid %s at %d, revoked", ev, kidc, size)
	}
	rec, err := e.Store.Record(ctx, ev.LogIndex)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Kind != "signer.key_revoked" || rec.Signer != "carol" || rec.KID != "" || rec.Signature != "" || rec.Protected != "" {
		t.Errorf("operator revocation record = %+v, want kind signer.key_revoked with no kid or JWS", rec)
	}
	shown, err := e.Client.Entry(ctx, ev.LogIndex)
	if err != nil {
		t.Fatal(err)
	}
	var p struct {
		Signer, KID, Reason string
		RevokedBy           string `json:"revoked_by"`
	}
	if err := json.Unmarshal(shown.Payload, &p); err != nil || p.RevokedBy != "operator" || p.KID != kidc || p.Signer != "carol" || p.Reason != "left the company" {
		t.Errorf("operator revocation payload = %s, want revoked_by operator for %s", shown.Payload, kidc)
	}
	if shown.KID != "" || shown.JWS == nil || shown.JWS.Protected != "" || shown.JWS.Signature != "" || shown.JWS.Payload == "" {
		t.Errorf("GET operator revocation: kid %q, jws %+v; want no kid, and a jws with only the payload", shown.KID, shown.JWS)
	}
	if v := verifyOf(t, e, ev.LogIndex); !v.Verified || v.Signer.KeyStatus != "operator" {
		t.Errorf("Verify(operator revocation) = %+v", v)
	}
	if k := keyOf(t, signerInfo(t, e, "carol"), kidc); k.Status != "revoked" || k.RevokedBy != "operator" {
		t.Errorf("carol's key after the operator's revocation = %+v", k)
	}
	before := keyStateOf(t, e)
	expectProblem(t, "entry by carol's revoked key", submitWith(t, e, kc, `{"after":"operator"}`), 403, "revokedKey")
	if after := keyStateOf(t, e); after != before {
		t.Errorf("a refused entry changed the log")
	}
}

// TestKeyRevokedByItselfVerifies: a key may sign its own revocation while
// its signer has another active key (the revoking key is active at that
// index), and verify of that revocation record must then say verified:
// the server accepted it, so the log's own check must agree.
func TestKeyRevokedByItselfVerifies(t *testing.T) {
	e := signettest.New(t, signettest.Options{})
	k1, k2 := e.Register(t, "alice"), signettest.Key(t)
	kid2 := k2.Public().Thumbprint()
	decodeKeyEvent(t, "add key", keyChange{signer: "alice", outer: k1, newKey: k2}.post(t, e))
	ev := decodeKeyEvent(t, "self-revocation", revocation{signer: "alice", kid: kid2, by: k2}.post(t, e))
	v := verifyOf(t, e, ev.LogIndex)
	if !v.Verified || !v.Checks["signature"] || v.Signer.KID != kid2 || v.Signer.KeyStatus != "revoked" ||
		v.Signer.RevokedAtIndex == nil || *v.Signer.RevokedAtIndex != ev.LogIndex {
		t.Errorf("Verify(self-revocation at %d) = %+v, want verified, signed by revoked key %s", ev.LogIndex, v, kid2)
	}
	expectProblem(t, "entry after self-revocation", submitWith(t, e, k2, `{"late":true}`), 403, "revokedKey")
}
