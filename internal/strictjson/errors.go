package strictjson

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Errors wrapped by every [*Error].
var (
	// ErrInvalid means the text is not strict JSON: it breaks one of the
	// rules in the package documentation.
	ErrInvalid = errors.New("strictjson: invalid JSON")

	// ErrUnknownMember means [Unmarshal] met a member that the Go value
	// has no field for.
	ErrUnknownMember = errors.New("strictjson: unknown member")

	// ErrMismatch means a JSON value does not fit the Go value it is
	// decoded into, such as a number where a string is wanted.
	ErrMismatch = errors.New("strictjson: JSON value does not fit the Go value")
)

// Error is the error every function of this package returns.
type Error struct {
	Err    error  // ErrInvalid, ErrUnknownMember or ErrMismatch
	What   string // what is wrong, such as "duplicate member name"
	Path   string // where, such as "$.lines[3].amount"; "" if not known
	Offset int64  // the byte offset in the input
}

// Error returns Err's message followed by [Error.Detail].
func (e *Error) Error() string {
	return e.Err.Error() + ": " + e.Detail()
}

// Detail describes the error without naming this package, such as
// "duplicate member name at $.a (offset 7)", or "invalid UTF-8 at offset
// 6" when there is no path. Callers that wrap the error in their own
// sentinel show this.
func (e *Error) Detail() string {
	if e.Path == "" {
		return fmt.Sprintf("%s at offset %d", e.What, e.Offset)
	}
	return fmt.Sprintf("%s at %s (offset %d)", e.What, e.Path, e.Offset)
}

// Unwrap returns e.Err.
func (e *Error) Unwrap() error { return e.Err }

// maxPathName is the longest member name, in bytes once escaped, that a
// path shows whole.
const maxPathName = 64

// step is one level of a path: a member name or an array index.
type step struct {
	name  string
	index int
	isIdx bool
	none  bool // an object with no current member: adds nothing
}

// formatPath writes steps as a path such as $.lines[3].amount, eliding the
// middle of deep paths so the description stays short.
func formatPath(steps []step) string {
	var b strings.Builder
	b.WriteByte('$')
	for k, s := range steps {
		if len(steps) > 8 && k == 3 {
			b.WriteString(".…")
		}
		if len(steps) > 8 && k >= 3 && k < len(steps)-4 {
			continue
		}
		switch {
		case s.isIdx:
			fmt.Fprintf(&b, "[%d]", s.index)
		case !s.none:
			writePathName(&b, s.name)
		}
	}
	return b.String()
}

// writePathName writes name as .name if it is an identifier, else as
// ["name"] with Go escapes, cutting it to maxPathName bytes plus "…".
func writePathName(b *strings.Builder, name string) {
	if isPathIdentifier(name) {
		b.WriteByte('.')
		b.WriteString(name[:min(len(name), maxPathName)])
		if len(name) > maxPathName {
			b.WriteString("…")
		}
		return
	}
	b.WriteString(`["`)
	n := 0
	for _, r := range name {
		q := strconv.Quote(string(r))
		q = q[1 : len(q)-1]
		if n += len(q); n > maxPathName {
			b.WriteString("…")
			break
		}
		b.WriteString(q)
	}
	b.WriteString(`"]`)
}

func isPathIdentifier(name string) bool {
	for i, c := range []byte(name) {
		switch {
		case c == '_', 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case i > 0 && '0' <= c && c <= '9':
		default:
			return false
		}
	}
	return len(name) > 0
}
