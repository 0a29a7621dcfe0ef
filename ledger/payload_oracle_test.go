package ledger

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzValidatePayloadOracle holds Validate against the old hand-written
// scanner: both accept and refuse the same payloads, at two depth limits.
func FuzzValidatePayloadOracle(f *testing.F) {
	for _, tt := range payloadTests {
		if len(tt.in) <= 4<<10 {
			f.Add([]byte(tt.in), uint8(0))
		}
	}
	f.Fuzz(func(t *testing.T, p []byte, depth uint8) {
		rules := payloadRules{MaxDepth: int(depth%8) + 1}
		if depth >= 128 {
			rules = defaultPayloadRules
		}
		if len(p) > DefaultPayloadRules.MaxBytes {
			return
		}
		got, want := rules.Validate(p), oracleValidate(p, rules.MaxDepth)
		if (got == nil) != (want == nil) {
			t.Fatalf("%+v.Validate(%q) = %v, but the old scanner says %v", rules, p, got, want)
		}
	})
}

// This file keeps the hand-written payload scanner that Validate used
// before it was built on internal/strictjson, as a differential oracle for
// FuzzValidatePayloadOracle: both must accept and refuse the same inputs.

// oracleValidate is the old PayloadRules.Validate for a payload within
// the size limit.
func oracleValidate(p []byte, maxDepth int) error {
	if !utf8.Valid(p) {
		return fmt.Errorf("%w: invalid UTF-8 at offset %d", errMalformedPayload, firstInvalidUTF8(p))
	}
	s := payloadScanner{p: p, maxDepth: maxDepth}
	return s.payload()
}

func firstInvalidUTF8(p []byte) int {
	for i := 0; i < len(p); {
		r, n := utf8.DecodeRune(p[i:])
		if r == utf8.RuneError && n == 1 {
			return i
		}
		i += n
	}
	return len(p)
}

// linearNames is how many member names an object checks for duplicates by
// linear search before switching to a map.
const linearNames = 16

// payloadFrame is one open object or array.
type payloadFrame struct {
	close byte   // '}' for an object, ']' for an array
	n     int    // index of the current element or member
	key   []byte // current member name, unescaped; nil between members
	start int    // index of this object's first name in the names stack
	set   map[string]struct{}
}

// payloadScanner is a single-use JSON validator over p.
type payloadScanner struct {
	p        []byte
	i        int // offset of the next byte to scan
	maxDepth int
}

// payload scans the top-level object and what follows it.
func (s *payloadScanner) payload() error {
	s.skipSpace()
	if s.i == len(s.p) {
		return malformedAt(nil, s.i, "empty payload")
	}
	if c := s.p[s.i]; c != '{' {
		if what := describeValue(c); what != "" {
			return malformedAt(nil, s.i, "top-level value is "+what+", want an object")
		}
		return s.unexpected(nil, "'{'")
	}
	if err := s.value(); err != nil {
		return err
	}
	s.skipSpace()
	if s.i != len(s.p) {
		return malformedAt(nil, s.i, "data after the top-level object")
	}
	return nil
}

// value scans one value without recursing: stack holds the open objects and
// arrays, innermost last, and names the member names of open objects that
// have no map yet. Both start in fixed arrays so that shallow payloads with
// small objects do not allocate.
func (s *payloadScanner) value() error {
	var frameBuf [16]payloadFrame
	var nameBuf [2 * linearNames][]byte
	stack, names := frameBuf[:0], nameBuf[:0]
	var err error
	for {
		// A value is expected.
		s.skipSpace()
		if s.i == len(s.p) {
			return s.unexpectedEnd(stack)
		}
		switch c := s.p[s.i]; c {
		case '{', '[':
			if len(stack) >= s.maxDepth {
				return malformedAt(stack, s.i, fmt.Sprintf("nesting deeper than %d", s.maxDepth))
			}
			stack = append(stack, payloadFrame{close: c + 2, start: len(names)}) // '{'+2 == '}', '['+2 == ']'
			s.i++
			s.skipSpace()
			if s.i < len(s.p) && s.p[s.i] == c+2 {
				break // empty, closed below
			}
			if c == '{' {
				if names, err = s.member(stack, names); err != nil {
					return err
				}
			}
			continue
		default:
			if err := s.scalar(stack); err != nil {
				return err
			}
		}
		// A value ended: close what ends with it, then expect the next.
		for {
			if len(stack) == 0 {
				return nil
			}
			s.skipSpace()
			if s.i == len(s.p) {
				return s.unexpectedEnd(stack)
			}
			top := &stack[len(stack)-1]
			if c := s.p[s.i]; c == top.close {
				s.i++
				names = names[:top.start]
				stack = stack[:len(stack)-1]
				continue
			} else if c != ',' {
				return s.unexpected(stack, "',' or '"+string(top.close)+"'")
			}
			s.i++
			top.n++
			top.key = nil
			if top.close == '}' {
				if names, err = s.member(stack, names); err != nil {
					return err
				}
			}
			break
		}
	}
}

