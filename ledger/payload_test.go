package ledger

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/signet-ledger/signet"
	"github.com/signet-ledger/signet/internal/strictjson"
)

// payloadRules is what these tests hold a payload to: the server's size
// limit, then the strict JSON of R12 with its depth limit as a parameter
// (R12 fixes it at [signet.MaxPayloadDepth]). They test the strict layer,
// internal/strictjson, that admission, replay and audit all run.
type payloadRules struct{ MaxBytes, MaxDepth int }

var defaultPayloadRules = payloadRules{MaxBytes: DefaultPayloadRules.MaxBytes, MaxDepth: signet.MaxPayloadDepth}

// errMalformedPayload is wrapped by Validate's errors other than size.
var errMalformedPayload = errors.New("ledger: malformed payload")

// Validate applies r to p: size first, then strict JSON, with the
// detail of the first violation.
func (r payloadRules) Validate(p []byte) error {
	if err := (PayloadRules{MaxBytes: r.MaxBytes}).checkSize(p); err != nil {
		return err
	}
	depth := r.MaxDepth
	if depth <= 0 {
		depth = signet.MaxPayloadDepth
	}
	err := strictjson.CheckObject(p, depth)
	if err == nil {
		return nil
	}
	if e, ok := errors.AsType[*strictjson.Error](err); ok {
		return fmt.Errorf("%w: %s", errMalformedPayload, e.Detail())
	}
	return fmt.Errorf("%w: %w", errMalformedPayload, err)
}

// nestedPayload returns a payload whose innermost container, inner, is at
// the given depth: depth-1 objects {"a":...} around inner.
func nestedPayload(depth int, inner string) string {
	return strings.Repeat(`{"a":`, depth-1) + inner + strings.Repeat("}", depth-1)
}

// payloadOfSize returns the object {"a":"xxx..."} of exactly n bytes.
func payloadOfSize(n int) string {
	return `{"a":"` + strings.Repeat("x", n-len(`{"a":""}`)) + `"}`
}

