package signet

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"time"

	"golang.org/x/mod/sumdb/tlog"
)

// WireRecord is a record as the HTTP API shows it and as each line of an
// export holds it:
//
//	{"index":7,"kind":"entry","signer":"alice","kid":"...",
//	 "integrated_time":"2026-01-02T03:04:05.123456Z",
//	 "hash":"<64 hex>","prev_hash":"<64 hex>","payload":{...},
//	 "jws":{"protected":"...","payload":"...","signature":"..."}}
//
// payload is the signed payload decoded, shown for reading; the record
// hash covers jws.payload, its base64url form. In an export jws is always
// present, with empty protected and signature for an operator record.
type WireRecord struct {
	Index          int64           `json:"index"`
	Kind           string          `json:"kind"`
	Signer         string          `json:"signer"`
	KID            string          `json:"kid"`
	IntegratedTime string          `json:"integrated_time"`
	Hash           string          `json:"hash"`
	PrevHash       string          `json:"prev_hash"`
	Payload        json.RawMessage `json:"payload"`
	JWS            *WireJWS        `json:"jws,omitempty"`
}

// WireJWS is a record's JWS parts in flattened JSON serialization, exactly
// as the log received them.
type WireJWS struct {
	Protected string `json:"protected"`
	Payload   string `json:"payload"`
	Signature string `json:"signature"`
}

// WireExportEnd is the last line of an export:
//
//	{"tree_size":N,"checkpoint":"<signed note>","consistency":["<base64>",...]}
//
// tree_size is the number of records exported from index 0 up; checkpoint
// is the log's latest signed checkpoint when the export ran, and
// consistency the proof (standard base64 hashes, as in checkpoints) that
// the tree of tree_size records is a prefix of the checkpoint's tree,
// empty when the two sizes are equal.
type WireExportEnd struct {
	TreeSize    int64       `json:"tree_size"`
	Checkpoint  string      `json:"checkpoint"`
	Consistency []tlog.Hash `json:"consistency"`
}

// Record parses w into a Record. Hashes must be 64 lower-case hex digits,
// the kind one of the log's, and the time the canonical form the API writes
// (see [ParseTime]). w.JWS must be present: without it the record hash
// cannot be recomputed. Errors are [*RuleError]s: R2 for the kind, R3 for
// the time, R1 for the rest. Record does not check the hash, the signature
// or the shown payload; see [RecordHash], [Replay] and [SamePayload].
func (w *WireRecord) Record() (*Record, error) {
	if w.JWS == nil {
		return nil, broke(RuleFormat, ErrMalformed, "record %d has no jws", w.Index)
	}
	if w.Index < 0 {
		return nil, broke(RuleFormat, ErrMalformed, "negative index %d", w.Index)
	}
	kind, err := ParseKind(w.Kind)
	if err != nil {
		return nil, broke(RuleKind, ErrMalformed, "unknown record kind %q", trunc(w.Kind))
	}
	r := &Record{Index: w.Index, Kind: kind, Signer: w.Signer, KID: w.KID,
		Protected: w.JWS.Protected, Payload: w.JWS.Payload, Signature: w.JWS.Signature}
	if r.IntegratedTime, err = ParseTime(w.IntegratedTime); err != nil {
		return nil, wrapRule(RuleTime, err)
	}
	if r.Hash, err = ParseHash(w.Hash); err != nil {
		return nil, broke(RuleFormat, ErrMalformed, "hash: %v", err)
	}
	if r.PrevHash, err = ParseHash(w.PrevHash); err != nil {
		return nil, broke(RuleFormat, ErrMalformed, "prev_hash: %v", err)
	}
	return r, nil
}

// FormatTime writes an integrated time as the API does, [ParseTime]'s
// inverse.
func FormatTime(t time.Time) string { return Time(t).Format(time.RFC3339Nano) }

// ParseTime parses an integrated time as the API writes it: RFC 3339 in
// UTC ("Z"), with the fraction of a second trimmed of trailing zeros and
// at most microseconds, which is all the log keeps. Any other spelling of
// the same instant is refused, so one time has one text form.
func ParseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil || FormatTime(t) != s {
		return time.Time{}, fmt.Errorf("%w: integrated_time %q is not RFC 3339 UTC with at most microseconds", ErrMalformed, trunc(s))
	}
	return Time(t), nil
}

// SamePayload reports whether shown, the payload member of a
// [WireRecord], is the JSON value whose base64url form is signed (the
// record's Payload). The API writes the signed bytes compacted and with
// <, >, & and U+2028/U+2029 escaped, so that form is compared first; any
// other spelling is compared as decoded JSON values. A signed payload that
// is not JSON is shown as null.
func SamePayload(shown json.RawMessage, signed string) bool {
	p, err := base64.RawURLEncoding.Strict().DecodeString(signed)
	if err != nil {
		return false
	}
	if !json.Valid(p) {
		return bytes.Equal(bytes.TrimSpace(shown), []byte("null"))
	}
	var c, e bytes.Buffer
	if json.Compact(&c, p) == nil {
		json.HTMLEscape(&e, c.Bytes())
		if bytes.Equal(e.Bytes(), shown) {
			return true
		}
	}
	return sameJSON(shown, p)
}

// CheckShownPayload applies R7: shown, the payload member of an export
// line, is the payload signed ([SamePayload]).
func CheckShownPayload(shown json.RawMessage, signed string) error {
	if !SamePayload(shown, signed) {
		return broke(RuleShownPayload, ErrMalformed, "the payload shown is not the payload signed (jws.payload)")
	}
	return nil
}

// sameJSON compares two JSON texts as values, numbers by their text.
func sameJSON(a, b []byte) bool {
	va, ok := decodeValue(a)
	if !ok {
		return false
	}
	vb, ok := decodeValue(b)
	if !ok {
		return false
	}
	ea, _ := json.Marshal(va)
	eb, _ := json.Marshal(vb)
	return bytes.Equal(ea, eb)
}

func decodeValue(b []byte) (any, bool) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if d.Decode(&v) != nil || d.More() {
		return nil, false
	}
	return v, true
}
