package strictjson

import (
	"bytes"
	"testing"

	"github.com/go-json-experiment/json/jsontext"
)

// checkElements fails unless Elements splits every checked array member
// of data as json/v2 decodes it into []jsontext.Value.
func checkElements(t *testing.T, data []byte) {
	t.Helper()
	ms, err := CheckMembers(data, MaxDepth, nil)
	if err != nil {
		return
	}
	for _, m := range ms {
		if m.Kind != '[' {
			continue
		}
		var want []jsontext.Value
		if err := UnmarshalIgnoreUnknown(append(append([]byte(`{"a":`), m.Raw...), '}'), &struct {
			A *[]jsontext.Value `json:"a"`
		}{&want}); err != nil {
			t.Fatal(err)
		}
		got := Elements(m.Raw)
		if len(got) != len(want) {
			t.Fatalf("Elements(%q) = %q, want %q", m.Raw, got, want)
		}
		for i := range got {
			if !bytes.Equal(got[i], want[i]) {
				t.Fatalf("Elements(%q)[%d] = %q, want %q", m.Raw, i, got[i], want[i])
			}
		}
	}
}

var elementTests = []string{
	`{"a":[]}`, `{"a":[ ]}`, `{"a":[1]}`, `{"a":[ 1 , "x,]" , {"b":[1,2]} , [[]], null, true, "\"]," ]}`,
	"{\"a\":[\n\t{\"protected\":\"p\",\"payload\":\"q\",\"signature\":\"s\"}\r\n,\"\\\\\"]}",
}

func TestElements(t *testing.T) {
	for _, in := range elementTests {
		checkElements(t, []byte(in))
	}
}

func FuzzElements(f *testing.F) {
	for _, in := range elementTests {
		f.Add([]byte(in))
	}
	f.Fuzz(func(t *testing.T, data []byte) { checkElements(t, data) })
}