// payloadWithMembers returns an object with n distinct members.
func payloadWithMembers(n int) string {
	var b strings.Builder
	b.WriteByte('{')
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"m%d":%d`, i, i)
	}
	b.WriteByte('}')
	return b.String()
}

const journalEntryPayload = `{"journal_id":"JE000001","entry_date":"2016-11-06","account_code":"100000",` +
	`"account_name":"Cash and cash equivalents","amount":"16453.24","currency":"EUR","dr_cr":"C",` +
	`"cost_center":"CC-0420","description":"Customer receipt, invoice INV-2016-11-0193",` +
	`"posted_by":"akovacs","line":1,"fx_rate":1.0e0,"reversal":false,"memo":null}`

var payloadTests = []struct {
	name  string
	rules payloadRules // zero means defaultPayloadRules
	in    string
	want  error // nil, errMalformedPayload or ErrPayloadTooLarge
}{
	{name: "ok/empty", in: `{}`},
	{name: "ok/whitespace", in: " \t\r\n{ \"a\" : [ 1 , { } ] } \n"},
	{name: "ok/nested", in: `{"a":{"b":[1,{"c":[[],{}]}],"d":{}},"e":[true,false,null]}`},
	{name: "ok/unicode", in: `{"名前":"Zoë 🦊","€":"\u00e9\u20ac"}`},
	{name: "ok/escaped names", in: `{"a\"b":1,"a\\b":2,"\n":3,"\u0000":4,"":5,"\/":6}`},
	{name: "ok/numbers", in: `{"a":-0,"b":1.5e-10,"c":1E+308,"d":0.001,"e":-12e3,"f":1e-400,"g":1e00000000000000000001}`},
	{name: "ok/surrogate pair", in: `{"a":"\ud83e\udd8a","\uD83E\uDD8A":1}`},
	{name: "ok/same name in sibling objects", in: `{"a":{"x":1},"b":{"x":1},"x":[{"x":1},{"x":2}]}`},
	{name: "ok/journal entry", in: journalEntryPayload},
	{name: "ok/depth 64", in: nestedPayload(64, `{}`)},
	{name: "ok/depth 64 array", in: nestedPayload(64, `[]`)},
	{name: "ok/64 KiB", in: payloadOfSize(64 << 10)},
	// 10000 distinct members cannot fit in 64 KiB.
	{name: "ok/10000 members", rules: payloadRules{MaxBytes: 1 << 20}, in: payloadWithMembers(10000)},

	{name: "ErrPayloadTooLarge/64 KiB plus one", in: payloadOfSize(64<<10 + 1), want: ErrPayloadTooLarge},
	{name: "ErrPayloadTooLarge/before UTF-8", in: payloadOfSize(64<<10) + "\xff", want: ErrPayloadTooLarge},

	{name: "errMalformedPayload/depth 65", in: nestedPayload(65, `{}`), want: errMalformedPayload},
	{name: "errMalformedPayload/depth 100 arrays", in: `{"a":` + strings.Repeat("[", 99) + strings.Repeat("]", 99) + `}`, want: errMalformedPayload},
	{name: "errMalformedPayload/array", in: `[]`, want: errMalformedPayload},
	{name: "errMalformedPayload/array of object", in: `[{}]`, want: errMalformedPayload},
	{name: "errMalformedPayload/string", in: `"{}"`, want: errMalformedPayload},
	{name: "errMalformedPayload/number", in: `1`, want: errMalformedPayload},
	{name: "errMalformedPayload/true", in: `true`, want: errMalformedPayload},
	{name: "errMalformedPayload/null", in: `null`, want: errMalformedPayload},
	{name: "errMalformedPayload/empty", in: ``, want: errMalformedPayload},
	{name: "errMalformedPayload/whitespace only", in: " \n", want: errMalformedPayload},
	{name: "errMalformedPayload/not JSON", in: `hello`, want: errMalformedPayload},
	{name: "errMalformedPayload/byte order mark", in: "\ufeff{}", want: errMalformedPayload},
	{name: "errMalformedPayload/trailing garbage", in: `{}x`, want: errMalformedPayload},
	{name: "errMalformedPayload/two values", in: `{} {}`, want: errMalformedPayload},
	{name: "errMalformedPayload/trailing NUL", in: "{}\x00", want: errMalformedPayload},
	{name: "errMalformedPayload/unterminated", in: `{"a":1`, want: errMalformedPayload},
	{name: "errMalformedPayload/unterminated string", in: `{"a":"b}`, want: errMalformedPayload},
	{name: "errMalformedPayload/unterminated escape", in: `{"a":"\`, want: errMalformedPayload},
	{name: "errMalformedPayload/trailing comma", in: `{"a":1,}`, want: errMalformedPayload},
	{name: "errMalformedPayload/trailing comma in array", in: `{"a":[1,]}`, want: errMalformedPayload},
	{name: "errMalformedPayload/missing colon", in: `{"a" 1}`, want: errMalformedPayload},
	{name: "errMalformedPayload/missing value", in: `{"a":}`, want: errMalformedPayload},
	{name: "errMalformedPayload/unquoted name", in: `{a:1}`, want: errMalformedPayload},
	{name: "errMalformedPayload/single quotes", in: `{'a':1}`, want: errMalformedPayload},
	{name: "errMalformedPayload/leading zero", in: `{"a":01}`, want: errMalformedPayload},
	{name: "errMalformedPayload/bare minus", in: `{"a":-}`, want: errMalformedPayload},
	{name: "errMalformedPayload/bare dot", in: `{"a":1.}`, want: errMalformedPayload},
	{name: "errMalformedPayload/bare exponent", in: `{"a":1e}`, want: errMalformedPayload},
	{name: "errMalformedPayload/plus sign", in: `{"a":+1}`, want: errMalformedPayload},
	{name: "errMalformedPayload/hex number", in: `{"a":0x1}`, want: errMalformedPayload},
	{name: "errMalformedPayload/NaN", in: `{"a":NaN}`, want: errMalformedPayload},
	{name: "errMalformedPayload/number overflows float64", in: `{"a":1e400}`, want: errMalformedPayload},
	{name: "errMalformedPayload/long number overflows float64", in: `{"a":` + strings.Repeat("9", 400) + `}`, want: errMalformedPayload},
	{name: "errMalformedPayload/truncated literal", in: `{"a":tru}`, want: errMalformedPayload},
	{name: "errMalformedPayload/capitalised literal", in: `{"a":True}`, want: errMalformedPayload},
	{name: "errMalformedPayload/control character", in: "{\"a\":\"\t\"}", want: errMalformedPayload},
	{name: "errMalformedPayload/invalid escape", in: `{"a":"\x41"}`, want: errMalformedPayload},
	{name: "errMalformedPayload/short unicode escape", in: `{"a":"\u41"}`, want: errMalformedPayload},
	{name: "errMalformedPayload/comment", in: `{"a":1 /* c */}`, want: errMalformedPayload},
	{name: "errMalformedPayload/invalid UTF-8 in value", in: "{\"a\":\"\xff\"}", want: errMalformedPayload},
	{name: "errMalformedPayload/invalid UTF-8 in name", in: "{\"\xc3\x28\":1}", want: errMalformedPayload},
	{name: "errMalformedPayload/UTF-8 encoded surrogate", in: "{\"a\":\"\xed\xa0\x80\"}", want: errMalformedPayload},
	{name: "errMalformedPayload/high surrogate alone", in: `{"a":"\ud800"}`, want: errMalformedPayload},
	{name: "errMalformedPayload/high surrogate at end of name", in: `{"x\uDBFF":1}`, want: errMalformedPayload},
	{name: "errMalformedPayload/low surrogate alone", in: `{"a":"\udc00"}`, want: errMalformedPayload},
	{name: "errMalformedPayload/high surrogate then non-low", in: `{"a":"\ud800\u0041"}`, want: errMalformedPayload},
	{name: "errMalformedPayload/high surrogate then high", in: `{"a":"\ud800\ud800"}`, want: errMalformedPayload},
	{name: "errMalformedPayload/high surrogate then text", in: `{"a":"\ud800abcdef"}`, want: errMalformedPayload},
	{name: "errMalformedPayload/swapped surrogate pair", in: `{"a":"\udd8a\ud83e"}`, want: errMalformedPayload},
	{name: "errMalformedPayload/duplicate name", in: `{"a":1,"b":2,"a":3}`, want: errMalformedPayload},
	{name: "errMalformedPayload/duplicate name nested", in: `{"a":{"b":1,"b":1}}`, want: errMalformedPayload},
	{name: "errMalformedPayload/duplicate name in array", in: `{"a":[{},{"b":1,"b":1}]}`, want: errMalformedPayload},
	{name: "errMalformedPayload/duplicate name via escape", in: `{"a":1,"\u0061":2}`, want: errMalformedPayload},
	{name: "errMalformedPayload/duplicate name via surrogate pair", in: `{"🦊":1,"\ud83e\udd8a":2}`, want: errMalformedPayload},
	{name: "errMalformedPayload/duplicate name via solidus escape", in: `{"/":1,"\/":2}`, want: errMalformedPayload},
	{name: "errMalformedPayload/duplicate name at map switch", in: strings.TrimSuffix(payloadWithMembers(17), "}") + `,"m16":0}`, want: errMalformedPayload},
	{name: "errMalformedPayload/duplicate name of first at map switch", in: strings.TrimSuffix(payloadWithMembers(16), "}") + `,"m0":0}`, want: errMalformedPayload},
	{name: "errMalformedPayload/duplicate name after map switch", in: strings.TrimSuffix(payloadWithMembers(100), "}") + `,"m7":0}`, want: errMalformedPayload},
	{name: "ok/depth 64 with DefaultPayloadRules", rules: defaultPayloadRules, in: nestedPayload(64, "{}")},
	{name: "errMalformedPayload/depth 65 with DefaultPayloadRules", rules: defaultPayloadRules, in: nestedPayload(65, "{}"), want: errMalformedPayload},

	{name: "ok/MaxBytes exact", rules: payloadRules{MaxBytes: 10}, in: payloadOfSize(10)},
	{name: "ErrPayloadTooLarge/MaxBytes", rules: payloadRules{MaxBytes: 10}, in: payloadOfSize(11), want: ErrPayloadTooLarge},
	{name: "ok/MaxDepth 1", rules: payloadRules{MaxDepth: 1}, in: `{"a":1}`},
	{name: "errMalformedPayload/MaxDepth 1", rules: payloadRules{MaxDepth: 1}, in: `{"a":[]}`, want: errMalformedPayload},
	{name: "ok/MaxDepth 200", rules: payloadRules{MaxDepth: 200}, in: nestedPayload(200, "[]")},
}

func TestValidatePayload(t *testing.T) {
	for _, tt := range payloadTests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.rules.Validate([]byte(tt.in))
			if !errors.Is(err, tt.want) || (err == nil) != (tt.want == nil) {
				t.Fatalf("%+v.Validate(%.40q) = %v, want %v", tt.rules, tt.in, err, tt.want)
			}
			if tt.rules == (payloadRules{}) && !surrogateEscapeRE.MatchString(tt.in) {
				if got := referenceValidPayload([]byte(tt.in)); got != (tt.want == nil) {
					t.Errorf("referenceValidPayload(%.40q) = %v, want %v", tt.in, got, tt.want == nil)
				}
			}
		})
	}
}

func TestValidatePayloadDetail(t *testing.T) {
	long := strings.Repeat("n", 1000)
	ctrl := strings.Repeat(`\u0001`, 1000)
	tests := []struct {
		in   string
		want string
	}{
		{`{"a":{"b":1,"b":2}}`, "ledger: malformed payload: duplicate member name at $.a.b (offset 12)"},
		{`{"x":[0,{"a b":1,"a b":2}]}`, `duplicate member name at $.x[1]["a b"] (offset 17)`},
		{`{"a":1,"\u0061":2}`, "duplicate member name at $.a (offset 7)"},
		{`{"` + long + `":1,"` + long + `":2}`, "duplicate member name at $." + long[:64] + "… (offset 1006)"},
		{`{"` + ctrl + `":1,"` + ctrl + `":2}`, `duplicate member name at $["` + strings.Repeat(`\x01`, 16) + `…"] (offset 6006)`},
		{`{"a":"\ud800"}`, "lone surrogate escape in string at $.a (offset 6)"},
		{`{"a\udc00":1}`, "lone surrogate escape in string at $ (offset 3)"},
		{`{"a":[1,2,1e999]}`, "number out of range at $.a[2] (offset 10)"},
		{"{\"a\":\"\xff\"}", "ledger: malformed payload: invalid UTF-8 at offset 6"},
		{`[]`, "top-level value is an array, want an object at $ (offset 0)"},
		{`{} {}`, "data after the top-level object at $ (offset 3)"},
		{`{"a":1`, "unexpected end of input at $.a (offset 6)"},
		{`{"a":[1 2]}`, `invalid character '2', want ',' or ']' at $.a[0] (offset 8)`},
		{nestedPayload(65, "{}"), "nesting deeper than 64 at $.a.a.a.….a.a.a.a (offset 320)"},
		{payloadOfSize(64<<10 + 1), "ledger: payload too large: 65537 bytes, limit 65536"},
	}
	for _, tt := range tests {
		err := defaultPayloadRules.Validate([]byte(tt.in))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Validate(%.40q) = %v, want detail %q", tt.in, err, tt.want)
		}
		if err != nil && len(err.Error()) > 200 {
			t.Errorf("Validate(%.40q) error is %d bytes long, want at most 200", tt.in, len(err.Error()))
		}
	}
}

// TestValidatePayloadLinear checks that the time Validate takes grows
// linearly with adversarial shapes: many members in one object, many
// small objects, long escaped names.
func TestValidatePayloadLinear(t *testing.T) {
	if testing.Short() {
		t.Skip("timing test")
	}
	shapes := map[string]func(n int) string{
		"members": payloadWithMembers,
		"objects": func(n int) string {
			return `{"a":[` + strings.Repeat(payloadWithMembers(linearNames+1)+",", n/10) + `{}]}`
		},
		"escapes": func(n int) string { return `{"` + strings.Repeat(`\u0041`, n) + `":1}` },
	}
	rules := payloadRules{MaxBytes: 1 << 30}
	fastest := func(p []byte) time.Duration {
		best := time.Duration(1 << 62)
		for range 10 {
			start := time.Now()
			if err := rules.Validate(p); err != nil {
				t.Fatal(err)
			}
			best = min(best, time.Since(start))
		}
		return best
	}
	for name, shape := range shapes {
		small, large := []byte(shape(1000)), []byte(shape(16000))
		// Linear time gives a ratio near 16 (up to 30 on a busy machine),
		// quadratic near 256. A noisy machine gets three tries.
		var ratio float64
		for range 3 {
			if ratio = float64(fastest(large)) / float64(fastest(small)); ratio <= 64 {
				break
			}
		}
		if ratio > 64 {
			t.Errorf("%s: 16 times the input takes %.0f times as long, want linear time", name, ratio)
		}
	}
}

func BenchmarkValidatePayload(b *testing.B) {
	p := []byte(journalEntryPayload)
	b.SetBytes(int64(len(p)))
	b.ReportAllocs()
	for b.Loop() {
		if err := defaultPayloadRules.Validate(p); err != nil {
			b.Fatal(err)
		}
	}
}

func FuzzValidatePayload(f *testing.F) {
	for _, tt := range payloadTests {
		// Large inputs stall the fuzzer while it minimizes their mutants;
		// the table covers them.
		if len(tt.in) <= 4<<10 {
			f.Add([]byte(tt.in))
		}
	}
	f.Fuzz(func(t *testing.T, p []byte) {
		err := defaultPayloadRules.Validate(p)
		if err != nil && !errors.Is(err, errMalformedPayload) && !errors.Is(err, ErrPayloadTooLarge) {
			t.Fatalf("Validate(%q) = %v, want an error wrapping a sentinel", p, err)
		}
		if err == nil {
			if !json.Valid(p) {
				t.Fatalf("Validate(%q) = nil, but json.Valid is false", p)
			}
			var m map[string]any
			if err := json.Unmarshal(p, &m); err != nil {
				t.Fatalf("Validate(%q) = nil, but json.Unmarshal: %v", p, err)
			}
		}
		if !surrogateEscapeRE.Match(p) {
			if want := referenceValidPayload(p); (err == nil) != want {
				t.Fatalf("Validate(%q) = %v, but the encoding/json reference says valid = %v", p, err, want)
			}
		}
	})
}

// surrogateEscapeRE matches payloads that referenceValidPayload cannot
// judge, since encoding/json turns lone surrogate escapes into U+FFFD.
var surrogateEscapeRE = regexp.MustCompile(`(?i)\\ud[89a-f]`)

// referenceValidPayload is a slow second opinion on defaultPayloadRules,
// built on encoding/json.
func referenceValidPayload(p []byte) bool {
	if len(p) > 64<<10 || !utf8.Valid(p) || !json.Valid(p) {
		return false
	}
	d := json.NewDecoder(bytes.NewReader(p))
	d.UseNumber()
	type level struct {
		names   map[string]bool // nil for an array
		wantKey bool
	}
	var stack []*level
	for first := true; ; first = false {
		tok, err := d.Token()
		if err == io.EOF {
			return true
		}
		if err != nil || first && tok != json.Delim('{') {
			return false
		}
		var top *level
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if name, ok := tok.(string); ok && top != nil && top.wantKey {
			if top.names[name] {
				return false
			}
			top.names[name] = true
			top.wantKey = false
			continue
		}
		if tok == json.Delim('}') || tok == json.Delim(']') {
			stack = stack[:len(stack)-1]
			continue
		}
		if top != nil && top.names != nil {
			top.wantKey = true // after this value
		}
		switch tok := tok.(type) {
		case json.Delim:
			l := &level{}
			if tok == '{' {
				l = &level{names: map[string]bool{}, wantKey: true}
			}
			if stack = append(stack, l); len(stack) > signet.MaxPayloadDepth {
				return false
			}
		case json.Number:
			if _, err := strconv.ParseFloat(string(tok), 64); err != nil {
				return false
			}
		}
	}
}
