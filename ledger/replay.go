package ledger

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"

	"github.com/signet-ledger/signet/keys"
	"github.com/signet-ledger/signet/registry"
)

// JWS returns the record's JWS, parsed from its stored parts. Operator
// records have none: the error says so.
func (r *Record) JWS() (*keys.JWS, error) {
	if r.Signature == "" {
		return nil, fmt.Errorf("ledger: record %d was made by the operator and has no JWS", r.Index)
	}
	b, _ := json.Marshal(map[string]string{"protected": r.Protected, "payload": r.Payload, "signature": r.Signature})
	return keys.ParseFlattened(b)
}

// PayloadJSON returns the record's payload: the JSON the JWS signed, or for
// an operator record the JSON the server wrote.
func (r *Record) PayloadJSON() ([]byte, error) {
	return base64.RawURLEncoding.Strict().DecodeString(r.Payload)
}

// Replay applies rec to st as the sequencer did when it appended rec,
// re-deriving the registry change from the record's own bytes: the key
// carried in a registration's jwk, the inner JWS of a key change, the url
// path or operator payload of a revocation. It checks the record's
// signature with the key the registry holds for its kid at its index.
// Replaying a log's records in order rebuilds its registry.
func Replay(st *registry.State, rec *Record) error { return replay(st, rec, &Batch{}) }

// replay is Replay, adding the registry changes to b as the sequencer does.
func replay(st *registry.State, rec *Record, b *Batch) error {
	if rec.Kind == KindKeyRevoked && rec.Signature == "" {
		return replayOperator(st, rec, b)
	}
	j, err := rec.JWS()
	if err != nil {
		return err
	}
	o, pub, err := recordOp(rec, j)
	if err != nil {
		return err
	}
	if rec.Kind != KindRegistered {
		k, err := st.Signing(rec.KID, rec.Index)
		if err != nil {
			return err
		}
		pub = k.PublicKey
	}
	if j.Header.Kid != rec.KID && rec.Kind != KindRegistered {
		return fmt.Errorf("ledger: record %d: protected kid is not the record's kid", rec.Index)
	}
	if err := j.Verify(pub); err != nil {
		return fmt.Errorf("ledger: record %d: %w", rec.Index, err)
	}
	return o.apply(st, rec, b)
}

// recordOp derives the registry operation of a signed record, and for a
// registration the key that signed it.
func recordOp(rec *Record, j *keys.JWS) (op, keys.PublicKey, error) {
	switch rec.Kind {
	case KindEntry:
		return entryOp{}, keys.PublicKey{}, nil
	case KindRegistered:
		if j.Header.JWK == nil || j.Header.JWK.Thumbprint() != rec.KID {
			return nil, keys.PublicKey{}, fmt.Errorf("ledger: record %d: the registration's jwk is not key %s", rec.Index, rec.KID)
		}
		var p struct{ Signer string }
		if json.Unmarshal(j.PayloadBytes(), &p) != nil || p.Signer != rec.Signer {
			return nil, keys.PublicKey{}, fmt.Errorf("ledger: record %d: the registration's payload does not name signer %q", rec.Index, rec.Signer)
		}
		return registerOp{*j.Header.JWK}, *j.Header.JWK, nil
	case KindKeyAdded:
		inner, err := keys.ParseFlattened(j.PayloadBytes())
		if err != nil || inner.Header.JWK == nil {
			return nil, keys.PublicKey{}, fmt.Errorf("ledger: record %d: no inner JWS with a jwk", rec.Index)
		}
		s := Signed{JWS: j, Path: urlPath(j.Header.URL)}
		pub, err := checkInner(inner, s, rec.Signer, DefaultPayloadRules)
		return addKeyOp{pub}, keys.PublicKey{}, err
	case KindKeyRevoked:
		var r RevokeRequest
		if err := json.Unmarshal(j.PayloadBytes(), &r); err != nil {
			return nil, keys.PublicKey{}, fmt.Errorf("ledger: record %d: bad revocation payload", rec.Index)
		}
		kid, ok := revokedKID(j.Header.URL, rec.Signer)
		if !ok {
			return nil, keys.PublicKey{}, fmt.Errorf("ledger: record %d: the revocation's url names no key of %q", rec.Index, rec.Signer)
		}
		return revokeOp{kid: kid, reason: r.Reason, compromisedSince: r.CompromisedSince}, keys.PublicKey{}, nil
	}
	return nil, keys.PublicKey{}, fmt.Errorf("ledger: record %d: unknown kind %q", rec.Index, rec.Kind)
}

func replayOperator(st *registry.State, rec *Record, b *Batch) error {
	p, err := rec.PayloadJSON()
	var r OperatorRevocation
	if err != nil || json.Unmarshal(p, &r) != nil || r.Signer != rec.Signer || r.RevokedBy != registry.Operator || rec.KID != "" {
		return fmt.Errorf("ledger: record %d: bad operator revocation", rec.Index)
	}
	return revokeOp{kid: r.KID, reason: r.Reason, compromisedSince: r.CompromisedSince}.apply(st, rec, b)
}

// RevokePath is the URL path of the revocation of signer's key kid.
func RevokePath(signer, kid string) string {
	return "/v1/signers/" + signer + "/keys/" + kid + "/revoke"
}

// revokedKID extracts the revoked kid from a revocation's url.
func revokedKID(u, signer string) (string, bool) {
	rest, ok := strings.CutPrefix(urlPath(u), "/v1/signers/"+signer+"/keys/")
	if !ok {
		return "", false
	}
	kid, ok := strings.CutSuffix(rest, "/revoke")
	return kid, ok && kid != "" && !strings.Contains(kid, "/")
}

func urlPath(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return ""
	}
	return p.Path
}
