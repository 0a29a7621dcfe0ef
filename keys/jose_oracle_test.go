package keys

import (
	"bytes"
	"crypto/ed25519"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
)

// go-jose v4 is the differential oracle of this package's JWS parser: every
// JWS that ParseCompact or ParseFlattened accepts, go-jose must accept too,
// with the same header, payload and signature. go-jose is only ever
// imported by tests, so that clients of this package do not pull it in.

// goJOSEAlgorithms is the allow-list given to go-jose. go-jose v4 has no
// constant for the RFC 9864 name "Ed25519" but compares alg with the list
// as a plain string while parsing, so the name works there.
var goJOSEAlgorithms = []jose.SignatureAlgorithm{jose.EdDSA, "Ed25519"}

// goJOSEParse parses body with go-jose. A compact body is first trimmed
// as ParseCompact trims it.
func goJOSEParse(compact bool, body []byte) (*jose.JSONWebSignature, error) {
	if compact {
		return jose.ParseSignedCompact(string(bytes.Trim(body, " \t\r\n")), goJOSEAlgorithms)
	}
	return jose.ParseSignedJSON(string(body), goJOSEAlgorithms)
}

// checkGoJOSE fails unless go-jose accepts body, which this package parsed
// as j, with the same parts. When j verifies under the RFC 8037 key with
// alg EdDSA, go-jose must verify it too: the signature then proves that
// both read the same protected header and payload bytes.
func checkGoJOSE(t *testing.T, compact bool, body []byte, j *JWS) {
	t.Helper()
	js, err := goJOSEParse(compact, body)
	if err != nil {
		t.Fatalf("parse(%q) accepts, go-jose refuses: %v", body, err)
	}
	if len(js.Signatures) != 1 {
		t.Fatalf("go-jose reads %d signatures in %q, want 1", len(js.Signatures), body)
	}
	sig := js.Signatures[0]
	if want, _ := decodeB64(j.Signature); !bytes.Equal(sig.Signature, want) {
		t.Fatalf("go-jose reads signature %x, we read %x", sig.Signature, want)
	}
	if got := js.UnsafePayloadWithoutVerification(); !bytes.Equal(got, j.PayloadBytes()) {
		t.Fatalf("go-jose reads payload %q, we read %q", got, j.PayloadBytes())
	}
	h := sig.Protected
	if h.Algorithm != j.Header.Alg || h.KeyID != j.Header.Kid || h.Nonce != j.Header.Nonce {
		t.Fatalf("go-jose reads header %+v, we read %+v", h, j.Header)
	}
	if url, _ := h.ExtraHeaders["url"].(string); url != j.Header.URL {
		t.Fatalf("go-jose reads url %q, we read %q", url, j.Header.URL)
	}
	checkGoJOSEKey(t, h.JSONWebKey, j.Header.JWK)
	if j.Header.Alg == "EdDSA" && j.Verify(PublicKey(rfcPub)) == nil {
		got, err := js.Verify(ed25519.PublicKey(rfcPub))
		if err != nil || !bytes.Equal(got, j.PayloadBytes()) {
			t.Fatalf("we verify %q, go-jose: %q, %v", body, got, err)
		}
	}
}

func checkGoJOSEKey(t *testing.T, got *jose.JSONWebKey, want *PublicKey) {
	t.Helper()
	if (got == nil) != (want == nil) {
		t.Fatalf("go-jose reads jwk %v, we read %v", got, want)
	}
	if want == nil {
		return
	}
	if k, ok := got.Key.(ed25519.PublicKey); !ok || !bytes.Equal(k, want[:]) {
		t.Fatalf("go-jose reads jwk key %#v, we read %x", got.Key, want[:])
	}
}

// TestGoJOSEAgrees runs the oracle over every table case we accept.
func TestGoJOSEAgrees(t *testing.T) {
	n := 0
	for _, tt := range jwsTests {
		j, err := parse(tt.compact, []byte(tt.in))
		if err != nil {
			continue
		}
		n++
		checkGoJOSE(t, tt.compact, []byte(tt.in), j)
	}
	if n == 0 {
		t.Fatal("no accepted cases in the table")
	}
}

// goJOSEHeaders seed FuzzGoJOSEHeader with headers near the rules' edges.
var goJOSEHeaders = []string{
	`{"alg":"EdDSA"}`,
	`{"alg":"Ed25519","kid":"k","nonce":"n","url":"https://x/"}`,
	`{"alg":"EdDSA","jwk":` + rfcPublicJWK + `}`,
	`{"alg":"EdDSA","jwk":{"kty":"OKP","crv":"Ed25519","x":"` + rfcX + `","kid":"k","use":"sig","ext":[1]}}`,
	`{"alg":"EdDSA","KID":"x","ALG":"none","Jwk":5}`,
	`{"alg":"EdDSA","typ":"JOSE","cty":"json","x-other":[1,{"a":null}],"n":1.5e300}`,
	`{"alg":"EdDSA","x5c":["AAAA"]}`,
	`{"alg":"EdDSA","epk":{},"apu":"AA","iv":"AA","tag":"AA","p2s":"AA","p2c":1}`,
}

// FuzzGoJOSEHeader signs a fuzzed protected header with the RFC 8037 key,
// so that signatures verify, and holds both serializations against go-jose.
func FuzzGoJOSEHeader(f *testing.F) {
	for _, h := range goJOSEHeaders {
		f.Add([]byte(h), []byte("hi"))
	}
	f.Fuzz(func(t *testing.T, header, payload []byte) {
		c := signed(string(header), string(payload))
		for _, compact := range []bool{true, false} {
			body := []byte(c)
			if !compact {
				body = []byte(toFlat(c))
			}
			if j, err := parse(compact, body); err == nil {
				checkGoJOSE(t, compact, body, j)
			}
		}
	})
}

// FuzzGoJOSEFlattened holds ParseFlattened against go-jose on raw bodies,
// which exercises the outer JSON object.
func FuzzGoJOSEFlattened(f *testing.F) {
	addJWSSeeds(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		if j, err := ParseFlattened(body); err == nil {
			checkGoJOSE(t, false, body, j)
		}
	})
}
