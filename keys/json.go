package keys

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"unicode/utf8"
)

// maxDepth bounds the nesting of JSON objects and arrays. JOSE headers and
// JWKs are a level or two deep; anything deeper is not one of ours.
const maxDepth = 32

// parseObject parses data as exactly one JSON object, refusing invalid
// UTF-8, trailing data, nesting deeper than [maxDepth] and duplicate member
// names at any depth. Member names are matched exactly, never by case
// folding as encoding/json does for struct fields.
func parseObject(data []byte) (map[string]json.RawMessage, error) {
	if !utf8.Valid(data) {
		return nil, fmt.Errorf("%w: JSON is not valid UTF-8", ErrMalformed)
	}
	if err := checkObject(data); err != nil {
		return nil, err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("%w: invalid JSON", ErrMalformed)
	}
	return m, nil
}

// checkObject walks the tokens of data; see [parseObject].
func checkObject(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil || tok != json.Delim('{') {
		return fmt.Errorf("%w: not a JSON object", ErrMalformed)
	}
	if err := walkObject(dec, 1); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("%w: data after the JSON object", ErrMalformed)
	}
	return nil
}

// walkObject consumes the members of an object whose '{' was just read.
func walkObject(dec *json.Decoder, depth int) error {
	seen := make(map[string]bool)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return fmt.Errorf("%w: invalid JSON", ErrMalformed)
		}
		name, _ := tok.(string)
		if seen[name] {
			return fmt.Errorf("%w: duplicate JSON member name", ErrMalformed)
		}
		seen[name] = true
		if err := walkValue(dec, depth); err != nil {
			return err
		}
	}
	return closing(dec)
}

// walkValue consumes one value, descending into objects and arrays.
func walkValue(dec *json.Decoder, depth int) error {
	tok, err := dec.Token()
	if err != nil {
		return fmt.Errorf("%w: invalid JSON", ErrMalformed)
	}
	if tok != json.Delim('{') && tok != json.Delim('[') {
		return nil
	}
	if depth >= maxDepth {
		return fmt.Errorf("%w: JSON nested too deeply", ErrMalformed)
	}
	if tok == json.Delim('{') {
		return walkObject(dec, depth+1)
	}
	for dec.More() {
		if err := walkValue(dec, depth+1); err != nil {
			return err
		}
	}
	return closing(dec)
}

// closing consumes the '}' or ']' that ends the current object or array.
func closing(dec *json.Decoder) error {
	if _, err := dec.Token(); err != nil {
		return fmt.Errorf("%w: invalid JSON", ErrMalformed)
	}
	return nil
}

// jsonString decodes raw as a JSON string. It reports false for any other
// JSON value, including null (which json.Unmarshal would silently skip).
func jsonString(raw json.RawMessage) (string, bool) {
	raw = bytes.TrimLeft(raw, " \t\r\n")
	if len(raw) == 0 || raw[0] != '"' {
		return "", false
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", false
	}
	return s, true
}

// decodeB64 decodes s as canonical unpadded base64url: no padding, no line
// breaks (which the standard decoder skips), no non-zero trailing bits. The
// result re-encodes to exactly s.
func decodeB64(s string) ([]byte, bool) {
	b, err := base64.RawURLEncoding.Strict().DecodeString(s)
	if err != nil || base64.RawURLEncoding.EncodeToString(b) != s {
		return nil, false
	}
	return b, true
}

// encodeB64 is the one encoding [decodeB64] accepts.
func encodeB64(b []byte) string {
	return base64.RawURLEncoding.EncodeToString(b)
}
