package keys

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// checkError fails unless err wraps one of the package's sentinels and
// says so in its prefix.
func checkError(t *testing.T, err error) {
	t.Helper()
	if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrBadAlgorithm) && !errors.Is(err, ErrBadKey) {
		t.Fatalf("error %q wraps no parse sentinel", err)
	}
	if !strings.HasPrefix(err.Error(), "keys: ") {
		t.Fatalf("error %q does not start with \"keys: \"", err)
	}
}

// checkReparse fails unless both serializations of j parse to j again.
func checkReparse(t *testing.T, j *JWS) {
	t.Helper()
	for form, body := range map[string][]byte{"flattened": j.Flattened(), "compact": j.Compact()} {
		got, err := parse(form == "compact", body)
		if err != nil {
			t.Fatalf("%s form %q of a parsed JWS does not parse: %v", form, body, err)
		}
		if !reflect.DeepEqual(got, j) {
			t.Fatalf("%s form parses to %+v, want %+v", form, got, j)
		}
	}
	if len(j.PayloadBytes()) == 0 {
		t.Fatalf("parsed JWS has an empty payload")
	}
	if j.Header.JWK != nil {
		_ = j.Verify(*j.Header.JWK)
	}
}

func addJWSSeeds(f *testing.F) {
	for _, tt := range jwsTests {
		f.Add([]byte(tt.in))
	}
}

func FuzzParseFlattened(f *testing.F) {
	addJWSSeeds(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		j, err := ParseFlattened(body)
		if err != nil {
			checkError(t, err)
			return
		}
		checkReparse(t, j)
	})
}

func FuzzParseCompact(f *testing.F) {
	addJWSSeeds(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		j, err := ParseCompact(body)
		if err != nil {
			checkError(t, err)
			return
		}
		checkReparse(t, j)
	})
}

func FuzzParseJWK(f *testing.F) {
	for _, tt := range jwkTests {
		f.Add([]byte(tt.in))
	}
	for _, h := range weakKeys {
		f.Add([]byte(hexJWK(h)))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if k, err := ParseJWK(data); err != nil {
			checkError(t, err)
		} else {
			checkJWKReparse(t, k)
		}
		if k, err := ParsePrivateJWK(data); err != nil {
			checkError(t, err)
		} else {
			checkPrivateReparse(t, k)
		}
	})
}

func checkJWKReparse(t *testing.T, k PublicKey) {
	t.Helper()
	b, err := json.Marshal(k.JWK())
	if err != nil {
		t.Fatal(err)
	}
	k2, err := ParseJWK(b)
	if err != nil || k2 != k {
		t.Fatalf("ParseJWK(%s) = %x, %v; want %x", b, k2, err, k)
	}
}

func checkPrivateReparse(t *testing.T, k PrivateKey) {
	t.Helper()
	b, err := k.MarshalJWK()
	if err != nil {
		t.Fatal(err)
	}
	k2, err := ParsePrivateJWK(b)
	if err != nil || k2.Public() != k.Public() {
		t.Fatalf("ParsePrivateJWK(MarshalJWK()) = %v, %v", k2, err)
	}
}

// decodeB64ByReencoding is the first definition of decodeB64: decode
// strictly, then re-encode and compare. It is the oracle of FuzzDecodeB64.
func decodeB64ByReencoding(s string) ([]byte, bool) {
	b, err := base64.RawURLEncoding.Strict().DecodeString(s)
	if err != nil || base64.RawURLEncoding.EncodeToString(b) != s {
		return nil, false
	}
	return b, true
}

func FuzzDecodeB64(f *testing.F) {
	for _, s := range []string{"", "A", "AA", "AB", "AAA", "AAB", "AAAA", "e30", "e3=", "e30=", "e3\n0", "e3\r0", "e+/0", "e-_0", " e30", "QQ", "QR"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := decodeB64(s)
		want, wok := decodeB64ByReencoding(s)
		if ok != wok || !bytes.Equal(got, want) {
			t.Fatalf("decodeB64(%q) = %x, %v; the re-encoding oracle says %x, %v", s, got, ok, want, wok)
		}
	})
}
