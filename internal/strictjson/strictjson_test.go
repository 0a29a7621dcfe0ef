package strictjson

import (
	stdjson "encoding/json"
	"errors"
	"strings"
	"testing"
)

var checkTests = []struct {
	name string
	in   string
	want error // nil or ErrInvalid
}{
	{name: "ok/empty object", in: `{}`},
	{name: "ok/whitespace", in: " \t\r\n{ \"a\" : [ 1 , { } ] } \n"},
	{name: "ok/case variants are distinct names", in: `{"x":1,"X":2}`},
	{name: "ok/surrogate pair", in: `{"a":"\ud83e\udd8a"}`},
	{name: "ok/tiny number rounds to zero", in: `{"a":1e-400}`},
	{name: "ok/largest double", in: `{"a":1.7976931348623157e308}`},
	{name: "ok/depth 64", in: strings.Repeat(`{"a":`, 63) + `{}` + strings.Repeat(`}`, 63)},
	{name: "ErrInvalid/depth 65", in: strings.Repeat(`{"a":`, 64) + `{}` + strings.Repeat(`}`, 64), want: ErrInvalid},
	{name: "ErrInvalid/lone high surrogate", in: `{"a":"\ud800"}`, want: ErrInvalid},
	{name: "ErrInvalid/lone low surrogate", in: `{"a":"\udc00"}`, want: ErrInvalid},
	{name: "ErrInvalid/lone surrogate in name", in: `{"\ud800":1}`, want: ErrInvalid},
	{name: "ErrInvalid/invalid UTF-8", in: "{\"a\":\"\xff\"}", want: ErrInvalid},
	{name: "ErrInvalid/UTF-8 encoded surrogate", in: "{\"a\":\"\xed\xa0\x80\"}", want: ErrInvalid},
	{name: "ErrInvalid/duplicate name", in: `{"a":1,"a":2}`, want: ErrInvalid},
	{name: "ErrInvalid/duplicate name via escape", in: `{"a":1,"\u0061":2}`, want: ErrInvalid},
	{name: "ErrInvalid/number overflows double", in: `{"a":1e400}`, want: ErrInvalid},
	{name: "ErrInvalid/negative number overflows double", in: `{"a":-1e309}`, want: ErrInvalid},
	{name: "ErrInvalid/trailing data", in: `{}x`, want: ErrInvalid},
	{name: "ErrInvalid/two objects", in: `{}{}`, want: ErrInvalid},
	{name: "ErrInvalid/byte order mark", in: "\ufeff{}", want: ErrInvalid},
	{name: "ErrInvalid/array", in: `[]`, want: ErrInvalid},
	{name: "ErrInvalid/empty", in: ``, want: ErrInvalid},
	{name: "ErrInvalid/unterminated", in: `{"a":[1,2`, want: ErrInvalid},
	{name: "ErrInvalid/leading zero", in: `{"a":-01}`, want: ErrInvalid},
}

func TestCheckObject(t *testing.T) {
	for _, tt := range checkTests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckObject([]byte(tt.in), MaxDepth)
			if !errors.Is(err, tt.want) || (err == nil) != (tt.want == nil) {
				t.Fatalf("CheckObject(%.40q) = %v, want %v", tt.in, err, tt.want)
			}
			if _, ok := errors.AsType[*Error](err); err != nil && !ok {
				t.Fatalf("CheckObject(%.40q) = %T, want *Error", tt.in, err)
			}
		})
	}
}

func TestCheckObjectDetail(t *testing.T) {
	tests := []struct{ in, want string }{
		{`{"lines":[{},{},{},{"amount":1,"amount":2}]}`, "strictjson: invalid JSON: duplicate member name at $.lines[3].amount (offset 31)"},
		{`{"a":[1,2,1e999]}`, "number out of range at $.a[2] (offset 10)"},
		{`{"a":"\ud800"}`, "lone surrogate escape in string at $.a (offset 6)"},
		{`{"a":"\ud800\u00zz"}`, `invalid \u escape in string at $.a (offset 12)`},
		{`{"a":"\q"}`, "invalid escape in string at $.a (offset 6)"},
		{"{\"a\":\"\x01\"}", "control character in string at $.a (offset 6)"},
		{`{"a":01}`, "number with leading zero at $.a (offset 5)"},
		{`{"a":[1 2]}`, `invalid character '2', want ',' or ']' at $.a[0] (offset 8)`},
		{`{"a":[1,]}`, `invalid character ']', want a value at $.a[1] (offset 8)`},
		{`{"a":1,}`, `invalid character '}', want a member name at $ (offset 7)`},
		{`{"a" 1}`, `invalid character '1', want ':' at $.a (offset 5)`},
		{`{"a":-x}`, `invalid character 'x', want a digit at $.a (offset 6)`},
		{`{"a":1`, "unexpected end of input at $.a (offset 6)"},
		{"{\"a\":\"\xff\"}", "strictjson: invalid JSON: invalid UTF-8 at offset 6"},
		{`1`, "top-level value is a number, want an object at $ (offset 0)"},
		{"\ufeff{}", `invalid character '\ufeff', want '{' at $ (offset 0)`},
		{` {} x`, "data after the top-level object at $ (offset 4)"},
	}
	for _, tt := range tests {
		err := CheckObject([]byte(tt.in), MaxDepth)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("CheckObject(%q) = %v, want detail %q", tt.in, err, tt.want)
		}
	}
}