// scalar scans a string, number or literal.
func (s *payloadScanner) scalar(stack []payloadFrame) error {
	switch c := s.p[s.i]; {
	case c == '"':
		_, err := s.str(stack, false)
		return err
	case c == 't':
		return s.literal(stack, "true")
	case c == 'f':
		return s.literal(stack, "false")
	case c == 'n':
		return s.literal(stack, "null")
	case c == '-' || '0' <= c && c <= '9':
		return s.number(stack)
	default:
		return s.unexpected(stack, "a value")
	}
}

// member scans a member name and its colon into the innermost frame,
// refusing a duplicate name, and returns the updated names stack.
func (s *payloadScanner) member(stack []payloadFrame, names [][]byte) ([][]byte, error) {
	s.skipSpace()
	if s.i == len(s.p) || s.p[s.i] != '"' {
		return names, s.unexpected(stack, "a member name")
	}
	at := s.i
	name, err := s.str(stack, true)
	if err != nil {
		return names, err
	}
	top := &stack[len(stack)-1]
	top.key = name
	names, dup := seenName(top, names, name)
	if dup {
		return names, malformedAt(stack, at, "duplicate member name")
	}
	s.skipSpace()
	if s.i == len(s.p) || s.p[s.i] != ':' {
		return names, s.unexpected(stack, "':'")
	}
	s.i++
	return names, nil
}

// seenName records name as a member of f, the innermost frame, and
// reports whether it already was one. It returns the updated names stack.
func seenName(f *payloadFrame, names [][]byte, name []byte) ([][]byte, bool) {
	if f.set != nil {
		if _, ok := f.set[string(name)]; ok {
			return names, true
		}
		f.set[string(name)] = struct{}{}
		return names, false
	}
	own := names[f.start:]
	for _, n := range own {
		if bytes.Equal(n, name) {
			return names, true
		}
	}
	if len(own) < linearNames {
		return append(names, name), false
	}
	f.set = make(map[string]struct{}, 4*linearNames)
	for _, n := range own {
		f.set[string(n)] = struct{}{}
	}
	f.set[string(name)] = struct{}{}
	return names[:f.start], false
}

// str consumes a string starting at its opening quote. If decode is set it
// returns the unescaped contents, which alias p when there are no escapes.
func (s *payloadScanner) str(stack []payloadFrame, decode bool) ([]byte, error) {
	open := s.i
	s.i++
	var buf []byte // unescaped contents once an escape is seen, if decode
	for {
		start := s.i
		s.plain()
		if s.i == len(s.p) {
			return nil, malformedAt(stack, open, "unterminated string")
		}
		switch s.p[s.i] {
		case '"':
			out := s.p[start:s.i]
			if buf != nil {
				out = append(buf, out...)
			}
			s.i++
			return out, nil
		case '\\':
			if decode {
				buf = append(buf, s.p[start:s.i]...)
			}
			r, err := s.escape(stack, open)
			if err != nil {
				return nil, err
			}
			if decode {
				buf = utf8.AppendRune(buf, r)
			}
		default:
			return nil, malformedAt(stack, s.i, "control character in string")
		}
	}
}

// plain skips string bytes that stand for themselves, stopping at a quote,
// a backslash or a control character.
func (s *payloadScanner) plain() {
	p, i := s.p, s.i
	for i < len(p) && p[i] != '"' && p[i] != '\\' && p[i] >= 0x20 {
		i++
	}
	s.i = i
}

// escape consumes one escape sequence, or a surrogate pair of them, in the
// string that opened at offset open.
func (s *payloadScanner) escape(stack []payloadFrame, open int) (rune, error) {
	at := s.i
	if s.i+1 >= len(s.p) {
		return 0, malformedAt(stack, open, "unterminated string")
	}
	c := s.p[s.i+1]
	s.i += 2
	switch c {
	case '"', '\\', '/':
		return rune(c), nil
	case 'b':
		return '\b', nil
	case 'f':
		return '\f', nil
	case 'n':
		return '\n', nil
	case 'r':
		return '\r', nil
	case 't':
		return '\t', nil
	case 'u':
	default:
		return 0, malformedAt(stack, at, "invalid escape in string")
	}
	r, ok := s.hex4()
	if !ok {
		return 0, malformedAt(stack, at, "invalid \\u escape in string")
	}
	switch {
	case r < 0xD800 || r > 0xDFFF:
		return r, nil
	case r >= 0xDC00:
		return 0, malformedAt(stack, at, "lone surrogate escape in string")
	}
	if s.i+1 >= len(s.p) || s.p[s.i] != '\\' || s.p[s.i+1] != 'u' {
		return 0, malformedAt(stack, at, "lone surrogate escape in string")
	}
	s.i += 2
	lo, ok := s.hex4()
	if !ok {
		return 0, malformedAt(stack, s.i-2, "invalid \\u escape in string")
	}
	if lo < 0xDC00 || lo > 0xDFFF {
		return 0, malformedAt(stack, at, "lone surrogate escape in string")
	}
	return 0x10000 + (r-0xD800)<<10 + (lo - 0xDC00), nil
}

