package api

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/signet-ledger/signet/ledger"
	"golang.org/x/mod/sumdb/tlog"
)

// answerStrings are strings that encoding/json escapes in every way it has.
var answerStrings = []string{
	"", "alice", `"quoted" \ back`, "<script>&amp;</script>", "tab\tnew\nline\rcr\bbs\fff",
	"\x00\x01\x1f\x7f", "é ü 😀", "\u2028\u2029", "bad \xff utf-8 \xed\xa0\x80", strings.Repeat("x", 300),
}

// testAppended is an append's answer with s in every string.
func testAppended(s string, payload string, proof int) *ledger.Appended {
	rec := &ledger.Record{Index: 123456, Kind: ledger.KindEntry, Signer: s, KID: s + "kid",
		IntegratedTime: time.Date(2026, 1, 2, 3, 4, 5, 123456000, time.UTC),
		Protected:      "eyJhbGciOiJFZERTQSJ9", Payload: b64url(payload), Signature: s, Hash: ledger.Hash{1, 2, 3}, PrevHash: ledger.Hash{0xff}}
	a := &ledger.Appended{Record: rec, Checkpoint: []byte("signet/test\n123457\n" + s + "\n\n— sig\n"), TreeSize: 123457}
	for i := range proof {
		a.Proof = append(a.Proof, tlog.Hash{byte(i), 0xfb, 0xff})
	}
	return a
}

// TestAppendAnswerIsEncodingJSON: the hand-written answers are, byte for
// byte, what encoding/json (gin's c.JSON) writes for the same views.
func TestAppendAnswerIsEncodingJSON(t *testing.T) {
	payloads := []string{`{"memo":"x"}`, " { \"a\" : [1, 2.50, {\"<\":\"&\"}] ,\n \"b\":\"\u2028\" } ", `not json`, `{"s":"\u00e9\ud83d\ude00"}`, ``}
	for _, s := range answerStrings {
		for _, p := range payloads {
			for _, n := range []int{0, 1, 20} {
				a := testAppended(s, p, n)
				v := newAppendedView(a)
				want, err := json.Marshal(v)
				if err != nil {
					t.Fatal(err)
				}
				if got := appendAppendedView(nil, &v); !bytes.Equal(got, want) {
					t.Fatalf("appendAppendedView(%q, %q) =\n%s\nwant\n%s", s, p, got, want)
				}
				rv := newRecordView(a.Record, true)
				want, _ = json.Marshal(rv)
				if got := append(appendRecordView(nil, &rv), '}'); !bytes.Equal(got, want) {
					t.Fatalf("appendRecordView(%q, %q) =\n%s\nwant\n%s", s, p, got, want)
				}
				pv := proofView{LogIndex: 1, TreeSize: 2, Checkpoint: s}
				want, _ = json.Marshal(pv)
				if got := appendProofView(nil, &pv); !bytes.Equal(got, want) {
					t.Fatalf("appendProofView(%q) =\n%s\nwant\n%s", s, got, want)
				}
				out := []batchResult{{Status: 201, Entry: &v}, {Status: 400, Problem: &Problem{Type: "urn:x", Title: s, Status: 400, Detail: s}}}
				want, _ = json.Marshal(map[string]any{"results": out})
				var got []byte
				for i := range out {
					got = append(append(got, ','), appendBatchResult(nil, &out[i])...)
				}
				got = append(append([]byte(`{"results":[`), got[1:]...), "]}"...)
				if !bytes.Equal(got, want) {
					t.Fatalf("batch answer (%q) =\n%s\nwant\n%s", s, got, want)
				}
			}
		}
	}
}

func FuzzAppendJSONString(f *testing.F) {
	for _, s := range answerStrings {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := appendJSONString(nil, s); !bytes.Equal(got, want) {
			t.Fatalf("appendJSONString(%q) = %s, want %s", s, got, want)
		}
	})
}

func FuzzAppendRawJSON(f *testing.F) {
	f.Add([]byte(`{"a":[1,2,{"<":"\u2028"}]}`))
	f.Add([]byte(" { \"a\" : 1 } "))
	f.Fuzz(func(t *testing.T, raw []byte) {
		if !json.Valid(raw) {
			return
		}
		want, err := json.Marshal(json.RawMessage(raw))
		if err != nil {
			t.Fatal(err)
		}
		if got := appendRawJSON(nil, raw); !bytes.Equal(got, want) {
			t.Fatalf("appendRawJSON(%q) = %s, want %s", raw, got, want)
		}
	})
}

// BenchmarkAppendAnswer is the answer to one append, view and JSON, as
// POST /v1/entries writes it (20 proof hashes, a 300-byte payload).
func BenchmarkAppendAnswer(b *testing.B) {
	a := testAppended("bench-signer", `{"memo":"`+strings.Repeat("x", 289)+`"}`, 20)
	b.Run("encoding/json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			v := newAppendedView(a)
			if _, err := json.Marshal(v); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("hand-written", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			v := newAppendedView(a)
			_ = appendAppendedView(make([]byte, 0, 2048), &v)
		}
	})
}

func b64url(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
