package keys_test

import (
	"strings"
	"testing"

	"github.com/signet-ledger/signet/keys"
)

// benchEntry returns a key and a JWS shaped like a journal entry on the
// append path: a kid header with a 55-character nonce and a url, over a
// 300-byte JSON payload.
func benchEntry(b *testing.B) (keys.PrivateKey, *keys.JWS) {
	k, err := keys.GenerateKey()
	if err != nil {
		b.Fatal(err)
	}
	payload := `{"memo":"` + strings.Repeat("x", 300-len(`{"memo":""}`)) + `"}`
	h := keys.Header{Kid: k.Public().Thumbprint(), Nonce: strings.Repeat("n", 55), URL: "http://127.0.0.1:8080/v1/entries"}
	j, err := k.Sign(h, []byte(payload))
	if err != nil {
		b.Fatal(err)
	}
	return k, j
}

// BenchmarkJWSVerify is the Ed25519 check every append pays, once per
// entry, in the server's verify workers.
func BenchmarkJWSVerify(b *testing.B) {
	k, j := benchEntry(b)
	pub := k.Public()
	b.ReportAllocs()
	for b.Loop() {
		if err := j.Verify(pub); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseFlattened parses the body of POST /v1/entries.
func BenchmarkParseFlattened(b *testing.B) {
	_, j := benchEntry(b)
	body := j.Flattened()
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := keys.ParseFlattened(body); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSign is the client's cost per entry, and the bulk loader's.
func BenchmarkSign(b *testing.B) {
	k, j := benchEntry(b)
	payload := j.PayloadBytes()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := k.Sign(j.Header, payload); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseCompact parses the same JWS in the compact serialization.
func BenchmarkParseCompact(b *testing.B) {
	_, j := benchEntry(b)
	body := j.Compact()
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := keys.ParseCompact(body); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseJWK parses the jwk of a registration request.
func BenchmarkParseJWK(b *testing.B) {
	k, _ := benchEntry(b)
	data := []byte(`{"kty":"OKP","crv":"Ed25519","x":"` + k.Public().JWK().X + `"}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := keys.ParseJWK(data); err != nil {
			b.Fatal(err)
		}
	}
}
