package signet_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/signet-ledger/signet"
)

const (
	h0   = `"0000000000000000000000000000000000000000000000000000000000000000"`
	good = `{"index":0,"kind":"entry","signer":"alice","kid":"k","integrated_time":"2026-01-02T03:04:05Z",` +
		`"hash":` + h0 + `,"prev_hash":` + h0 + `,"payload":{"a":1},"jws":{"protected":"p","payload":"q","signature":"s"}}`
	goodEnd = `{"tree_size":1,"checkpoint":"c","consistency":[]}`
)

func TestParseExportLine(t *testing.T) {
	w, end, err := signet.ParseExportLine([]byte(good))
	if err != nil || end != nil || w.Signer != "alice" || string(w.Payload) != `{"a":1}` || w.JWS.Signature != "s" {
		t.Fatalf("ParseExportLine(record) = %+v, %+v, %v", w, end, err)
	}
	w, end, err = signet.ParseExportLine([]byte(goodEnd))
	if err != nil || w != nil || end.TreeSize != 1 || end.Checkpoint != "c" || end.Consistency == nil {
		t.Fatalf("ParseExportLine(end) = %+v, %+v, %v", w, end, err)
	}
}

// TestParseExportLineRefuses changes a valid line in each way a lenient
// parser would let through, and expects R1.
func TestParseExportLineRefuses(t *testing.T) {
	cases := []struct{ name, line string }{
		{"CaseVariantDuplicate", strings.TrimSuffix(strings.Replace(good, `"alice"`, `"mallory"`, 1), "}") + `,"SIGNER":"alice"}`},
		{"CaseVariant", strings.Replace(good, `"signer"`, `"SIGNER"`, 1)},
		{"Duplicate", strings.Replace(good, `"signer":"alice"`, `"signer":"mallory","signer":"alice"`, 1)},
		{"DuplicateInJWS", strings.Replace(good, `"signature":"s"`, `"signature":"s","signature":"t"`, 1)},
		{"DuplicateInPayload", strings.Replace(good, `{"a":1}`, `{"a":1,"a":2}`, 1)},
		{"UnknownMember", strings.Replace(good, `{"index"`, `{"note":"x","index"`, 1)},
		{"UnknownJWSMember", strings.Replace(good, `"signature":"s"`, `"signature":"s","header":{}`, 1)},
		{"InvalidUTF8", strings.Replace(good, "alice", "ali\xffce", 1)},
		{"Trailing", good + `{}`},
		{"TrailingGarbage", good + `x`},
		{"NotObject", `[1]`},
		{"Empty", ``},
		{"NoJWS", strings.Replace(good, `,"jws":{"protected":"p","payload":"q","signature":"s"}`, ``, 1)},
		{"NoPayload", strings.Replace(good, `"payload":{"a":1},`, ``, 1)},
		{"NoSigner", strings.Replace(good, `"signer":"alice",`, ``, 1)},
		{"NoIndex", strings.Replace(good, `"index":0,`, ``, 1)},
		{"FractionalIndex", strings.Replace(good, `"index":0`, `"index":0.5`, 1)},
		{"RecordWithEndMember", strings.Replace(good, `{"index"`, `{"checkpoint":"c","index"`, 1)},
		{"EndWithRecordMember", strings.Replace(goodEnd, `{"tree_size"`, `{"index":0,"tree_size"`, 1)},
		{"EndNoConsistency", `{"tree_size":1,"checkpoint":"c"}`},
		{"EndDuplicate", `{"tree_size":1,"tree_size":2,"checkpoint":"c","consistency":[]}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w, end, err := signet.ParseExportLine([]byte(tc.line))
			if signet.RuleOf(err) != signet.RuleFormat || !errors.Is(err, signet.ErrMalformed) {
				t.Fatalf("ParseExportLine(%q) = %+v, %+v, %v; want R1", tc.line, w, end, err)
			}
			t.Log(err)
		})
	}
}

func TestWireRecordRules(t *testing.T) {
	cases := []struct {
		name, from, to string
		rule           signet.Rule
	}{
		{"Kind", `"kind":"entry"`, `"kind":"Entry"`, signet.RuleKind},
		{"Time", `05Z"`, `05+00:00"`, signet.RuleTime},
		{"TimeNanos", `05Z"`, `05.0000001Z"`, signet.RuleTime},
		{"HashUpperCase", `"hash":"0000`, `"hash":"A000`, signet.RuleFormat},
		{"NegativeIndex", `"index":0`, `"index":-1`, signet.RuleFormat},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w, _, err := signet.ParseExportLine([]byte(strings.Replace(good, tc.from, tc.to, 1)))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := w.Record(); signet.RuleOf(err) != tc.rule {
				t.Fatalf("Record() = %v, want rule %s", err, tc.rule)
			}
		})
	}
}

// FuzzParseExportLine: ParseExportLine never panics; it refuses a line
// naming a rule, or accepts one that a lenient reader (encoding/json, which
// matches names case-insensitively and lets the last duplicate win) reads
// the same way, and that survives a round trip: one line, one meaning.
func FuzzParseExportLine(f *testing.F) {
	for _, s := range []string{good, goodEnd, `{}`, `[]`, strings.Replace(good, `"signer"`, `"SIGNER"`, 1),
		strings.Replace(good, `{"a":1}`, `{"a":[1,{"b":"\u00e9"}]}`, 1)} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		w, end, err := signet.ParseExportLine(line)
		if err != nil {
			if signet.RuleOf(err) == "" {
				t.Fatalf("ParseExportLine refused %q without naming a rule: %v", line, err)
			}
			return
		}
		var got, again any
		var lenient any
		switch {
		case w != nil && end == nil:
			lenient, got = new(signet.WireRecord), w
		case end != nil && w == nil:
			lenient, got = new(signet.WireExportEnd), end
		default:
			t.Fatalf("ParseExportLine(%q) = %+v, %+v: want exactly one of a record and an end", line, w, end)
		}
		if err := json.Unmarshal(line, lenient); err != nil {
			t.Fatalf("ParseExportLine accepted %q, which encoding/json refuses: %v", line, err)
		}
		if !reflect.DeepEqual(normal(t, got), normal(t, lenient)) {
			t.Fatalf("ParseExportLine(%q) = %+v, but encoding/json reads %+v", line, got, lenient)
		}
		b, err := json.Marshal(got)
		if err != nil {
			t.Fatal(err)
		}
		w2, end2, err := signet.ParseExportLine(b)
		if err != nil {
			t.Fatalf("the re-encoded line %q is refused: %v", b, err)
		}
		if w2 != nil {
			again = w2
		} else {
			again = end2
		}
		if !reflect.DeepEqual(normal(t, got), normal(t, again)) {
			t.Fatalf("round trip of %q changed it: %+v, then %+v", line, got, again)
		}
	})
}

// normal is v re-encoded and decoded generically, so that two payloads
// that differ only in spacing compare equal.
func normal(t *testing.T, v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}
