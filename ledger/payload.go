package ledger

import (
	"errors"
	"fmt"

	"github.com/signet-ledger/signet/internal/strictjson"
)

// ErrMalformedPayload is wrapped by every error [PayloadRules.Validate]
// returns for a payload that is not an acceptable JSON object. The wrapping
// error's detail names the offending location and is safe to show to clients.
var ErrMalformedPayload = errors.New("ledger: malformed payload")

// ErrPayloadTooLarge is wrapped by the error [PayloadRules.Validate] returns
// for a payload longer than [PayloadRules.MaxBytes].
var ErrPayloadTooLarge = errors.New("ledger: payload too large")

// PayloadRules bound what a signed payload may be. A zero field selects its
// default, so the zero value behaves like [DefaultPayloadRules].
type PayloadRules struct {
	MaxBytes int // Optional. Default 64 KiB. Zero or negative selects the default.
	MaxDepth int // Optional. Default 64. A top-level object is depth 1. Zero or negative selects the default.
}

// DefaultPayloadRules are the rules entry payloads are held to unless
// configured otherwise.
var DefaultPayloadRules = PayloadRules{MaxBytes: 64 << 10, MaxDepth: 64}

// Validate returns nil if p is an acceptable entry payload: a JSON text
// (RFC 8259) that every conforming parser reads the same way. All of the
// following must hold:
//
//   - len(p) is at most MaxBytes, else the error wraps [ErrPayloadTooLarge];
//     this is checked first;
//   - p is valid UTF-8 throughout;
//   - p is exactly one JSON value, an object, optionally surrounded by
//     whitespace (space, tab, CR, LF; no byte order mark);
//   - objects and arrays nest at most MaxDepth deep, the top-level object
//     being depth 1;
//   - no object has two members whose names are equal after unescaping,
//     so {"a":1,"\u0061":2} is refused;
//   - no string escape denotes a lone UTF-16 surrogate: \uD800-\uDBFF must be
//     followed by an escaped \uDC00-\uDFFF, which may not appear alone;
//   - every number is within the range of an IEEE 754 double (RFC 7493
//     section 2.2): 1e400 is refused, 1e-400 (which rounds to 0) is not.
//
// These are the rules of [strictjson.CheckObject], which Validate calls.
// Every violation other than size wraps [ErrMalformedPayload], with the
// detail of the first violation found, such as "duplicate member name at
// $.lines[3].amount (offset 210)": what, then where as a JSON path (the
// middle of deep paths elided, each member name cut to 64 bytes once
// escaped) and a byte offset. The detail never quotes more of the payload
// than that and is meant to be shown to clients.
//
// Validate runs in time linear in len(p), does not recurse, and is safe for
// concurrent use.
func (r PayloadRules) Validate(p []byte) error {
	maxBytes, maxDepth := r.MaxBytes, r.MaxDepth
	if maxBytes <= 0 {
		maxBytes = DefaultPayloadRules.MaxBytes
	}
	if maxDepth <= 0 {
		maxDepth = DefaultPayloadRules.MaxDepth
	}
	if len(p) > maxBytes {
		return fmt.Errorf("%w: %d bytes, limit %d", ErrPayloadTooLarge, len(p), maxBytes)
	}
	err := strictjson.CheckObject(p, maxDepth)
	if err == nil {
		return nil
	}
	if e, ok := errors.AsType[*strictjson.Error](err); ok {
		return fmt.Errorf("%w: %s", ErrMalformedPayload, e.Detail())
	}
	return fmt.Errorf("%w: %w", ErrMalformedPayload, err)
}