// TestDetailQuotesLittle checks that an error quotes no more of the input
// than a cut member name, whatever the library's own message said.
func TestDetailQuotesLittle(t *testing.T) {
	secret := strings.Repeat("s", 500)
	for _, in := range []string{
		`{"a":"\ud800` + secret + `"}`,
		`{"a":"\u12` + secret + `"}`,
		`{"` + secret + `":1,"` + secret + `":2}`,
		`{"a":tru` + secret + `}`,
	} {
		err := CheckObject([]byte(in), MaxDepth)
		if err == nil || strings.Contains(err.Error(), strings.Repeat("s", 65)) {
			t.Errorf("CheckObject(%.40q) = %v, want an error quoting at most 64 bytes", in, err)
		}
	}
}

type jwkLike struct {
	Kty string `json:"kty"`
	X   string `json:"x"`
}

func TestUnmarshal(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    jwkLike
		wantErr error
	}{
		{name: "ok", in: `{"kty":"OKP","x":"abc"}`, want: jwkLike{Kty: "OKP", X: "abc"}},
		{name: "ErrUnknownMember/case variant", in: `{"kty":"OKP","X":"abc"}`, wantErr: ErrUnknownMember},
		{name: "ErrUnknownMember/case variant beside exact", in: `{"x":"abc","X":"def"}`, wantErr: ErrUnknownMember},
		{name: "ErrUnknownMember/other member", in: `{"x":"abc","y":1}`, wantErr: ErrUnknownMember},
		{name: "ErrInvalid/duplicate", in: `{"x":"abc","x":"def"}`, wantErr: ErrInvalid},
		{name: "ErrInvalid/lone surrogate", in: `{"x":"\ud800"}`, wantErr: ErrInvalid},
		{name: "ErrInvalid/number beyond double in unknown member", in: `{"x":"a","y":1e400}`, wantErr: ErrInvalid},
		{name: "ErrInvalid/trailing data", in: `{"x":"a"} {}`, wantErr: ErrInvalid},
		{name: "ErrMismatch/number for string", in: `{"x":1}`, wantErr: ErrMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got jwkLike
			err := Unmarshal([]byte(tt.in), &got)
			if !errors.Is(err, tt.wantErr) || (err == nil) != (tt.wantErr == nil) {
				t.Fatalf("Unmarshal(%q) = %v, want %v", tt.in, err, tt.wantErr)
			}
			if err == nil && got != tt.want {
				t.Fatalf("Unmarshal(%q) decoded %+v, want %+v", tt.in, got, tt.want)
			}
		})
	}
}

func TestUnmarshalIgnoreUnknown(t *testing.T) {
	var got jwkLike
	in := `{"kty":"OKP","X":"upper","x":"lower","kid":{"a":[1]}}`
	if err := UnmarshalIgnoreUnknown([]byte(in), &got); err != nil || got.X != "lower" {
		t.Fatalf("UnmarshalIgnoreUnknown(%q) = %+v, %v; want x \"lower\"", in, got, err)
	}
	got = jwkLike{}
	in = `{"X":"upper"}`
	if err := UnmarshalIgnoreUnknown([]byte(in), &got); err != nil || got.X != "" {
		t.Fatalf("UnmarshalIgnoreUnknown(%q) = %+v, %v; want no x", in, got, err)
	}
	for _, in := range []string{`{"y":"\udc00"}`, `{"y":1,"y":2}`, `{"y":1e999}`} {
		if err := UnmarshalIgnoreUnknown([]byte(in), &got); !errors.Is(err, ErrInvalid) {
			t.Errorf("UnmarshalIgnoreUnknown(%q) = %v, want ErrInvalid", in, err)
		}
	}
}

func FuzzCheckObject(f *testing.F) {
	for _, tt := range checkTests {
		f.Add([]byte(tt.in))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		err := CheckObject(data, MaxDepth)
		if err != nil {
			if _, ok := errors.AsType[*Error](err); !ok || !errors.Is(err, ErrInvalid) {
				t.Fatalf("CheckObject(%q) = %v, want an *Error wrapping ErrInvalid", data, err)
			}
			return
		}
		var m map[string]any
		if err := stdjson.Unmarshal(data, &m); err != nil {
			t.Fatalf("CheckObject(%q) = nil, but encoding/json: %v", data, err)
		}
		if err := UnmarshalIgnoreUnknown(data, &m); err != nil {
			t.Fatalf("CheckObject(%q) = nil, but UnmarshalIgnoreUnknown: %v", data, err)
		}
	})
}
