package keys

import "fmt"

// rawHeader is a protected header as decoded, member by member. Members
// it does not name are ignored.
type rawHeader struct {
	Alg   member
	Kid   member
	JWK   member
	Nonce member
	URL   member
	Typ   member
	Cty   member
	Crit  member
	B64   member
	X5c   member
}

// field returns the member of r named name, or nil.
func (r *rawHeader) field(name []byte) *member {
	switch string(name) {
	case "alg":
		return &r.Alg
	case "kid":
		return &r.Kid
	case "jwk":
		return &r.JWK
	case "nonce":
		return &r.Nonce
	case "url":
		return &r.URL
	case "typ":
		return &r.Typ
	case "cty":
		return &r.Cty
	case "crit":
		return &r.Crit
	case "b64":
		return &r.B64
	case "x5c":
		return &r.X5c
	}
	return nil
}

// parseHeader parses the decoded protected header; see the package
// documentation for the rules.
func parseHeader(data []byte) (Header, error) {
	var r rawHeader
	if err := decodeObject(data, r.field, false); err != nil {
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
	case r.JWK.object == nil:
		return nil, fmt.Errorf("%w: protected header jwk is not a JSON object", ErrMalformed)
	}
	// The header's check covered the jwk's bytes; this reads its members.
	var jwk rawJWK
	if err := decodeObject(r.JWK.object, jwk.field, false); err != nil {
		return nil, err
	}
	k, err := jwk.public()
	if err != nil {
		return nil, err
	}
	return &k, nil
}
