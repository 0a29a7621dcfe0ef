package strictjson

import (
	"bytes"
	"errors"
	"testing"

	"github.com/go-json-experiment/json/jsontext"
)

// checkMembers fails unless CheckMembers agrees with CheckObject on data
// and, when it passes, returns the members a jsontext.Decoder reads.
func checkMembers(t *testing.T, data []byte) {
	t.Helper()
	got, err := CheckMembers(data, MaxDepth, nil)
	want := CheckObject(data, MaxDepth)
	if (err == nil) != (want == nil) || err != nil && err.Error() != want.Error() {
		t.Fatalf("CheckMembers(%q) = %v, CheckObject = %v", data, err, want)
	}
	if err != nil {
		return
	}
	d := jsontext.NewDecoder(bytes.NewReader(data))
	if _, err := d.ReadToken(); err != nil {
		t.Fatal(err)
	}
	for i := 0; d.PeekKind() != '}'; i++ {
		tok, err := d.ReadToken()
		if err != nil {
			t.Fatal(err)
		}
		name := tok.String()
		v, err := d.ReadValue()
		if err != nil {
			t.Fatal(err)
		}
		if i >= len(got) {
			t.Fatalf("CheckMembers(%q) returned %d members, want more", data, len(got))
		}
		m := got[i]
		if string(m.Name) != name || m.Kind != v.Kind() {
			t.Fatalf("CheckMembers(%q)[%d] = %q (%v), want %q (%v)", data, i, m.Name, m.Kind, name, v.Kind())
		}
		switch v.Kind() {
		case '"':
			s, _ := jsontext.AppendUnquote(nil, v)
			if m.Str != string(s) {
				t.Fatalf("CheckMembers(%q)[%d].Str = %q, want %q", data, i, m.Str, s)
			}
		case '{', '[':
			if !bytes.Equal(m.Raw, v) {
				t.Fatalf("CheckMembers(%q)[%d].Raw = %q, want %q", data, i, m.Raw, v)
			}
		}
	}
	if len(got) != countMembers(t, data) {
		t.Fatalf("CheckMembers(%q) returned %d members, want %d", data, len(got), countMembers(t, data))
	}
}

func countMembers(t *testing.T, data []byte) int {
	var m map[string]jsontext.Value
	if err := UnmarshalIgnoreUnknown(data, &m); err != nil {
		t.Fatal(err)
	}
	return len(m)
}

func TestCheckMembers(t *testing.T) {
	for _, tt := range checkTests {
		checkMembers(t, []byte(tt.in))
	}
	for _, in := range []string{
		`{"protected":"eyJ","payload":"e30","signature":"AA"}`,
		`{"\u0070rotected":"a\"b","x":{"y":[1,{"z":null}]},"a":[],"n":-1.5e3,"t":true,"f":false,"0":null}`,
		` { "a" : { } , "b" : [ ] } `,
	} {
		checkMembers(t, []byte(in))
	}
}

func FuzzCheckMembers(f *testing.F) {
	for _, tt := range checkTests {
		f.Add([]byte(tt.in))
	}
	f.Add([]byte(`{"\u0070rotected":"a\"b","x":{"y":[1,{"z":null}]},"a":[],"n":-1.5e3}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		checkMembers(t, data)
		if _, err := CheckMembers(data, MaxDepth, nil); err != nil && !errors.Is(err, ErrInvalid) {
			t.Fatalf("CheckMembers(%q) = %v, want ErrInvalid", data, err)
		}
	})
}
