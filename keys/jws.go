package keys

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// JWS is one JSON Web Signature with its three parts exactly as received,
// as canonical unpadded base64url strings, and its decoded protected header.
//
// A JWS from [ParseFlattened], [ParseCompact] or [PrivateKey.Sign] obeys
// every rule in the package documentation. Its signature is not yet
// checked: call [JWS.Verify].
type JWS struct {
	Protected string
	Payload   string
	Signature string
	Header    Header

	// payload and sig are Payload and Signature decoded, kept by the
	// parsers so that nothing on the request path decodes them again.
	// payloadOf and sigOf are the strings they were decoded from: a JWS
	// whose fields were changed after parsing decodes them afresh.
	payload, sig     []byte
	payloadOf, sigOf string
}

// flattened is the flattened JSON serialization (RFC 7515, Section 7.2.2).
type flattened struct {
	Protected string `json:"protected"`
	Payload   string `json:"payload"`
	Signature string `json:"signature"`
}

// rawFlattened is a flattened JWS as decoded, member by member. The
// members of other serializations are named so that their presence gets
// its own error; any other member is refused.
type rawFlattened struct {
	Protected  member
	Payload    member
	Signature  member
	Signatures member
	Header     member
}

// field returns the member of r named name, or nil.
func (r *rawFlattened) field(name []byte) *member {
	switch string(name) {
	case "protected":
		return &r.Protected
	case "payload":
		return &r.Payload
	case "signature":
		return &r.Signature
	case "signatures":
		return &r.Signatures
	case "header":
		return &r.Header
	}
	return nil
}

// ParseFlattened parses the flattened JSON serialization of a JWS,
// {"protected":"...","payload":"...","signature":"..."}. All three members
// are required and no other is allowed: the general serialization
// ("signatures"), an unprotected "header" and unknown members are refused,
// as are duplicate member names. The parts follow the rules in the package
// documentation.
func ParseFlattened(body []byte) (*JWS, error) {
	var r rawFlattened
	if err := decodeObject(body, r.field, true); err != nil {
		if errors.Is(err, errUnknownMember) {
			return nil, fmt.Errorf("%w: unknown member in flattened JWS", ErrMalformed)
		}
		return nil, err
	}
	switch {
	case r.Signatures.present:
		return nil, fmt.Errorf("%w: general JWS serialization is not accepted", ErrMalformed)
	case r.Header.present:
		return nil, fmt.Errorf("%w: unprotected header is not accepted", ErrMalformed)
	}
	var parts [3]string
	for i, m := range []struct {
		name string
		m    member
	}{{"protected", r.Protected}, {"payload", r.Payload}, {"signature", r.Signature}} {
		s, ok := m.m.str()
		if !ok {
			return nil, fmt.Errorf("%w: %s is missing or not a string", ErrMalformed, m.name)
		}
		parts[i] = s
	}
	return parseParts(parts)
}

// ParseCompact parses the compact serialization of a JWS, three base64url
// parts joined by dots. Surrounding spaces, tabs and line breaks are
// trimmed; nothing else is. The parts follow the rules in the package
// documentation.
func ParseCompact(body []byte) (*JWS, error) {
	body = bytes.Trim(body, " \t\r\n")
	parts := strings.Split(string(body), ".")
	if len(parts) != 3 {
		return nil, fmt.Errorf("%w: compact JWS does not have three parts", ErrMalformed)
	}
	return parseParts([3]string(parts))
}

