package strictjson

import (
	"bytes"
	"fmt"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// decodeOptions are the jsontext options every read uses. They are the
// library's defaults, set explicitly so that no default can change under us.
var decodeOptions = json.JoinOptions(
	jsontext.AllowDuplicateNames(false),
	jsontext.AllowInvalidUTF8(false),
)

// CheckObject returns nil if data is exactly one JSON object, surrounded
// by nothing but whitespace, that obeys every rule in the package
// documentation with objects and arrays nested at most maxDepth deep, the
// top-level object being depth 1. A maxDepth below 1 is taken as 1; the
// library refuses nesting beyond 10000 whatever maxDepth says.
//
// Otherwise it returns an [*Error] wrapping [ErrInvalid] that describes the
// first violation found.
func CheckObject(data []byte, maxDepth int) error {
	c := checker{data: data, maxDepth: max(maxDepth, 1)}
	return c.run()
}

// frame is one open object or array.
type frame struct {
	array   bool
	n       int  // elements read so far (arrays) or members named (objects)
	pending bool // an object member's name was read, its value not yet
	name    [2]int64
}

// checker walks data token by token with a jsontext.Decoder, which checks
// the syntax, UTF-8, escapes and duplicate names, and adds the depth and
// number rules. Its own stack only serves to describe where an error is.
type checker struct {
	data     []byte
	maxDepth int
	dec      *jsontext.Decoder
	stack    []frame
	prevEnd  int64 // offset just after the last token read
}

func (c *checker) run() error {
	start := skipSpace(c.data, 0)
	if start == len(c.data) {
		return c.invalid(int64(start), "empty input")
	}
	if b := c.data[start]; b != '{' {
		if what := describeValue(b); what != "" {
			return c.invalid(int64(start), "top-level value is "+what+", want an object")
		}
		return c.invalidChar(int64(start), "'{'")
	}
	var buf [16]frame
	c.stack = buf[:0]
	c.dec = jsontext.NewDecoder(bytes.NewBuffer(c.data), decodeOptions)
	for {
		if err := c.step(); err != nil {
			return err
		}
		if len(c.stack) == 0 {
			break
		}
	}
	if end := skipSpace(c.data, int(c.prevEnd)); end != len(c.data) {
		return c.invalid(int64(end), "data after the top-level object")
	}
	return nil
}

// step reads one token: a member name, a value or a delimiter.
func (c *checker) step() error {
	var top *frame
	if len(c.stack) > 0 {
		top = &c.stack[len(c.stack)-1]
	}
	if top != nil && !top.array && !top.pending && c.dec.PeekKind() == '"' {
		// A member name. ReadValue returns it raw, without copying it.
		v, err := c.dec.ReadValue()
		if err != nil {
			return c.fail(err)
		}
		end := c.dec.InputOffset()
		top.name = [2]int64{end - int64(len(v)), end}
		top.pending = true
		top.n++
		c.prevEnd = end
		return nil
	}
	tok, err := c.dec.ReadToken()
	if err != nil {
		return c.fail(err)
	}
	kind := tok.Kind()
	if kind == '}' || kind == ']' {
		c.stack = c.stack[:len(c.stack)-1]
		c.prevEnd = c.dec.InputOffset()
		return nil
	}
	if top != nil {
		top.pending = false
		if top.array {
			top.n++
		}
	}
	start := c.tokenStart()
	c.prevEnd = c.dec.InputOffset()
	switch kind {
	case '{', '[':
		if len(c.stack) >= c.maxDepth {
			return c.invalid(start, fmt.Sprintf("nesting deeper than %d", c.maxDepth))
		}
		c.stack = append(c.stack, frame{array: kind == '['})
	case '0':
		if _, err := tok.Float(); err != nil {
			return c.invalid(start, "number out of range")
		}
	}
	return nil
}

// skipSpace returns the offset of the first non-whitespace byte of data at
// or after i, or len(data).
func skipSpace(data []byte, i int) int {
	for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r') {
		i++
	}
	return i
}

// describeValue names the kind of JSON value that starts with b, or
// returns "".
func describeValue(b byte) string {
	switch {
	case b == '[':
		return "an array"
	case b == '"':
		return "a string"
	case b == 't' || b == 'f':
		return "a boolean"
	case b == 'n':
		return "null"
	case b == '-' || '0' <= b && b <= '9':
		return "a number"
	default:
		return ""
	}
}
