package keys

import (
	"fmt"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// rawHeader is a protected header as decoded, member by member. Members
// it does not name are ignored.
type rawHeader struct {
	Alg   member    `json:"alg"`
	Kid   member    `json:"kid"`
	JWK   headerJWK `json:"jwk"`
	Nonce member    `json:"nonce"`
	URL   member    `json:"url"`
	Typ   member    `json:"typ"`
	Cty   member    `json:"cty"`
	Crit  member    `json:"crit"`
	B64   member    `json:"b64"`
	X5c   member    `json:"x5c"`
}

// headerJWK is the jwk member of a header, decoded in the same pass as the
// header when it is an object.
type headerJWK struct {
	present bool
	object  bool
	jwk     rawJWK
}

// UnmarshalJSONFrom records the member and decodes it if it is an object.
func (h *headerJWK) UnmarshalJSONFrom(d *jsontext.Decoder) error {
	h.present = true
	if d.PeekKind() != '{' {
		return d.SkipValue()
	}
	h.object = true
	return json.UnmarshalDecode(d, &h.jwk)
}

// parseHeader parses the decoded protected header; see the package
// documentation for the rules.
func parseHeader(data []byte) (Header, error) {
	var r rawHeader
	if err := decodeObject(data, &r, false); err != nil {
		return Header{}, err
	}
	alg, ok := r.Alg.str()
	if !ok || !allowedAlg(alg) {
		return Header{}, fmt.Errorf("%w: alg must be \"EdDSA\" or \"Ed25519\"", ErrBadAlgorithm)
	}
	for _, m := range []struct {
		name string
		m    member
	}{{"crit", r.Crit}, {"b64", r.B64}, {"x5c", r.X5c}} {
		if m.m.present {
			return Header{}, fmt.Errorf("%w: protected header has a %s member", ErrMalformed, m.name)
		}
	}
	h := Header{Alg: alg}
	for _, m := range []struct {
		name string
		m    member
		dst  *string
	}{{"kid", r.Kid, &h.Kid}, {"nonce", r.Nonce, &h.Nonce}, {"url", r.URL, &h.URL}, {"typ", r.Typ, nil}, {"cty", r.Cty, nil}} {
		if !m.m.present {
			continue
		}
		if !m.m.isString {
			return Header{}, fmt.Errorf("%w: protected header %s is not a string", ErrMalformed, m.name)
		}
		if m.dst != nil {
			*m.dst = m.m.s
		}
	}
	var err error
	if h.JWK, err = r.headerKey(); err != nil {
		return Header{}, err
	}
	return h, nil
}

// headerKey checks the jwk member, if any. A header may name its key one
// way only, so jwk and kid together are refused.
func (r *rawHeader) headerKey() (*PublicKey, error) {
	switch {
	case !r.JWK.present:
		return nil, nil
	case r.Kid.present:
		return nil, fmt.Errorf("%w: protected header has both kid and jwk", ErrMalformed)
	case !r.JWK.object:
		return nil, fmt.Errorf("%w: protected header jwk is not a JSON object", ErrMalformed)
	}
	k, err := r.JWK.jwk.public()
	if err != nil {
		return nil, err
	}
	return &k, nil
}
