// Package strictjson reads JSON texts in the one strict form Signet
// accepts, so that every parser that reads an accepted text reads it the
// same way. It is a thin layer over github.com/go-json-experiment/json (the
// proposed encoding/json/v2) and its jsontext package, which enforce most of
// the rules; this package sets every option that matters explicitly, adds
// the rules the library does not have, and turns the library's errors into
// short, precise ones.
//
// # Rules
//
// A text is accepted only if all of the following hold:
//
//   - it is valid UTF-8 throughout;
//   - it is exactly one JSON value (RFC 8259), an object, optionally
//     surrounded by whitespace (space, tab, CR, LF; no byte order mark),
//     with nothing after it;
//   - objects and arrays nest at most a given depth, the top-level object
//     being depth 1 ([MaxDepth] for [Unmarshal]);
//   - no object has two members whose names are equal after unescaping, so
//     {"a":1,"\u0061":2} is refused;
//   - no string escape denotes a lone UTF-16 surrogate: \uD800-\uDBFF must
//     be followed by an escaped \uDC00-\uDFFF, which may not appear alone;
//   - every number is within the range of an IEEE 754 double (RFC 7493,
//     Section 2.2): 1e400 is refused, 1e-400 (which rounds to 0) is not.
//
// [CheckObject] checks exactly these rules. [Unmarshal] and
// [UnmarshalIgnoreUnknown] check them and then decode the object into a Go
// value, matching member names to struct fields by exact, case-sensitive
// comparison: {"X":1} never sets a field tagged `json:"x"`. [Unmarshal]
// refuses members that the Go value has no field for;
// [UnmarshalIgnoreUnknown] skips them, after they have passed the rules
// above like the rest of the text.
//
// # Errors
//
// Every error is an [*Error] wrapping one of [ErrInvalid] (the text broke a
// rule above), [ErrUnknownMember] or [ErrMismatch] (the text is strict JSON
// but does not fit the Go value). Its detail says what, where as a JSON
// path, and at which byte offset, as in
//
//	strictjson: invalid JSON: duplicate member name at $.lines[3].amount (offset 210)
//
// The path elides the middle of deep paths and cuts each member name to 64
// bytes once escaped; the detail never quotes more of the input than that
// (and, for an invalid character, that one character), so it may be shown
// to whoever sent the text.
//
// All functions run in time linear in the length of the input, do not
// recurse on its nesting, and are safe for concurrent use.
package strictjson
