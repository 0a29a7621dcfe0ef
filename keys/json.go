package keys

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"github.com/signet-ledger/signet/internal/strictjson"
)

// member is one optional JSON member of an object decoded with
// [decodeObject]: whether it was present (even as null), its value if it
// is a string, and its bytes if it is an object. Member names match
// exactly, case included.
type member struct {
	present  bool
	isString bool
	s        string
	object   []byte // the value as received, if it is a JSON object
}

// set records m as read by strictjson.CheckMembers.
func (m *member) set(v strictjson.Member) {
	m.present = true
	switch v.Kind {
	case '"':
		m.isString, m.s = true, v.Str
	case '{':
		m.object = v.Raw
	}
}

// str returns the member's value if it is a string.
func (m member) str() (string, bool) { return m.s, m.isString }

// errUnknownMember is decodeObject's error for a member its object does
// not name, when unknown members are refused.
var errUnknownMember = fmt.Errorf("%w: unknown member", ErrMalformed)

// decodeObject reads data, one strict JSON object, in one pass
// (strictjson.CheckMembers), setting each member that field names and
// ignoring the others unless rejectUnknown, when the first is
// errUnknownMember. Its errors are [ErrMalformed].
func decodeObject(data []byte, field func(name []byte) *member, rejectUnknown bool) error {
	var buf [8]strictjson.Member
	ms, err := strictjson.CheckMembers(data, strictjson.MaxDepth, buf[:0])
	if err != nil {
		if e, ok := errors.AsType[*strictjson.Error](err); ok {
			return fmt.Errorf("%w: JSON: %s", ErrMalformed, e.Detail())
		}
		return fmt.Errorf("%w: invalid JSON", ErrMalformed)
	}
	for _, v := range ms {
		m := field(v.Name)
		if m == nil {
			if rejectUnknown {
				return errUnknownMember
			}
			continue
		}
		m.set(v)
	}
	return nil
}

// decodeB64 decodes s as canonical unpadded base64url: no padding, no line
// breaks (which the standard decoder skips), no non-zero trailing bits. The
// result re-encodes to exactly s.
//
// The strict raw decoder refuses padding ('=' is not in its alphabet),
// any other character outside the alphabet, a length that leaves one
// character over, and non-zero trailing bits; it skips only CR and LF,
// which are refused first. So a decoded s re-encodes to itself without
// encoding it again to compare (decodeB64ByReencoding, kept as the fuzz
// oracle, does).
func decodeB64(s string) ([]byte, bool) {
	if strings.ContainsAny(s, "\r\n") {
		return nil, false
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(s)
	if err != nil {
		return nil, false
	}
	return b, true
}

// encodeB64 is the one encoding [decodeB64] accepts.
func encodeB64(b []byte) string {
	return base64.RawURLEncoding.EncodeToString(b)
}
