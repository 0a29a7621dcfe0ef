package strictjson

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/go-json-experiment/json"
)

// MaxDepth is the nesting [Unmarshal] and [UnmarshalIgnoreUnknown] allow,
// the top-level object being depth 1.
const MaxDepth = 64

// Unmarshal decodes data, which must pass [CheckObject] with [MaxDepth],
// into v, a pointer to a struct or map, with the json/v2 rules: member
// names match struct fields exactly, case included. A member v has no
// field for is refused with [ErrUnknownMember]; a value that does not fit
// its field, such as a number for a string, with [ErrMismatch].
func Unmarshal(data []byte, v any) error {
	return unmarshal(data, v, true)
}

// UnmarshalIgnoreUnknown is [Unmarshal] except that members v has no field
// for are skipped. They must still obey every rule of the package
// documentation.
func UnmarshalIgnoreUnknown(data []byte, v any) error {
	return unmarshal(data, v, false)
}

func unmarshal(data []byte, v any, rejectUnknown bool) error {
	if err := CheckObject(data, MaxDepth); err != nil {
		return err
	}
	err := json.Unmarshal(data, v, decodeOptions,
		json.MatchCaseInsensitiveNames(false),
		json.RejectUnknownMembers(rejectUnknown))
	if err == nil {
		return nil
	}
	return semanticError(err)
}

// semanticError turns an error from json.Unmarshal of checked data into an
// [*Error], dropping the library's message, which may quote the input.
func semanticError(err error) error {
	se, ok := errors.AsType[*json.SemanticError](err)
	if !ok {
		return &Error{Err: ErrMismatch, What: "the JSON text does not fit the Go value"}
	}
	e := &Error{Err: ErrMismatch, Path: pointerPath(se), Offset: se.ByteOffset}
	switch {
	case errors.Is(se.Err, json.ErrUnknownName):
		e.Err, e.What = ErrUnknownMember, "unknown member"
	case se.JSONKind != 0 && se.GoType != nil:
		e.What = fmt.Sprintf("JSON %s does not fit Go %s", se.JSONKind, se.GoType.Kind())
	default:
		e.What = "JSON value does not fit the Go value"
	}
	return e
}

// pointerPath turns the JSON Pointer of se into a path. A pointer does not
// say whether a token is an array index or a member name; tokens that are
// decimal numbers are shown as indexes.
func pointerPath(se *json.SemanticError) string {
	var steps []step
	for tok := range se.JSONPointer.Tokens() {
		if n, err := strconv.Atoi(tok); err == nil && n >= 0 && strconv.Itoa(n) == tok {
			steps = append(steps, step{isIdx: true, index: n})
		} else {
			steps = append(steps, step{name: tok})
		}
	}
	return formatPath(steps)
}
