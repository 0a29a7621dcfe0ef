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

// Member is one member of a top-level object as [CheckMembers] reads it.
type Member struct {
	// Name is the member's name, unescaped. It may share data's memory.
	Name []byte
	// Kind is the kind of the value: '"' for a string, '0' for a number,
	// 't', 'f' and 'n' for true, false and null, '{' and '[' for an object
	// and an array.
	Kind jsontext.Kind
	// Str is the value, unescaped, when Kind is '"'.
	Str string
	// Raw is the value exactly as in data (sharing its memory) when Kind
	// is '{' or '['.
	Raw []byte
}

// CheckMembers is [CheckObject] returning, when data passes, the members
// of its top-level object in order, appended to dst: what a decoder of
// flat objects needs, read in the same pass as the check, so the text is
// read once. An object value nested in a member is checked with the rest
// and returned raw.
func CheckMembers(data []byte, maxDepth int, dst []Member) ([]Member, error) {
	c := checker{data: data, maxDepth: max(maxDepth, 1), members: dst, collect: true}
	if err := c.run(); err != nil {
		return dst, err
	}
	return c.members, nil
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

	// collect makes the checker keep the top-level object's members in
	// members (CheckMembers); name is the name of the one being read and
	// valStart where its value began.
	collect  bool
	members  []Member
	name     []byte
	valStart int64
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
		if c.collect && len(c.stack) == 1 {
			if c.name, err = unquoteName(v); err != nil {
				return c.fail(err)
			}
		}
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
		if c.collect && len(c.stack) == 1 {
			raw := c.data[c.valStart:c.prevEnd]
			c.members = append(c.members, Member{Name: c.name, Kind: jsontext.Kind(raw[0]), Raw: raw})
		}
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
	if c.collect && len(c.stack) == 1 {
		c.member(tok, kind, start)
	}
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

// member keeps the value of a top-level member that starts with tok.
func (c *checker) member(tok jsontext.Token, kind jsontext.Kind, start int64) {
	switch kind {
	case '{', '[':
		c.valStart = start // kept when it closes
	case '"':
		c.members = append(c.members, Member{Name: c.name, Kind: kind, Str: tok.String()})
	default:
		c.members = append(c.members, Member{Name: c.name, Kind: kind})
	}
}

// unquoteName returns the member name v (quoted, as read) unescaped,
// sharing v's memory when it has no escapes.
func unquoteName(v jsontext.Value) ([]byte, error) {
	if bytes.IndexByte(v, '\\') < 0 {
		return v[1 : len(v)-1], nil
	}
	return jsontext.AppendUnquote(nil, v)
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
