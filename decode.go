package signet

import (
	"encoding/base64"

	"github.com/signet-ledger/signet/keys"
	"github.com/signet-ledger/signet/registry"
)

// RevokeRequest is the payload of a signed revocation and the body of an
// operator's: {"reason": "...", "compromised_since": N}. Both members are
// optional; no other member is allowed. compromised_since, if present, is
// an integer from 0 to the revocation's own index, and the first index
// from which records signed by the key are suspect (see R21 for who may
// set it how far back).
type RevokeRequest struct {
	Reason           string `json:"reason"`
	CompromisedSince *int64 `json:"compromised_since,omitempty"`
}

// OperatorRevocation is the payload the log writes for a revocation made
// by the operator: a record with no JWS, whose signer is the key's, and
// whose payload has exactly these members (compromised_since only when
// set) with revoked_by "operator".
type OperatorRevocation struct {
	Signer           string `json:"signer"`
	KID              string `json:"kid"`
	Reason           string `json:"reason"`
	CompromisedSince *int64 `json:"compromised_since,omitempty"`
	RevokedBy        string `json:"revoked_by"`
}

// keyChange is the inner payload of a key change.
type keyChange struct {
	Signer *string `json:"signer"`
	OldKID *string `json:"old_kid"`
}

// Decode applies the stateless rules R9 to R15 to a JWS signed for a
// record of kind k, which the JWS parser has accepted (R8), and returns
// what it means. An entry's signer is its key's: set it with
// [Event.Bind].
func Decode(k Kind, j *keys.JWS) (*Event, error) {
	e := &Event{Kind: k, JWS: j, Nonce: j.Header.Nonce}
	path, err := kindPath(e, j.Header.URL)
	if err != nil {
		return nil, err
	}
	if e.Nonce == "" {
		return nil, broke(RuleNonce, ErrBadNonce, "the protected header has no nonce")
	}
	if err := keyHeader(e, j.Header); err != nil {
		return nil, err
	}
	payload := j.PayloadBytes()
	switch k {
	case KindEntry:
		if err := CheckEntryPayload(payload); err != nil {
			return nil, wrapRule(RuleEntryPayload, err)
		}
	case KindRegistered:
		err = decodeRegistration(e, payload)
	case KindKeyAdded:
		err = decodeKeyChange(e, payload)
	case KindKeyRevoked:
		err = decodeRevocation(e, payload, path)
	}
	if err != nil {
		return nil, err
	}
	return e, nil
}

// kindPath applies R9: the url's path is k's path. It sets e.Signer from
// the path of a key change or revocation and returns the path.
func kindPath(e *Event, u string) (string, error) {
	if u == "" {
		return "", broke(RuleURL, ErrMalformed, "the protected header has no url")
	}
	p, ok := URLPath(u)
	switch {
	case !ok:
		return "", broke(RuleURL, ErrMalformed, "the protected url %q is not a URL", trunc(u))
	case e.Kind == KindEntry && p == EntriesPath, e.Kind == KindRegistered && p == SignersPath:
		return p, nil
	case e.Kind == KindKeyAdded:
		if e.Signer, ok = parseKeysPath(p); ok {
			return p, nil
		}
	case e.Kind == KindKeyRevoked:
		if e.Signer, _, ok = parseRevokePath(p); ok {
			return p, nil
		}
	}
	return "", broke(RuleURL, ErrMalformed, "the protected url's path %q is not the path of a %s request, %s",
		trunc(p), e.Kind, kindPathForm[e.Kind])
}

var kindPathForm = map[Kind]string{
	KindEntry: EntriesPath, KindRegistered: SignersPath,
	KindKeyAdded: KeysPath("{signer}"), KindKeyRevoked: RevokePath("{signer}", "{kid}"),
}

// keyHeader applies R11: a registration carries its key in jwk, every
// other request names a key by kid, in the form of a key thumbprint.
func keyHeader(e *Event, h keys.Header) error {
	if e.Kind == KindRegistered {
		if h.JWK == nil || h.Kid != "" {
			return broke(RuleKeyHeader, ErrMalformed, "the protected header must carry the new key in jwk, and no kid")
		}
		pub := *h.JWK
		e.NewKey, e.KID = &pub, pub.Thumbprint()
		return nil
	}
	if h.Kid == "" || h.JWK != nil {
		return broke(RuleKeyHeader, ErrMalformed, "the protected header must name a registered key by kid, and carry no jwk")
	}
	if !keys.IsThumbprint(h.Kid) {
		return broke(RuleKeyHeader, ErrMalformed, "the kid %q is not a key thumbprint (43 base64url characters)", trunc(h.Kid))
	}
	e.KID = h.Kid
	return nil
}

// decodeRegistration applies R13: {"signer": "<id>", ...}, other
// members allowed.
func decodeRegistration(e *Event, p []byte) error {
	var r struct {
		Signer *string `json:"signer"`
	}
	if err := decodeKeyEvent(p, &r, true); err != nil {
		return wrapRule(RuleRegistration, err)
	}
	if r.Signer == nil {
		return broke(RuleRegistration, ErrMalformed, `the payload must have a "signer" member`)
	}
	if err := registry.CheckSignerID(*r.Signer); err != nil {
		return wrapRule(RuleRegistration, err)
	}
	e.Signer = *r.Signer
	return nil
}

