package api

import (
	"bytes"
	"strings"
	"testing"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/signet-ledger/signet/internal/strictjson"
)

// batchEntriesByUnmarshal is how the batch handler first read its body,
// kept as the oracle of batchEntries.
func batchEntriesByUnmarshal(body []byte) ([]jsontext.Value, bool) {
	var in struct {
		Entries []jsontext.Value `json:"entries"`
	}
	if err := strictjson.Unmarshal(body, &in); err != nil {
		return nil, false
	}
	return in.Entries, true
}

var batchBodies = []string{
	`{"entries":[]}`, `{"entries":null}`, `{}`, `{"entries":"x"}`, `{"entries":[1,"a",{"b":[1]}]}`, `{"entries":[],"x":1}`,
	`{"Entries":[]}`, `{"entries":[{"protected":"a","payload":"b","signature":"c"} , {} ]}`, `{"entries":[1e400]}`, `[]`,
	`{"entries":[],"entries":[]}`, "{\"entries\":[\"\\u0022,\"]}",
}

func TestBatchEntriesIsUnmarshal(t *testing.T) {
	for _, b := range batchBodies {
		checkBatchEntries(t, []byte(b))
	}
}

func checkBatchEntries(t *testing.T, body []byte) {
	got, ok := batchEntries(body)
	want, wok := batchEntriesByUnmarshal(body)
	if ok != wok || len(got) != len(want) {
		t.Fatalf("batchEntries(%q) = %q, %v; want %q, %v", body, got, ok, want, wok)
	}
	for i := range got {
		if !bytes.Equal(got[i], want[i]) {
			t.Fatalf("batchEntries(%q)[%d] = %q, want %q", body, i, got[i], want[i])
		}
	}
}

func FuzzBatchEntries(f *testing.F) {
	for _, b := range batchBodies {
		f.Add([]byte(b))
	}
	f.Fuzz(func(t *testing.T, body []byte) { checkBatchEntries(t, body) })
}

// BenchmarkBatchBody reads the body of a batch of 100 entries shaped like
// the benchmark's (750 bytes each), as the handler does before the
// entries are parsed in parallel: serial work per batch.
func BenchmarkBatchBody(b *testing.B) {
	e := `{"protected":"` + strings.Repeat("h", 232) + `","payload":"` + strings.Repeat("p", 400) + `","signature":"` + strings.Repeat("s", 86) + `"}`
	body := []byte(`{"entries":[` + strings.Repeat(e+",", 99) + e + `]}`)
	b.Run("strictjson.Unmarshal", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			if _, ok := batchEntriesByUnmarshal(body); !ok {
				b.Fatal("refused")
			}
		}
	})
	b.Run("CheckMembers+Elements", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			if _, ok := batchEntries(body); !ok {
				b.Fatal("refused")
			}
		}
	})
}
