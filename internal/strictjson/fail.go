package strictjson

import (
	"errors"
	"fmt"
	"io"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"
)

// fail turns an error from the decoder into an [*Error]. The library's own
// messages quote the input, so they are replaced by ones made from the
// error's offset, the bytes there and the checker's stack.
func (c *checker) fail(err error) error {
	se, ok := errors.AsType[*jsontext.SyntacticError](err)
	switch {
	case !ok:
		return &Error{Err: ErrInvalid, What: "unreadable input", Offset: c.prevEnd}
	case errors.Is(se.Err, io.ErrUnexpectedEOF):
		return c.invalid(int64(len(c.data)), "unexpected end of input")
	case errors.Is(se.Err, jsontext.ErrDuplicateName):
		steps := c.steps()
		steps[len(steps)-1] = step{name: se.JSONPointer.LastToken()}
		return &Error{Err: ErrInvalid, What: "duplicate member name", Path: formatPath(steps), Offset: se.ByteOffset}
	}
	at := se.ByteOffset
	if at < 0 || at >= int64(len(c.data)) {
		return c.invalid(int64(len(c.data)), "unexpected end of input")
	}
	if r, n := utf8.DecodeRune(c.data[at:]); r == utf8.RuneError && n <= 1 {
		return &Error{Err: ErrInvalid, What: "invalid UTF-8", Offset: at}
	}
	start := c.tokenStart()
	if b := c.data[at]; (b == ',' || b == ':') && at < start {
		at = start // the library blames a delimiter for what follows it
	}
	switch b := c.data[start]; {
	case at > start && b == '"':
		return c.stringError(at)
	case at > start && (b == '-' || '0' <= b && b <= '9'):
		return c.invalidChar(at, "a digit")
	case at > start:
		return c.invalidChar(at, "a value")
	case at == start && c.delimiterConsumed():
		return c.invalidChar(at, c.wantToken())
	case c.leadingZero(at):
		return c.invalid(c.prevTokenStart(), "number with leading zero")
	default:
		return c.invalidChar(at, c.wantDelimiter())
	}
}

// stringError describes an error inside a string, at offset at.
func (c *checker) stringError(at int64) error {
	rest := c.data[at:]
	switch {
	case rest[0] < 0x20:
		return c.invalid(at, "control character in string")
	case rest[0] != '\\':
		return c.invalidChar(at, "a value")
	case len(rest) < 2 || rest[1] != 'u':
		return c.invalid(at, "invalid escape in string")
	}
	r, ok := hex4(rest[2:])
	switch {
	case !ok:
		return c.invalid(at, "invalid \\u escape in string")
	case 0xD800 <= r && r < 0xDC00 && len(rest) >= 8 && rest[6] == '\\' && rest[7] == 'u':
		if _, ok := hex4(rest[8:]); !ok {
			return c.invalid(at+6, "invalid \\u escape in string")
		}
	}
	return c.invalid(at, "lone surrogate escape in string")
}

// hex4 decodes four hexadecimal digits at the start of b.
func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, h := range b[:4] {
		switch {
		case '0' <= h && h <= '9':
			h -= '0'
		case 'a' <= h && h <= 'f':
			h -= 'a' - 10
		case 'A' <= h && h <= 'F':
			h -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(h)
	}
	return r, true
}

// delimiterConsumed reports whether a ',' or ':' follows the last token.
func (c *checker) delimiterConsumed() bool {
	i := skipSpace(c.data, int(c.prevEnd))
	return i < len(c.data) && (c.data[i] == ',' || c.data[i] == ':')
}

// tokenStart returns the offset of the token after the last one read:
// past whitespace, one ',' or ':', and whitespace again.
func (c *checker) tokenStart() int64 {
	i := skipSpace(c.data, int(c.prevEnd))
	if i < len(c.data) && (c.data[i] == ',' || c.data[i] == ':') {
		i = skipSpace(c.data, i+1)
	}
	return int64(min(i, len(c.data)-1))
}

// leadingZero reports whether the digit at offset at directly follows a
// number that is just 0 or -0, which the decoder read as a whole number.
func (c *checker) leadingZero(at int64) bool {
	d := c.data
	if at != c.prevEnd || at < 1 || d[at] < '0' || d[at] > '9' || d[at-1] != '0' {
		return false
	}
	return at == 1 || !isNumberByte(d[at-2]) || d[at-2] == '-' && (at == 2 || !isNumberByte(d[at-3]))
}

// prevTokenStart returns where the number before a leading-zero error began.
func (c *checker) prevTokenStart() int64 {
	if c.prevEnd >= 2 && c.data[c.prevEnd-2] == '-' {
		return c.prevEnd - 2
	}
	return c.prevEnd - 1
}

func isNumberByte(b byte) bool {
	return '0' <= b && b <= '9' || b == '.' || b == 'e' || b == 'E' || b == '+' || b == '-'
}

// wantToken says what may follow a ',' or ':' in the innermost container.
func (c *checker) wantToken() string {
	if top := c.top(); top != nil && !top.array && !top.pending {
		return "a member name"
	}
	return "a value"
}

// wantDelimiter says what may follow the last token read.
func (c *checker) wantDelimiter() string {
	top := c.top()
	switch {
	case top == nil:
		return "'{'"
	case top.array && top.n == 0:
		return "a value or ']'"
	case top.array:
		return "',' or ']'"
	case top.pending:
		return "':'"
	case top.n == 0:
		return "a member name or '}'"
	default:
		return "',' or '}'"
	}
}

func (c *checker) top() *frame {
	if len(c.stack) == 0 {
		return nil
	}
	return &c.stack[len(c.stack)-1]
}

// invalid returns an error at offset at, located by the checker's stack.
func (c *checker) invalid(at int64, what string) error {
	return &Error{Err: ErrInvalid, What: what, Path: formatPath(c.steps()), Offset: at}
}

// invalidChar reports the character at offset at, wanting want.
func (c *checker) invalidChar(at int64, want string) error {
	r, _ := utf8.DecodeRune(c.data[at:])
	return c.invalid(at, fmt.Sprintf("invalid character %q, want %s", r, want))
}

// steps describes the checker's position as a path. An array's index is
// that of its current element, the one after a ',' just read; an object's
// member is the one whose name was read last, none after a ','.
func (c *checker) steps() []step {
	steps := make([]step, len(c.stack))
	afterComma := c.afterComma()
	for i, f := range c.stack {
		last := i == len(c.stack)-1
		switch {
		case f.array:
			idx := max(f.n-1, 0)
			if last && afterComma {
				idx = f.n
			}
			steps[i] = step{isIdx: true, index: idx}
		case f.n == 0 || last && afterComma:
			steps[i] = step{none: true}
		default:
			steps[i] = step{name: c.unquote(f.name)}
		}
	}
	return steps
}

func (c *checker) afterComma() bool {
	i := skipSpace(c.data, int(c.prevEnd))
	return i < len(c.data) && c.data[i] == ','
}

// unquote decodes the member name at span of the input, already checked.
func (c *checker) unquote(span [2]int64) string {
	b, _ := jsontext.AppendUnquote(nil, c.data[span[0]:span[1]])
	return string(b)
}
