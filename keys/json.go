package keys

import (
	"encoding/base64"
	"errors"
	"fmt"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/signet-ledger/signet/internal/strictjson"
)

// member is one optional JSON member of an object decoded with
// internal/strictjson: whether it was present (even as null), and its
// value if it is a string. Member names match exactly, case included.
type member struct {
	present  bool
	isString bool
	s        string
}

// UnmarshalJSONFrom records the member and skips any value but a string.
func (m *member) UnmarshalJSONFrom(d *jsontext.Decoder) error {
	m.present = true
	if d.PeekKind() != '"' {
		return d.SkipValue()
	}
	tok, err := d.ReadToken()
	if err != nil {
		return err
	}
	m.isString, m.s = true, tok.String()
	return nil
}

// str returns the member's value if it is a string.
func (m member) str() (string, bool) { return m.s, m.isString }

// decodeObject decodes data, one strict JSON object, into v with
// internal/strictjson, ignoring members v does not name unless
// rejectUnknown. Its errors are [ErrMalformed].
func decodeObject(data []byte, v any, rejectUnknown bool) error {
	unmarshal := strictjson.UnmarshalIgnoreUnknown
	if rejectUnknown {
		unmarshal = strictjson.Unmarshal
	}
	err := unmarshal(data, v)
	if err == nil {
		return nil
	}
	if e, ok := errors.AsType[*strictjson.Error](err); ok {
		return fmt.Errorf("%w: JSON: %s", ErrMalformed, e.Detail())
	}
	return fmt.Errorf("%w: invalid JSON", ErrMalformed)
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
