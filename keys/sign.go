package keys

import (
	"bytes"
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// Header holds the protected header members Signet uses. Parsing fills it
// from the protected header; [PrivateKey.Sign] builds the protected header
// from it.
type Header struct {
	// Alg is "EdDSA" (RFC 8037) or "Ed25519" (RFC 9864).
	Alg string
	// Kid is the id of the signing key, usually its [PublicKey.Thumbprint].
	Kid string
	// JWK is non-nil when the header carries the signing key itself as
	// "jwk". A header never has both Kid and JWK.
	JWK *PublicKey
	// Nonce is the anti-replay nonce, if any.
	Nonce string
	// URL is the URL the request is addressed to, if any.
	URL string
}

// protectedHeader is the JSON form of a [Header], members in the order
// [PrivateKey.Sign] writes them.
type protectedHeader struct {
	Alg   string `json:"alg"`
	Kid   string `json:"kid,omitempty"`
	JWK   *JWK   `json:"jwk,omitempty"`
	Nonce string `json:"nonce,omitempty"`
	URL   string `json:"url,omitempty"`
}

// Sign signs payload with k and returns the JWS. The protected header is the
// JSON object {"alg":...,"kid":...,"jwk":...,"nonce":...,"url":...} in that
// order, without spaces and without the members whose field in h is empty;
// alg is "EdDSA" when h.Alg is empty. So Header{Alg: "EdDSA"} gives exactly
// {"alg":"EdDSA"}, as in RFC 8037, Appendix A.4.
//
// Sign refuses what the parsers would refuse: an alg other than "EdDSA" or
// "Ed25519" ([ErrBadAlgorithm]), both Kid and JWK, strings that are not
// valid UTF-8, or an empty payload ([ErrMalformed]), an unacceptable h.JWK
// or a zero k ([ErrBadKey]).
func (k PrivateKey) Sign(h Header, payload []byte) (*JWS, error) {
	if !k.valid() {
		return nil, fmt.Errorf("%w: zero PrivateKey", ErrBadKey)
	}
	if h.Alg == "" {
		h.Alg = "EdDSA"
	}
	protected, err := h.marshal()
	if err != nil {
		return nil, err
	}
	if len(payload) == 0 {
		return nil, fmt.Errorf("%w: payload is empty", ErrMalformed)
	}
	j := &JWS{Protected: encodeB64(protected), Payload: encodeB64(payload), Header: h}
	if h.JWK != nil {
		jwk := *h.JWK
		j.Header.JWK = &jwk
	}
	sig := k.sign(j.SigningInput())
	j.Signature = encodeB64(sig)
	j.payload, j.payloadOf, j.sig, j.sigOf = bytes.Clone(payload), j.Payload, sig, j.Signature
	return j, nil
}

// marshal returns the protected header JSON of h, whose Alg is set.
func (h Header) marshal() ([]byte, error) {
	if !allowedAlg(h.Alg) {
		return nil, fmt.Errorf("%w: alg must be \"EdDSA\" or \"Ed25519\"", ErrBadAlgorithm)
	}
	if h.Kid != "" && h.JWK != nil {
		return nil, fmt.Errorf("%w: header has both kid and jwk", ErrMalformed)
	}
	if !utf8.ValidString(h.Kid) || !utf8.ValidString(h.Nonce) || !utf8.ValidString(h.URL) {
		return nil, fmt.Errorf("%w: header string is not valid UTF-8", ErrMalformed)
	}
	ph := protectedHeader{Alg: h.Alg, Kid: h.Kid, Nonce: h.Nonce, URL: h.URL}
	if h.JWK != nil {
		if err := h.JWK.check(); err != nil {
			return nil, err
		}
		jwk := h.JWK.JWK()
		ph.JWK = &jwk
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(ph); err != nil {
		return nil, fmt.Errorf("keys: encoding protected header: %w", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// allowedAlg reports whether alg names Ed25519 signing.
func allowedAlg(alg string) bool {
	return alg == "EdDSA" || alg == "Ed25519"
}
