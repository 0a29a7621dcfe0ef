package ledger

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// nest returns a payload whose innermost container is at the given depth:
// depth-1 objects {"a":...} around inner.
func nest(depth int, inner string) string {
	return strings.Repeat(`{"a":`, depth-1) + inner + strings.Repeat("}", depth-1)
}

// sized returns the object {"a":"xxx..."} of exactly n bytes.
func sized(n int) string {
	return `{"a":"` + strings.Repeat("x", n-len(`{"a":""}`)) + `"}`
}

// members returns an object with n distinct members.
func members(n int) string {
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

const journalEntry = `{"journal_id":"JE000001","entry_date":"2016-11-06","account_code":"100000",` +
	`"account_name":"Cash and cash equivalents","amount":"16453.24","currency":"EUR","dr_cr":"C",` +
	`"cost_center":"CC-0420","description":"Customer receipt, invoice INV-2016-11-0193",` +
	`"posted_by":"akovacs","line":1,"fx_rate":1.0e0,"reversal":false,"memo":null}`

var payloadTests = []struct {
	name  string
	rules PayloadRules // zero means DefaultPayloadRules
	in    string
	want  error // nil, ErrMalformedPayload or ErrPayloadTooLarge
}{
	{name: "ok/empty", in: `{}`},
	{name: "ok/whitespace", in: " \t\r\n{ \"a\" : [ 1 , { } ] } \n"},
	{name: "ok/nested", in: `{"a":{"b":[1,{"c":[[],{}]}],"d":{}},"e":[true,false,null]}`},
	{name: "ok/unicode", in: `{"名前":"Zoë 🦊","€":"\u00e9\u20ac"}`},
	{name: "ok/escaped names", in: `{"a\"b":1,"a\\b":2,"\n":3,"\u0000":4,"":5,"\/":6}`},
	{name: "ok/numbers", in: `{"a":-0,"b":1.5e-10,"c":1E+308,"d":0.001,"e":-12e3,"f":1e-400,"g":1e00000000000000000001}`},
	{name: "ok/surrogate pair", in: `{"a":"\ud83e\udd8a","\uD83E\uDD8A":1}`},
	{name: "ok/same name in sibling objects", in: `{"a":{"x":1},"b":{"x":1},"x":[{"x":1},{"x":2}]}`},
	{name: "ok/journal entry", in: journalEntry},
	{name: "ok/depth 64", in: nest(64, `{}`)},
	{name: "ok/depth 64 array", in: nest(64, `[]`)},
	{name: "ok/64 KiB", in: sized(64 << 10)},
	// 10000 distinct members cannot fit in 64 KiB.
	{name: "ok/10000 members", rules: PayloadRules{MaxBytes: 1 << 20}, in: members(10000)},

	{name: "ErrPayloadTooLarge/64 KiB plus one", in: sized(64<<10 + 1), want: ErrPayloadTooLarge},
	{name: "ErrPayloadTooLarge/before UTF-8", in: sized(64<<10) + "\xff", want: ErrPayloadTooLarge},

	{name: "ErrMalformedPayload/depth 65", in: nest(65, `{}`), want: ErrMalformedPayload},
	{name: "ErrMalformedPayload/depth 100 arrays", in: `{"a":` + strings.Repeat("[", 99) + strings.Repeat("]", 99) + `}`, want: ErrMalformedPayload},
	{name: "ErrMalformedPayload/array", in: `[]`, want: ErrMalformedPayload},
	{name: "ErrMalformedPayload/array of object", in: `[{}]`, want: ErrMalformedPayload},
	{name: "ErrMalformedPayload/string", in: `"{}"`, want: ErrMalformedPayload},
	{name: "ErrMalformedPayload/number", in: `1`, want: ErrMalformedPayload},
	{name: "ErrMalformedPayload/true", in: `true`, want: ErrMalformedPayload},
	{name: "ErrMalformedPayload/null", in: `null`, want: ErrMalformedPayload},
	{name: "ErrMalformedPayload/empty", in: ``, want: ErrMalformedPayload},
	{name: "ErrMalformedPayload/whitespace only", in: " \n", want: ErrMalformedPayload},
	{name: "ErrMalformedPayload/not JSON", in: `hello`, want: ErrMalformedPayload},
	{name: "ErrMalformedPayload/byte order mark", in: "\ufeff{}", want: ErrMalformedPayload},
	{name: "ErrMalformedPayload/trailing garbage", in: `{}x`, want: ErrMalformedPayload},
	{name: "ErrMalformedPayload/two values", in: `{} {}`, want: ErrMalformedPayload},
	{name: "ErrMalformedPayload/trailing NUL", in: "{}\x00", want: ErrMalformedPayload},
	{name: "ErrMalformedPayload/unterminated", in: `{"a":1`, want: ErrMalformedPayload},
	{name: "ErrMalformedPayload/unterminated string", in: `{"a":"b}`, want: ErrMalformedPayload},
	{name: "ErrMalformedPayload/unterminated escape", in: `{"a":"\`, want: ErrMalformedPayload},
	{name: "ErrMalformedPayload/trailing comma", in: `{"a":1,}`, want: ErrMalformedPayload},
	{name: "ErrMalformedPayload/trailing comma in array", in: `{"a":[1,]}`, want: ErrMalformedPayload},
	{name: "ErrMalformedPayload/missing colon", in: `{"a" 1}`, want: ErrMalformedPayload},
	{name: "ErrMalformedPayload/missing value", in: `{"a":}`, want: ErrMalformedPayload},
	{name: "ErrMalformedPayload/unquoted name", in: `{a:1}`, want: ErrMalformedPayload},
	{name: "ErrMalformedPayload/single quotes", in: `{'a':1}`, want: ErrMalformedPayload},
	{name: "ErrMalformedPayload/leading zero", in: `{"a":01}`, want: ErrMalformedPayload},
	{name: "ErrMalformedPayload/bare minus", in: `{"a":-}`, want: ErrMalformedPayload},
	{name: "ErrMalformedPayload/bare dot", in: `{"a":1.}`, want: ErrMalformedPayload},
	{name: "ErrMalformedPayload/bare exponent", in: `{"a":1e}`, want: ErrMalformedPayload},
	{name: "ErrMalformedPayload/plus sign", in: `{"a":+1}`, want: ErrMalformedPayload},
	{name: "ErrMalformedPayload/hex number", in: `{"a":0x1}`, want: ErrMalformedPayload},
	{name: "ErrMalformedPayload/NaN", in: `{"a":NaN}`, want: ErrMalformedPayload},
	{name: "ErrMalformedPayload/number overflows float64", in: `{"a":1e400}`, want: ErrMalformedPayload},
	{name: "ErrMalformedPayload/long number overflows float64", in: `{"a":` + strings.Repeat("9", 400) + `}`, want: ErrMalformedPayload},
	{name: "ErrMalformedPayload/truncated literal", in: `{"a":tru}`, want: ErrMalformedPayload},
	{name: "ErrMalformedPayload/capitalised literal", in: `{"a":True}`, want: ErrMalformedPayload},
	{name: "ErrMalformedPayload/control character", in: "{\"a\":\"\t\"}", want: ErrMalformedPayload},
	{name: "ErrMalformedPayload/invalid escape", in: `{"a":"\x41"}`, want: ErrMalformedPayload},
	{name: "ErrMalformedPayload/short unicode escape", in: `{"a":"\u41"}`, want: ErrMalformedPayload},
	{name: "ErrMalformedPayload/comment", in: `{"a":1 /* c */}`, want: ErrMalformedPayload},
	{name: "ErrMalformedPayload/invalid UTF-8 in value", in: "{\"a\":\"\xff\"}", want: ErrMalformedPayload},
	{name: "ErrMalformedPayload/invalid UTF-8 in name", in: "{\"\xc3\x28\":1}", want: ErrMalformedPayload},
	{name: "ErrMalformedPayload/UTF-8 encoded surrogate", in: "{\"a\":\"\xed\xa0\x80\"}", want: ErrMalformedPayload},
	{name: "ErrMalformedPayload/high surrogate alone", in: `{"a":"\ud800"}`, want: ErrMalformedPayload},
	{name: "ErrMalformedPayload/high surrogate at end of name", in: `{"x\uDBFF":1}`, want: ErrMalformedPayload},
	{name: "ErrMalformedPayload/low surrogate alone", in: `{"a":"\udc00"}`, want: ErrMalformedPayload},
	{name: "ErrMalformedPayload/high surrogate then non-low", in: `{"a":"\ud800\u0041"}`, want: ErrMalformedPayload},
	{name: "ErrMalformedPayload/high surrogate then high", in: `{"a":"\ud800\ud800"}`, want: ErrMalformedPayload},
	{name: "ErrMalformedPayload/high surrogate then text", in: `{"a":"\ud800abcdef"}`, want: ErrMalformedPayload},
	{name: "ErrMalformedPayload/swapped surrogate pair", in: `{"a":"\udd8a\ud83e"}`, want: ErrMalformedPayload},
	{name: "ErrMalformedPayload/duplicate name", in: `{"a":1,"b":2,"a":3}`, want: ErrMalformedPayload},
	{name: "ErrMalformedPayload/duplicate name nested", in: `{"a":{"b":1,"b":1}}`, want: ErrMalformedPayload},
	{name: "ErrMalformedPayload/duplicate name in array", in: `{"a":[{},{"b":1,"b":1}]}`, want: ErrMalformedPayload},
	{name: "ErrMalformedPayload/duplicate name via escape", in: `{"a":1,"\u0061":2}`, want: ErrMalformedPayload},
	{name: "ErrMalformedPayload/duplicate name via surrogate pair", in: `{"🦊":1,"\ud83e\udd8a":2}`, want: ErrMalformedPayload},
	{name: "ErrMalformedPayload/duplicate name via solidus escape", in: `{"/":1,"\/":2}`, want: ErrMalformedPayload},
	{name: "ErrMalformedPayload/duplicate name at map switch", in: strings.TrimSuffix(members(17), "}") + `,"m16":0}`, want: ErrMalformedPayload},
	{name: "ErrMalformedPayload/duplicate name of first at map switch", in: strings.TrimSuffix(members(16), "}") + `,"m0":0}`, want: ErrMalformedPayload},
	{name: "ErrMalformedPayload/duplicate name after map switch", in: strings.TrimSuffix(members(100), "}") + `,"m7":0}`, want: ErrMalformedPayload},
	{name: "ok/depth 64 with DefaultPayloadRules", rules: DefaultPayloadRules, in: nest(64, "{}")},
	{name: "ErrMalformedPayload/depth 65 with DefaultPayloadRules", rules: DefaultPayloadRules, in: nest(65, "{}"), want: ErrMalformedPayload},

	{name: "ok/MaxBytes exact", rules: PayloadRules{MaxBytes: 10}, in: sized(10)},
	{name: "ErrPayloadTooLarge/MaxBytes", rules: PayloadRules{MaxBytes: 10}, in: sized(11), want: ErrPayloadTooLarge},
	{name: "ok/MaxDepth 1", rules: PayloadRules{MaxDepth: 1}, in: `{"a":1}`},
	{name: "ErrMalformedPayload/MaxDepth 1", rules: PayloadRules{MaxDepth: 1}, in: `{"a":[]}`, want: ErrMalformedPayload},
	{name: "ok/MaxDepth 200", rules: PayloadRules{MaxDepth: 200}, in: nest(200, "[]")},
}

func TestValidatePayload(t *testing.T) {
	for _, tt := range payloadTests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.rules.Validate([]byte(tt.in))
			if !errors.Is(err, tt.want) || (err == nil) != (tt.want == nil) {
				t.Fatalf("%+v.Validate(%.40q) = %v, want %v", tt.rules, tt.in, err, tt.want)
			}
		})
	}
}

func TestValidatePayloadDetail(t *testing.T) {
	long := strings.Repeat("n", 1000)
	tests := []struct {
		in   string
		want string
	}{
		{`{"a":{"b":1,"b":2}}`, "ledger: malformed payload: duplicate member name at $.a.b"},
		{`{"x":[0,{"a b":1,"a b":2}]}`, `duplicate member name at $.x[1]["a b"]`},
		{`{"a":1,"\u0061":2}`, "duplicate member name at $.a"},
		{`{"` + long + `":1,"` + long + `":2}`, "duplicate member name at $." + long[:64] + "…"},
		{`{"a":"\ud800"}`, "lone surrogate escape in string at offset 6"},
		{`{"a":[1,2,1e999]}`, "number out of range at $.a[2]"},
		{"{\"a\":\"\xff\"}", "invalid UTF-8 at offset 6"},
		{`[]`, "top-level value is an array, want an object"},
		{`{} {}`, "data after top-level object at offset 3"},
		{`{"a":1`, "unexpected end of payload at $.a"},
		{nest(65, "{}"), "nesting deeper than 64 at $.a.a.a.….a.a.a.a"},
		{sized(64<<10 + 1), "ledger: payload too large: 65537 bytes, limit 65536"},
	}
	for _, tt := range tests {
		err := DefaultPayloadRules.Validate([]byte(tt.in))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Validate(%.40q) = %v, want detail %q", tt.in, err, tt.want)
		}
		if err != nil && len(err.Error()) > 200 {
			t.Errorf("Validate(%.40q) error is %d bytes long, want at most 200", tt.in, len(err.Error()))
		}
	}
}

// TestValidatePayloadLinear checks that the time Validate takes grows
// linearly with adversarial shapes: many members in one object, many small
// objects, long escaped names.
func TestValidatePayloadLinear(t *testing.T) {
	if testing.Short() {
		t.Skip("timing test")
	}
	shapes := map[string]func(n int) string{
		"members": members,
		"objects": func(n int) string {
			return `{"a":[` + strings.Repeat(members(linearNames+1)+",", n/10) + `{}]}`
		},
		"escapes": func(n int) string { return `{"` + strings.Repeat(`\u0041`, n) + `":1}` },
	}
	rules := PayloadRules{MaxBytes: 1 << 30}
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
	p := []byte(journalEntry)
	b.SetBytes(int64(len(p)))
	b.ReportAllocs()
	for b.Loop() {
		if err := DefaultPayloadRules.Validate(p); err != nil {
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
		err := DefaultPayloadRules.Validate(p)
		if err != nil {
			if !errors.Is(err, ErrMalformedPayload) && !errors.Is(err, ErrPayloadTooLarge) {
				t.Fatalf("Validate(%q) = %v, want an error wrapping a sentinel", p, err)
			}
			return
		}
		if !json.Valid(p) {
			t.Fatalf("Validate(%q) = nil, but json.Valid is false", p)
		}
		var m map[string]any
		if err := json.Unmarshal(p, &m); err != nil {
			t.Fatalf("Validate(%q) = nil, but json.Unmarshal: %v", p, err)
		}
	})
}
