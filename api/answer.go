package api

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
	"golang.org/x/mod/sumdb/tlog"
)

// The answers to appends are the only JSON on the append path, one per
// entry, so they are written by hand: exactly the bytes encoding/json
// writes for the same views (answer_test.go checks that), without its
// reflection. docs/PERFORMANCE.md has BenchmarkAppendAnswer's figures.

// jsonContentType is what gin's c.JSON sends.
const jsonContentType = "application/json; charset=utf-8"

// writeAppended answers an append with v, as c.JSON(status, v) would.
func writeAppended(c *gin.Context, status int, v *appendedView) {
	c.Data(status, jsonContentType, appendAppendedView(make([]byte, 0, 2048), v))
}

// writeBatch answers a batch with {"results": out}, as c.JSON would.
func writeBatch(c *gin.Context, out []batchResult) {
	b := make([]byte, 0, 1024+1536*len(out))
	b = append(b, `{"results":[`...)
	for i := range out {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendBatchResult(b, &out[i])
	}
	c.Data(http.StatusOK, jsonContentType, append(b, "]}"...))
}

// appendBatchResult appends json.Marshal(r) to b.
func appendBatchResult(b []byte, r *batchResult) []byte {
	b = append(b, `{"status":`...)
	b = strconv.AppendInt(b, int64(r.Status), 10)
	if r.Entry != nil {
		b = append(b, `,"entry":`...)
		b = appendAppendedView(b, r.Entry)
	}
	if r.Problem != nil {
		// Problems are rare here and have their own marshalling.
		p, err := json.Marshal(r.Problem)
		if err != nil {
			p = []byte("null")
		}
		b = append(b, `,"problem":`...)
		b = append(b, p...)
	}
	return append(b, '}')
}

// appendAppendedView appends json.Marshal(v) to b.
func appendAppendedView(b []byte, v *appendedView) []byte {
	b = appendRecordView(b, &v.recordView)
	b = append(b, `,"checkpoint":`...)
	b = appendJSONString(b, v.Checkpoint)
	b = append(b, `,"inclusion_proof":`...)
	b = appendProofView(b, &v.InclusionProof)
	return append(b, '}')
}

// appendRecordView appends json.Marshal(v) to b, without the closing brace.
func appendRecordView(b []byte, v *recordView) []byte {
	b = append(b, `{"index":`...)
	b = strconv.AppendInt(b, v.Index, 10)
	for _, f := range [...]struct{ name, v string }{
		{`,"kind":`, string(v.Kind)}, {`,"signer":`, v.Signer}, {`,"kid":`, v.KID}, {`,"integrated_time":`, v.IntegratedTime},
	} {
		b = append(b, f.name...)
		b = appendJSONString(b, f.v)
	}
	b = append(b, `,"hash":"`...)
	b = hex.AppendEncode(b, v.Hash[:])
	b = append(b, `","prev_hash":"`...)
	b = hex.AppendEncode(b, v.PrevHash[:])
	b = append(b, `","payload":`...)
	b = appendRawJSON(b, v.Payload)
	if j := v.JWS; j != nil {
		b = append(b, `,"jws":{"protected":`...)
		b = appendJSONString(b, j.Protected)
		b = append(b, `,"payload":`...)
		b = appendJSONString(b, j.Payload)
		b = append(b, `,"signature":`...)
		b = appendJSONString(b, j.Signature)
		b = append(b, '}')
	}
	return b
}

// appendProofView appends json.Marshal(p) to b.
func appendProofView(b []byte, p *proofView) []byte {
	b = append(b, `{"log_index":`...)
	b = strconv.AppendInt(b, p.LogIndex, 10)
	b = append(b, `,"tree_size":`...)
	b = strconv.AppendInt(b, p.TreeSize, 10)
	if p.LeafHash != nil {
		b = append(b, `,"leaf_hash":`...)
		b = appendHash(b, *p.LeafHash)
	}
	b = append(b, `,"hashes":`...)
	if p.Hashes == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, h := range p.Hashes {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendHash(b, h)
		}
		b = append(b, ']')
	}
	if p.Checkpoint != "" {
		b = append(b, `,"checkpoint":`...)
		b = appendJSONString(b, p.Checkpoint)
	}
	return append(b, '}')
}

// appendHash appends h as tlog.Hash marshals it: standard base64, quoted.
func appendHash(b []byte, h tlog.Hash) []byte {
	b = append(b, '"')
	b = base64.StdEncoding.AppendEncode(b, h[:])
	return append(b, '"')
}

// appendRawJSON appends raw as encoding/json writes a json.RawMessage:
// compacted, with <, >, & and U+2028/U+2029 escaped; null if nil. The
// views only hold valid JSON; anything else is written as null.
func appendRawJSON(b []byte, raw json.RawMessage) []byte {
	if raw == nil {
		return append(b, "null"...)
	}
	var c bytes.Buffer
	if err := json.Compact(&c, raw); err != nil {
		return append(b, "null"...)
	}
	out := bytes.NewBuffer(b)
	json.HTMLEscape(out, c.Bytes())
	return out.Bytes()
}

// appendJSONString appends s quoted as encoding/json quotes a string (with
// its default HTML escaping): <, >, & and control characters as \u00XX
// but for \b, \f, \n, \r and \t, invalid UTF-8 as \ufffd, and U+2028 and
// U+2029 escaped.
func appendJSONString(b []byte, s string) []byte {
	const hexDigits = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