// decodeKeyChange applies R14 to a key change's payload: the new key's
// JWS in flattened JSON, carrying the new key in jwk, no kid and no nonce,
// the outer url, and the payload {"signer": <signer>, "old_kid": <outer
// kid>}, signed by the new key.
func decodeKeyChange(e *Event, p []byte) error {
	if len(p) > MaxKeyEventPayload {
		return broke(RuleKeyChange, ErrMalformed, "the payload has %d bytes, limit %d", len(p), MaxKeyEventPayload)
	}
	inner, err := keys.ParseFlattened(p)
	if err != nil {
		return broke(RuleKeyChange, err, "%v (the payload must be the new key's JWS in flattened JSON serialization)", err)
	}
	h := inner.Header
	switch {
	case h.JWK == nil || h.Kid != "":
		return broke(RuleKeyChange, ErrMalformed, "the inner JWS must carry the new key in jwk, and no kid")
	case h.Nonce != "":
		return broke(RuleKeyChange, ErrMalformed, "the inner JWS must not carry a nonce")
	case h.URL != e.JWS.Header.URL:
		return broke(RuleKeyChange, ErrMalformed, "the inner JWS's url must equal the outer JWS's url")
	}
	var c keyChange
	if err := decodeKeyEvent(inner.PayloadBytes(), &c, false); err != nil {
		return wrapRule(RuleKeyChange, err)
	}
	switch {
	case c.Signer == nil || c.OldKID == nil:
		return broke(RuleKeyChange, ErrMalformed, `the inner payload must have "signer" and "old_kid"`)
	case *c.Signer != e.Signer:
		return broke(RuleKeyChange, ErrMalformed, "the inner JWS names signer %q, not %q", trunc(*c.Signer), e.Signer)
	case *c.OldKID != e.KID:
		return broke(RuleKeyChange, ErrMalformed, "the inner JWS's old_kid is not the kid of the outer JWS")
	}
	if err := inner.Verify(*h.JWK); err != nil {
		return broke(RuleKeyChange, err, "%v (inner JWS, signed by the new key)", err)
	}
	pub := *h.JWK
	e.NewKey = &pub
	return nil
}

// decodeRevocation applies R15 to a signed revocation: a [RevokeRequest]
// payload, and a url naming the key revoked.
func decodeRevocation(e *Event, p []byte, path string) error {
	r, err := DecodeRevokeRequest(p)
	if err != nil {
		return err
	}
	_, kid, _ := parseRevokePath(path) // kindPath checked it
	e.Revoke = &Revocation{KID: kid, Reason: r.Reason, CompromisedSince: r.CompromisedSince}
	return nil
}

// DecodeRevokeRequest applies R15's payload rules to a revocation's
// payload or an operator's request body.
func DecodeRevokeRequest(p []byte) (*RevokeRequest, error) {
	var r RevokeRequest
	if err := decodeKeyEvent(p, &r, false); err != nil {
		return nil, wrapRule(RuleRevocation, err)
	}
	if cs := r.CompromisedSince; cs != nil && *cs < 0 {
		return nil, broke(RuleRevocation, ErrMalformed, "compromised_since %d is negative", *cs)
	}
	return &r, nil
}

// DecodeRecord applies R2, R8 to R16 and the record's own fields to a
// stored record: its JWS (or, for an operator's revocation, its payload)
// is decoded as [Decode] does, and must name the record's signer and kid.
func DecodeRecord(rec *Record) (*Event, error) {
	if _, err := ParseKind(string(rec.Kind)); err != nil {
		return nil, wrapRule(RuleKind, err)
	}
	if rec.Protected == "" && rec.Signature == "" {
		return decodeOperator(rec)
	}
	j, err := rec.JWS()
	if err != nil {
		return nil, wrapRule(RuleJWS, err)
	}
	e, err := Decode(rec.Kind, j)
	if err != nil {
		return nil, err
	}
	if rec.Kind == KindEntry {
		e.Bind(rec.Signer)
	}
	switch {
	case e.Signer != rec.Signer:
		r := RuleURL
		if rec.Kind == KindRegistered {
			r = RuleRegistration
		}
		return nil, broke(r, ErrMalformed, "the JWS is for signer %q, but the record's signer is %q", e.Signer, trunc(rec.Signer))
	case e.KID != rec.KID:
		return nil, broke(RuleKeyHeader, ErrMalformed, "the JWS is signed by key %s, but the record's kid is %q", e.KID, trunc(rec.KID))
	}
	return e, nil
}

// decodeOperator applies R16 to a record without a JWS: it must be a
// revocation with no kid, whose payload is an [OperatorRevocation] for
// the record's signer.
func decodeOperator(rec *Record) (*Event, error) {
	if rec.Kind != KindKeyRevoked || rec.KID != "" {
		return nil, broke(RuleJWS, ErrMalformed, "a record without a JWS must be an operator's revocation, with no kid")
	}
	p, err := base64.RawURLEncoding.Strict().DecodeString(rec.Payload)
	if err != nil || base64.RawURLEncoding.EncodeToString(p) != rec.Payload {
		return nil, broke(RuleOperator, ErrMalformed, "the payload is not canonical unpadded base64url")
	}
	var o OperatorRevocation
	if err := decodeKeyEvent(p, &o, false); err != nil {
		return nil, wrapRule(RuleOperator, err)
	}
	switch {
	case o.RevokedBy != registry.Operator:
		return nil, broke(RuleOperator, ErrMalformed, "revoked_by must be %q", registry.Operator)
	case o.Signer != rec.Signer:
		return nil, broke(RuleOperator, ErrMalformed, "the payload names signer %q, but the record's signer is %q", trunc(o.Signer), trunc(rec.Signer))
	case o.KID == "":
		return nil, broke(RuleOperator, ErrMalformed, "the payload names no kid")
	case o.CompromisedSince != nil && *o.CompromisedSince < 0:
		return nil, broke(RuleOperator, ErrMalformed, "compromised_since %d is negative", *o.CompromisedSince)
	}
	return &Event{Kind: KindKeyRevoked, Signer: o.Signer,
		Revoke: &Revocation{KID: o.KID, Reason: o.Reason, CompromisedSince: o.CompromisedSince}}, nil
}