// hex4 consumes four hexadecimal digits.
func (s *payloadScanner) hex4() (rune, bool) {
	if len(s.p)-s.i < 4 {
		return 0, false
	}
	var r rune
	for _, c := range s.p[s.i : s.i+4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	s.i += 4
	return r, true
}

func (s *payloadScanner) literal(stack []payloadFrame, word string) error {
	if !bytes.HasPrefix(s.p[s.i:], []byte(word)) {
		return s.unexpected(stack, "a value")
	}
	s.i += len(word)
	return nil
}

// number consumes -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? and
// refuses a magnitude beyond the largest float64.
func (s *payloadScanner) number(stack []payloadFrame) error {
	start := s.i
	if s.p[s.i] == '-' {
		s.i++
	}
	intDigits := s.digits()
	switch {
	case intDigits == 0:
		return s.unexpected(stack, "a digit")
	case intDigits > 1 && s.p[s.i-intDigits] == '0':
		return malformedAt(stack, start, "number with leading zero")
	}
	if s.i < len(s.p) && s.p[s.i] == '.' {
		s.i++
		if s.digits() == 0 {
			return s.unexpected(stack, "a digit")
		}
	}
	expDigits := 0
	if s.i < len(s.p) && (s.p[s.i] == 'e' || s.p[s.i] == 'E') {
		s.i++
		if s.i < len(s.p) && (s.p[s.i] == '+' || s.p[s.i] == '-') {
			s.i++
		}
		if expDigits = s.digits(); expDigits == 0 {
			return s.unexpected(stack, "a digit")
		}
	}
	// At most 200 integer digits and a two-digit exponent make less than
	// 10^299, well within range; encoding/json refuses what ParseFloat does.
	if intDigits <= 200 && expDigits <= 2 {
		return nil
	}
	if _, err := strconv.ParseFloat(string(s.p[start:s.i]), 64); err != nil {
		return malformedAt(stack, start, "number out of range")
	}
	return nil
}

func (s *payloadScanner) digits() int {
	start := s.i
	for s.i < len(s.p) && '0' <= s.p[s.i] && s.p[s.i] <= '9' {
		s.i++
	}
	return s.i - start
}

func (s *payloadScanner) skipSpace() {
	p, i := s.p, s.i
	for i < len(p) && (p[i] == ' ' || p[i] == '\t' || p[i] == '\n' || p[i] == '\r') {
		i++
	}
	s.i = i
}

// malformedAt returns an error wrapping [errMalformedPayload] that says what
// is wrong and where: the path to the innermost value and the byte offset at.
func malformedAt(stack []payloadFrame, at int, what string) error {
	return fmt.Errorf("%w: %s at %s (offset %d)", errMalformedPayload, what, payloadPath(stack), at)
}

func (s *payloadScanner) unexpectedEnd(stack []payloadFrame) error {
	return malformedAt(stack, len(s.p), "unexpected end of payload")
}

func (s *payloadScanner) unexpected(stack []payloadFrame, want string) error {
	if s.i == len(s.p) {
		return s.unexpectedEnd(stack)
	}
	r, _ := utf8.DecodeRune(s.p[s.i:])
	return malformedAt(stack, s.i, fmt.Sprintf("invalid character %q, want %s", r, want))
}

// describeValue names the kind of JSON value that starts with c, or
// returns "".
func describeValue(c byte) string {
	switch {
	case c == '[':
		return "an array"
	case c == '"':
		return "a string"
	case c == 't' || c == 'f':
		return "a boolean"
	case c == 'n':
		return "null"
	case c == '-' || '0' <= c && c <= '9':
		return "a number"
	default:
		return ""
	}
}

// maxPathName is the longest member name, in bytes once escaped, that
// [payloadPath] shows whole.
const maxPathName = 64

// payloadPath describes the current location, such as $.lines[3].amount,
// eliding the middle of deep paths so the description stays short.
func payloadPath(stack []payloadFrame) string {
	var b strings.Builder
	b.WriteByte('$')
	for k := range stack {
		if len(stack) > 8 && k == 3 {
			b.WriteString(".…")
		}
		if len(stack) > 8 && k >= 3 && k < len(stack)-4 {
			continue
		}
		f := &stack[k]
		switch {
		case f.close == ']':
			fmt.Fprintf(&b, "[%d]", f.n)
		case f.key != nil:
			writePathName(&b, f.key)
		}
	}
	return b.String()
}

// writePathName writes name as .name if it is an identifier, else as
// ["name"] with Go escapes, cutting it to maxPathName bytes plus "…".
func writePathName(b *strings.Builder, name []byte) {
	if isPathIdentifier(name) {
		b.WriteByte('.')
		b.Write(name[:min(len(name), maxPathName)])
		if len(name) > maxPathName {
			b.WriteString("…")
		}
		return
	}
	b.WriteString(`["`)
	n := 0
	for _, r := range string(name) {
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

func isPathIdentifier(name []byte) bool {
	for i, c := range name {
		switch {
		case c == '_', 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case i > 0 && '0' <= c && c <= '9':
		default:
			return false
		}
	}
	return len(name) > 0
}
