package signet

import (
	"fmt"

	"github.com/signet-ledger/signet/internal/strictjson"
)

// CheckEntryPayload applies R12: an entry's payload is one JSON object in
// the strict form every conforming parser reads the same way (valid UTF-8,
// no duplicate member names, no lone surrogate escapes, numbers within the
// range of an IEEE 754 double, nothing after the object; docs/PROTOCOL.md,
// "Strict JSON"), nested at most [MaxPayloadDepth] deep. Its size is not a
// rule of the log but a server's admission limit.
func CheckEntryPayload(p []byte) error {
	if err := strictjson.CheckObject(p, MaxPayloadDepth); err != nil {
		return fmt.Errorf("%w: the payload is not strict JSON: %s", ErrMalformed, detail(err))
	}
	return nil
}

// decodeKeyEvent decodes a key event's payload p into v under the strict
// JSON rules, member names matched exactly; members v does not name are
// refused unless allowUnknown.
func decodeKeyEvent(p []byte, v any, allowUnknown bool) error {
	if len(p) > MaxKeyEventPayload {
		return fmt.Errorf("%w: the payload has %d bytes, limit %d", ErrMalformed, len(p), MaxKeyEventPayload)
	}
	decode := strictjson.Unmarshal
	if allowUnknown {
		decode = strictjson.UnmarshalIgnoreUnknown
	}
	if err := decode(p, v); err != nil {
		return fmt.Errorf("%w: the payload does not have the expected members: %s", ErrMalformed, detail(err))
	}
	return nil
}

// detail is a strictjson error's detail, without its package prefix.
func detail(err error) string {
	if e, ok := err.(*strictjson.Error); ok {
		return e.Detail()
	}
	return trunc(err.Error())
}
