package vectors

import (
	"bytes"

	"github.com/signet-ledger/signet"
)

// entry2 is the payload of the offending entry of most request-level
// vectors.
const entry2 = `{"journal_id":"JE-0002","amount":"20.00"}`

// bad is a request-level vector: valid steps, then the offending one.
func bad(name string, r signet.Rule, desc string, steps ...Step) Scenario {
	return Scenario{Name: name, Rule: r, Description: desc, Steps: steps}
}

// withKeyA2 is the prelude and alice's key change to A2 (record 3).
func withKeyA2(more ...Step) []Step {
	return prelude(append([]Step{addKey("alice", A1, A2, inner{})}, more...)...)
}

// requestLevel are the vectors of R8 to R22: each the control prelude,
// perhaps a few valid steps, and one request the server must refuse,
// written to the log as if it had been accepted.
func requestLevel() []Scenario {
	e := func(edit func(*Step)) Step {
		s := entry("alice", A1, entry2)
		edit(&s)
		return s
	}
	return []Scenario{
		bad("r8-crit-header", signet.RuleJWS, `alice's entry has a "crit" member in its protected header`, prelude(e(func(s *Step) {
			s.Protected = func(p []byte) []byte { return bytes.Replace(p, []byte(`{`), []byte(`{"crit":["exp"],"exp":1,`), 1) }
		}))...),
		{Name: "r8-entry-without-jws", Rule: signet.RuleJWS, Index: 3, Steps: prelude(entry("alice", A1, entry2)),
			Records: func(x *Export) {
				x.Records[3].Protected, x.Records[3].Signature = "", ""
				x.Reseal(3)
			},
			Description: "record 3 is an entry with empty protected and signature: only an operator's revocation has no JWS"},
		bad("r9-entry-url-signers", signet.RuleURL, "alice's entry is signed for the url of /v1/signers, another endpoint",
			prelude(e(func(s *Step) { s.URLPath = signet.SignersPath }))...),
		bad("r9-entry-url-batch", signet.RuleURL, "alice's entry is signed for the url of /v1/entries:batch: each entry of a batch is signed for /v1/entries",
			prelude(e(func(s *Step) { s.URLPath = "/v1/entries:batch" }))...),
		bad("r9-revocation-as-entry", signet.RuleURL, "a revocation request of alice's key A1, signed by A2 for /v1/signers/alice/keys/{A1}/revoke, stored as kind entry",
			withKeyA2(Step{Kind: signet.KindEntry, Signer: "alice", Key: A2, URLPath: signet.RevokePath("alice", A1.KID()),
				Payload: text(`{"reason":"compromised"}`)})...),
		bad("r10-no-nonce", signet.RuleNonce, "alice's entry has no protected nonce",
			prelude(e(func(s *Step) { s.NoNonce = true }))...),
		bad("r11-entry-with-jwk", signet.RuleKeyHeader, "alice's entry carries her key in jwk instead of naming it by kid",
			prelude(e(func(s *Step) { s.JWKHeader = true }))...),
		bad("r11-kid-not-thumbprint", signet.RuleKeyHeader, "alice's entry names its key by a kid of 64 characters: a kid has the form of a thumbprint, 43 base64url characters",
			prelude(e(func(s *Step) {
				s.Protected = func(p []byte) []byte {
					return bytes.Replace(p, []byte(A1.KID()), []byte(A1.KID()+"AAAAAAAAAAAAAAAAAAAAA"), 1)
				}
			}))...),
		bad("r12-duplicate-member", signet.RuleFormat, `alice's entry payload has the member "amount" twice, with different values: the export line shows it, so the line is not strict JSON (R1, checked before R12); the server refuses the request under R12`,
			prelude(entry("alice", A1, `{"journal_id":"JE-0002","amount":"1.00","amount":"1000000.00"}`))...),
		bad("r12-not-an-object", signet.RuleEntryPayload, "alice's entry payload is a JSON array, not an object",
			prelude(entry("alice", A1, `["JE-0002","20.00"]`))...),
		bad("r13-no-signer", signet.RuleRegistration, `a registration of carol whose payload has no "signer" member`,
			prelude(Step{Kind: signet.KindRegistered, Signer: "carol", Key: NewKey("carol-1"), Payload: text(`{"name":"carol"}`)})...),
		bad("r14-inner-wrong-key", signet.RuleKeyChange, "alice's key change to A2, whose inner JWS carries A2 in jwk but is signed by mallory's key",
			prelude(addKey("alice", A1, A2, inner{by: M}))...),
		bad("r14-inner-old-kid", signet.RuleKeyChange, "alice's key change to A2, whose inner old_kid is bob's key, not the outer JWS's kid",
			prelude(addKey("alice", A1, A2, inner{oldKID: ptr(B1.KID())}))...),
		bad("r14-inner-nonce", signet.RuleKeyChange, "alice's key change to A2, whose inner JWS has a nonce",
			prelude(addKey("alice", A1, A2, inner{nonce: "vectors-inner-nonce"}))...),
		bad("r15-extra-member", signet.RuleRevocation, `alice's revocation of A1, signed by A2, with a member "effective" besides reason and compromised_since`,
			withKeyA2(revoke("alice", A2, A1.KID(), `{"reason":"rotated","effective":"now"}`))...),
		bad("r15-negative-compromised-since", signet.RuleRevocation, "alice's revocation of A1, signed by A2, with compromised_since -1",
			withKeyA2(revoke("alice", A2, A1.KID(), `{"reason":"rotated","compromised_since":-1}`))...),
		bad("r16-operator-extra-member", signet.RuleOperator, `an operator's revocation of alice's A1 whose payload has a member "ticket" besides signer, kid, reason, compromised_since and revoked_by`,
			withKeyA2(operatorWith("alice", A1.KID(), `{"reason":"compromised","ticket":"OPS-1"}`,
				`{"signer":"alice","kid":"`+A1.KID()+`","reason":"compromised","revoked_by":"operator","ticket":"OPS-1"}`))...),
		bad("r16-revoked-by-not-operator", signet.RuleOperator, `a revocation of alice's A1 with no JWS whose payload says revoked_by "alice"`,
			withKeyA2(operatorWith("alice", A1.KID(), `{"reason":"compromised"}`,
				`{"signer":"alice","kid":"`+A1.KID()+`","reason":"compromised","revoked_by":"alice"}`))...),
		bad("r17-revoked-key", signet.RuleKeyState, "an entry signed by alice's key A1 after A2 revoked it (record 4)",
			withKeyA2(revoke("alice", A2, A1.KID(), `{"reason":"rotated"}`), entry("alice", A1, entry2))...),
		bad("r17-other-signers-key", signet.RuleKeyState, "a record of signer alice whose entry is signed by bob's key",
			prelude(entry("alice", B1, entry2))...),
		bad("r17-unknown-key", signet.RuleKeyState, "alice's entry signed by mallory's key, which was never registered",
			prelude(entry("alice", M, entry2))...),
		bad("r17-key-change-by-other-signer", signet.RuleKeyState, "a key change adding A2 to alice, authorised by bob's key",
			prelude(addKey("alice", B1, A2, inner{}))...),
		bad("r18-bad-signature", signet.RuleSignature, "alice's entry with one bit of its signature changed",
			prelude(e(func(s *Step) { s.FlipSignature = true }))...),
		bad("r19-signer-registered-twice", signet.RuleNewSigner, "a second registration of alice, with mallory's key",
			prelude(register("alice", M))...),
		bad("r19-key-already-registered", signet.RuleNewSigner, "a registration of carol with alice's key A1",
			prelude(register("carol", A1))...),
		bad("r20-key-already-registered", signet.RuleNewKey, "alice's key change adding bob's key B1",
			prelude(addKey("alice", A1, B1, inner{}))...),
		bad("r21-stolen-newer-key", signet.RuleRevokeTarget, "A2, added at index 3, revokes alice's older A1 with compromised_since 1: a key may not declare another compromised from before it existed (a stolen newer key must not erase history)",
			withKeyA2(revoke("alice", A2, A1.KID(), `{"reason":"compromised","compromised_since":1}`))...),
		bad("r21-compromised-since-beyond-index", signet.RuleRevokeTarget, "A2 revokes A1 at index 4 with compromised_since 9, beyond the revocation's own index",
			withKeyA2(revoke("alice", A2, A1.KID(), `{"reason":"compromised","compromised_since":9}`))...),
		bad("r21-last-key", signet.RuleRevokeTarget, "bob revokes his only key with that key",
			prelude(revoke("bob", B1, B1.KID(), `{"reason":"retired"}`))...),
		bad("r21-already-revoked", signet.RuleRevokeTarget, "the operator revokes alice's A1, which A2 revoked at index 4",
			withKeyA2(revoke("alice", A2, A1.KID(), `{"reason":"rotated"}`), operatorRevoke("alice", A1.KID(), `{"reason":"again"}`))...),
		bad("r21-unknown-key", signet.RuleRevokeTarget, "the operator revokes a key of alice's that was never registered (mallory's)",
			prelude(operatorRevoke("alice", M.KID(), `{"reason":"compromised"}`))...),
		bad("r22-duplicate-nonce", signet.RuleNonceUnique, "alice's second entry reuses the nonce of her first (record 2)",
			prelude(e(func(s *Step) { s.ReuseNonce = true }))...),
	}
}

// operatorWith is an operator's revocation posted with body and stored
// with the record payload stored.
func operatorWith(signer, kid, body, stored string) Step {
	s := operatorRevoke(signer, kid, body)
	s.RecordPayload = []byte(stored)
	return s
}
