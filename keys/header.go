package keys

import (
	"encoding/json"
	"fmt"
)

// parseHeader parses the decoded protected header; see the package
// documentation for the rules.
func parseHeader(data []byte) (Header, error) {
	m, err := parseObject(data)
	if err != nil {
		return Header{}, err
	}
	alg, ok := jsonString(m["alg"])
	if !ok || !allowedAlg(alg) {
		return Header{}, fmt.Errorf("%w: alg must be \"EdDSA\" or \"Ed25519\"", ErrBadAlgorithm)
	}
	for _, name := range []string{"crit", "b64"} {
		if _, ok := m[name]; ok {
			return Header{}, fmt.Errorf("%w: protected header has a %s member", ErrMalformed, name)
		}
	}
	h := Header{Alg: alg}
	if h.Kid, err = optionalString(m, "kid"); err != nil {
		return Header{}, err
	}
	if h.Nonce, err = optionalString(m, "nonce"); err != nil {
		return Header{}, err
	}
	if h.URL, err = optionalString(m, "url"); err != nil {
		return Header{}, err
	}
	if err := ignoredStrings(m, "typ", "cty"); err != nil {
		return Header{}, err
	}
	if h.JWK, err = headerJWK(m); err != nil {
		return Header{}, err
	}
	return h, nil
}

// optionalString returns member name of m, which must be a string if present.
func optionalString(m map[string]json.RawMessage, name string) (string, error) {
	raw, ok := m[name]
	if !ok {
		return "", nil
	}
	s, ok := jsonString(raw)
	if !ok {
		return "", fmt.Errorf("%w: protected header %s is not a string", ErrMalformed, name)
	}
	return s, nil
}

// ignoredStrings checks that the named members, if present, are strings.
func ignoredStrings(m map[string]json.RawMessage, names ...string) error {
	for _, name := range names {
		if _, err := optionalString(m, name); err != nil {
			return err
		}
	}
	return nil
}

// headerJWK parses the jwk member, if any. A header may name its key one
// way only, so jwk and kid together are refused.
func headerJWK(m map[string]json.RawMessage) (*PublicKey, error) {
	raw, ok := m["jwk"]
	if !ok {
		return nil, nil
	}
	if _, hasKid := m["kid"]; hasKid {
		return nil, fmt.Errorf("%w: protected header has both kid and jwk", ErrMalformed)
	}
	k, err := ParseJWK(raw)
	if err != nil {
		return nil, err
	}
	return &k, nil
}