// parseParts checks the protected header, payload and signature, in that
// order, so that a foreign algorithm is reported as such whatever its
// signature looks like.
func parseParts(parts [3]string) (*JWS, error) {
	j := &JWS{Protected: parts[0], Payload: parts[1], Signature: parts[2]}
	protected, ok := decodeB64(j.Protected)
	if !ok {
		return nil, fmt.Errorf("%w: protected header is not canonical unpadded base64url", ErrMalformed)
	}
	h, err := parseHeader(protected)
	if err != nil {
		return nil, err
	}
	j.Header = h
	payload, ok := decodeB64(j.Payload)
	if !ok || len(payload) == 0 {
		return nil, fmt.Errorf("%w: payload is empty or not canonical unpadded base64url", ErrMalformed)
	}
	sig, ok := decodeB64(j.Signature)
	if !ok || len(sig) != ed25519.SignatureSize {
		return nil, fmt.Errorf("%w: signature is not 64 bytes of canonical unpadded base64url", ErrMalformed)
	}
	j.payload, j.payloadOf, j.sig, j.sigOf = payload, j.Payload, sig, j.Signature
	return j, nil
}

// PayloadBytes returns the decoded payload, or nil if j.Payload is not
// canonical base64url (never so for a parsed or signed JWS). The bytes
// may be shared with j and must not be modified.
func (j *JWS) PayloadBytes() []byte {
	if j.payload != nil && j.payloadOf == j.Payload {
		return j.payload
	}
	b, _ := decodeB64(j.Payload)
	return b
}

// signatureBytes is Signature decoded, and whether it is canonical
// base64url.
func (j *JWS) signatureBytes() ([]byte, bool) {
	if j.sig != nil && j.sigOf == j.Signature {
		return j.sig, true
	}
	return decodeB64(j.Signature)
}

// BatchEntry returns j's signature under k as an entry for [VerifyBatch],
// whose verdict for it is then whether [JWS.Verify] with k's key returns
// nil. A signature that is not canonical base64url is left empty, which
// VerifyBatch refuses.
func (j *JWS) BatchEntry(k *BatchKey) BatchEntry {
	sig, ok := j.signatureBytes()
	if !ok {
		sig = nil
	}
	return BatchEntry{Key: k, Message: j.SigningInput(), Signature: sig}
}

// SigningInput returns the bytes the signature covers,
// j.Protected + "." + j.Payload (RFC 7515, Section 5.2).
func (j *JWS) SigningInput() []byte {
	return []byte(j.Protected + "." + j.Payload)
}

// Verify checks the Ed25519 signature of j under k over the parts exactly as
// received. It returns nil if the signature is valid, an error wrapping
// [ErrBadSignature] if it is not, [ErrBadKey] if k is not an acceptable
// public key, and [ErrMalformed] if j.Signature is not 64 bytes of
// canonical base64url (never so for a parsed JWS). Verify checks nothing
// but the signature: j should come from [ParseFlattened], [ParseCompact] or
// [PrivateKey.Sign], which checked the rest.
func (j *JWS) Verify(k PublicKey) error {
	sig, ok := j.signatureBytes()
	ok = ok && len(sig) == ed25519.SignatureSize
	// The fast path: a good signature proves k is on the curve (see
	// checkEncoding), which saves check's point decoding, a fifth of the
	// cost of a verification. Any failure takes the slow path, which
	// reports it exactly as checking k first would.
	if ok && k.checkEncoding() == nil && ed25519.Verify(k[:], j.SigningInput(), sig) {
		return nil
	}
	if err := k.check(); err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("%w: signature is not 64 bytes of canonical unpadded base64url", ErrMalformed)
	}
	return fmt.Errorf("%w: Ed25519 signature does not verify under the key", ErrBadSignature)
}

// Flattened returns the flattened JSON serialization of j,
// {"protected":"...","payload":"...","signature":"..."}, which
// [ParseFlattened] parses back to the same parts.
func (j *JWS) Flattened() []byte {
	// A struct of strings always marshals.
	b, _ := json.Marshal(flattened{Protected: j.Protected, Payload: j.Payload, Signature: j.Signature})
	return b
}

// Compact returns the compact serialization of j,
// j.Protected + "." + j.Payload + "." + j.Signature, which [ParseCompact]
// parses back to the same parts.
func (j *JWS) Compact() []byte {
	return []byte(j.Protected + "." + j.Payload + "." + j.Signature)
}
