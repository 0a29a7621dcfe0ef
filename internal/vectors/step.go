package vectors

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"fmt"

	"github.com/signet-ledger/signet"
	"github.com/signet-ledger/signet/keys"
	"github.com/signet-ledger/signet/registry"
)

// Step is one request of a scenario, described so that it can be built
// for any server (its base URL) and any nonce: offline for an export,
// online against a real server. The zero values of the optional fields
// give a valid request.
type Step struct {
	Kind   signet.Kind
	Signer string // the record's signer: the one the path names, or an entry's
	Key    *Key   // signs the JWS (the outer one of a key change); nil for the operator
	KID    string // a revocation's target key
	// Payload returns the signed payload, or the operator's request body,
	// for a server at base.
	Payload func(base string) []byte

	// Optional changes, each of which breaks a rule.
	URLPath       string              // the protected url's path instead of the endpoint's
	JWKHeader     bool                // carry Key in jwk instead of naming it by kid
	NoNonce       bool                // no protected nonce
	ReuseNonce    bool                // the nonce of the previous signed step
	Protected     func([]byte) []byte // edits the protected header's JSON
	FlipSignature bool                // change one bit of the signature
	// Operator makes the step a revocation by the operator, with no JWS:
	// Payload is the request body, and the record's payload the
	// [signet.OperatorRevocation] the server writes, or RecordPayload.
	Operator      bool
	RecordPayload []byte
}

// Path returns the endpoint the request is posted to.
func (s *Step) Path() string {
	switch s.Kind {
	case signet.KindRegistered:
		return signet.SignersPath
	case signet.KindKeyAdded:
		return signet.KeysPath(s.Signer)
	case signet.KindKeyRevoked:
		return signet.RevokePath(s.Signer, s.KID)
	}
	return signet.EntriesPath
}

// Request is a step built for one server.
type Request struct {
	Path        string
	ContentType string
	Admin       bool   // needs the admin token
	Body        []byte // flattened JWS, or the operator's JSON
	JWS         *keys.JWS
	Nonce       string
}

// Request builds the step's request for the server at base with nonce.
func (s *Step) Request(base, nonce string) (*Request, error) {
	payload := s.Payload(base)
	if s.Operator {
		return &Request{Path: s.Path(), ContentType: "application/json", Admin: true, Body: payload}, nil
	}
	u := s.URLPath
	if u == "" {
		u = s.Path()
	}
	h := keys.Header{URL: base + u}
	if !s.NoNonce {
		h.Nonce = nonce
	}
	if pub := s.Key.Public(); s.Kind == signet.KindRegistered || s.JWKHeader {
		h.JWK = &pub
	} else {
		h.Kid = s.Key.KID()
	}
	j, err := s.Key.Priv.Sign(h, payload)
	if err != nil {
		return nil, fmt.Errorf("vectors: signing: %w", err)
	}
	if s.Protected != nil {
		p, _ := base64.RawURLEncoding.DecodeString(j.Protected)
		j = s.Key.signRaw(s.Protected(p), payload)
	}
	if s.FlipSignature {
		sig, _ := base64.RawURLEncoding.DecodeString(j.Signature)
		sig[0] ^= 1
		j.Signature = base64.RawURLEncoding.EncodeToString(sig)
	}
	return &Request{Path: s.Path(), ContentType: "application/jose+json", Admin: s.Kind == signet.KindRegistered,
		Body: j.Flattened(), JWS: j, Nonce: h.Nonce}, nil
}

// signRaw signs protected and payload as they are, bypassing the checks
// of package keys.
func (k *Key) signRaw(protected, payload []byte) *keys.JWS {
	j := &keys.JWS{Protected: b64(protected), Payload: b64(payload)}
	j.Signature = b64(ed25519.Sign(k.raw, []byte(j.Protected+"."+j.Payload)))
	return j
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// record returns the record the log would write for req, unsequenced.
func (s *Step) record(req *Request) (*signet.Record, error) {
	if s.Operator {
		p := s.RecordPayload
		if p == nil {
			var r signet.RevokeRequest
			if err := json.Unmarshal(req.Body, &r); err != nil {
				return nil, fmt.Errorf("vectors: operator body: %w", err)
			}
			p, _ = json.Marshal(signet.OperatorRevocation{Signer: s.Signer, KID: s.KID, Reason: r.Reason,
				CompromisedSince: r.CompromisedSince, RevokedBy: registry.Operator})
		}
		return &signet.Record{Kind: signet.KindKeyRevoked, Signer: s.Signer, Payload: b64(p)}, nil
	}
	j := req.JWS
	return &signet.Record{Kind: s.Kind, Signer: s.Signer, KID: s.Key.KID(), Nonce: req.Nonce,
		Protected: j.Protected, Payload: j.Payload, Signature: j.Signature}, nil
}
