package keys

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// RFC 8037, Appendix A.
const (
	rfcD          = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"
	rfcX          = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
	rfcPrivateJWK = `{"kty":"OKP","crv":"Ed25519","d":"` + rfcD + `","x":"` + rfcX + `"}`
	rfcPublicJWK  = `{"kty":"OKP","crv":"Ed25519","x":"` + rfcX + `"}`
	rfcThumbprint = "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
)

// okpJWK returns a public JWK with the given x.
func okpJWK(x string) string {
	return `{"kty":"OKP","crv":"Ed25519","x":"` + x + `"}`
}

// hexJWK returns a public JWK whose x is the given hex bytes.
func hexJWK(h string) string {
	b, err := hex.DecodeString(h)
	if err != nil {
		panic(err)
	}
	return okpJWK(encodeB64(b))
}

// jwkTests are inputs to ParseJWK, named for the outcome.
var jwkTests = []struct {
	name string
	in   string
	want error // nil: parses to the RFC 8037 key
}{
	{"OK/RFC8037", rfcPublicJWK, nil},
	{"OK/ExtraMembersIgnored", `{"kid":"k1","use":"sig","alg":"EdDSA","x":"` + rfcX + `","crv":"Ed25519","kty":"OKP"}`, nil},
	{"OK/Whitespace", " {\n \"kty\" : \"OKP\", \"crv\":\"Ed25519\",\t\"x\":\"" + rfcX + "\"}\n", nil},
	{"OK/EscapedMemberName", `{"kty":"OKP","crv":"Ed25519","\u0078":"` + rfcX + `"}`, nil},
	{"OK/CaseVariantOfXIgnored", `{"kty":"OKP","crv":"Ed25519","x":"` + rfcX + `","X":"AAAA"}`, nil},
	{"ErrMalformed/LoneSurrogate", `{"kty":"OKP","crv":"Ed25519","x":"` + rfcX + `","kid":"\udc00"}`, ErrMalformed},
	{"ErrMalformed/KidNotString", `{"kty":"OKP","crv":"Ed25519","x":"` + rfcX + `","kid":5}`, ErrMalformed},
	{"ErrBadKey/X5c", `{"kty":"OKP","crv":"Ed25519","x":"` + rfcX + `","x5c":["AAAA"]}`, ErrBadKey},
	{"ErrBadKey/ForeignMemberN", `{"kty":"OKP","crv":"Ed25519","x":"` + rfcX + `","n":"AQAB"}`, ErrBadKey},
	{"ErrMalformed/Empty", ``, ErrMalformed},
	{"ErrMalformed/NotJSON", `kty=OKP`, ErrMalformed},
	{"ErrMalformed/Array", `[` + rfcPublicJWK + `]`, ErrMalformed},
	{"ErrMalformed/String", `"` + rfcX + `"`, ErrMalformed},
	{"ErrMalformed/Null", `null`, ErrMalformed},
	{"ErrMalformed/Unterminated", `{"kty":"OKP","crv":"Ed25519","x":"` + rfcX + `"`, ErrMalformed},
	{"ErrMalformed/TrailingData", rfcPublicJWK + `{}`, ErrMalformed},
	{"ErrMalformed/TrailingGarbage", rfcPublicJWK + `x`, ErrMalformed},
	{"ErrMalformed/DuplicateX", `{"kty":"OKP","crv":"Ed25519","x":"` + rfcX + `","x":"` + rfcX + `"}`, ErrMalformed},
	{"ErrMalformed/DuplicateEscapedName", `{"kty":"OKP","crv":"Ed25519","x":"` + rfcX + `","\u0078":"` + rfcX + `"}`, ErrMalformed},
	{"ErrMalformed/DuplicateNested", `{"kty":"OKP","crv":"Ed25519","x":"` + rfcX + `","ext":{"a":1,"a":2}}`, ErrMalformed},
	{"ErrMalformed/InvalidUTF8", "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"" + rfcX + "\",\"kid\":\"\xff\"}", ErrMalformed},
	{"ErrMalformed/TooDeep", `{"kty":"OKP","crv":"Ed25519","x":"` + rfcX + `","e":` + strings.Repeat("[", 70) + strings.Repeat("]", 70) + `}`, ErrMalformed},
	{"ErrBadKey/PrivateD", rfcPrivateJWK, ErrBadKey},
	{"ErrBadKey/PrivateK", `{"kty":"OKP","crv":"Ed25519","x":"` + rfcX + `","k":"AAAA"}`, ErrBadKey},
	{"ErrBadKey/NullD", `{"kty":"OKP","crv":"Ed25519","x":"` + rfcX + `","d":null}`, ErrBadKey},
	{"ErrBadKey/KtyRSA", `{"kty":"RSA","n":"` + rfcX + `","e":"AQAB"}`, ErrBadKey},
	{"ErrBadKey/KtyEC", `{"kty":"EC","crv":"P-256","x":"` + rfcX + `","y":"` + rfcX + `"}`, ErrBadKey},
	{"ErrBadKey/KtyMissing", `{"crv":"Ed25519","x":"` + rfcX + `"}`, ErrBadKey},
	{"ErrBadKey/KtyNotString", `{"kty":1,"crv":"Ed25519","x":"` + rfcX + `"}`, ErrBadKey},
	{"ErrBadKey/KtyWrongCase", `{"kty":"okp","crv":"Ed25519","x":"` + rfcX + `"}`, ErrBadKey},
	{"ErrBadKey/MemberNameWrongCase", `{"KTY":"OKP","crv":"Ed25519","x":"` + rfcX + `"}`, ErrBadKey},
	{"ErrBadKey/CrvX25519", `{"kty":"OKP","crv":"X25519","x":"` + rfcX + `"}`, ErrBadKey},
	{"ErrBadKey/CrvEd448", `{"kty":"OKP","crv":"Ed448","x":"` + rfcX + `"}`, ErrBadKey},
	{"ErrBadKey/CrvMissing", `{"kty":"OKP","x":"` + rfcX + `"}`, ErrBadKey},
	{"ErrBadKey/XMissing", `{"kty":"OKP","crv":"Ed25519"}`, ErrBadKey},
	{"ErrBadKey/XNull", `{"kty":"OKP","crv":"Ed25519","x":null}`, ErrBadKey},
	{"ErrBadKey/XNumber", `{"kty":"OKP","crv":"Ed25519","x":32}`, ErrBadKey},
	{"ErrBadKey/XEmpty", okpJWK(""), ErrBadKey},
	{"ErrBadKey/X31Bytes", okpJWK(encodeB64(make31())), ErrBadKey},
	{"ErrBadKey/X33Bytes", okpJWK(rfcX + "AA"), ErrBadKey},
	{"ErrBadKey/XPadded", okpJWK(rfcX + "="), ErrBadKey},
	{"ErrBadKey/XStdAlphabet", okpJWK(strings.ReplaceAll(rfcX, "_", "/")), ErrBadKey},
	{"ErrBadKey/XLineBreak", okpJWK(rfcX[:20] + `\n` + rfcX[20:]), ErrBadKey},
	{"ErrBadKey/XNonZeroTrailingBits", okpJWK(rfcX[:42] + "p"), ErrBadKey},
	{"ErrBadKey/NotOnCurve", hexJWK("0200000000000000000000000000000000000000000000000000000000000000"), ErrBadKey},
	{"ErrBadKey/NonCanonicalY", hexJWK("f0ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"), ErrBadKey},
}

func make31() []byte { return make([]byte, 31) }

// weakKeys are the low-order encodings go-jose v4.1.9 refuses: the eight
// small-order points, canonical or not.
var weakKeys = []string{
	"0000000000000000000000000000000000000000000000000000000000000000",
	"0000000000000000000000000000000000000000000000000000000000000080",
	"0100000000000000000000000000000000000000000000000000000000000000",
	"0100000000000000000000000000000000000000000000000000000000000080",
	"26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
	"26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
	"c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
	"c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
	"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
	"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
	"edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
	"edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
	"eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
	"eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
}

func TestParseJWK(t *testing.T) {
	for _, tt := range jwkTests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := ParseJWK([]byte(tt.in))
			if !errors.Is(err, tt.want) {
				t.Fatalf("ParseJWK(%q) = %v, want %v", tt.in, err, tt.want)
			}
			if tt.want == nil && k.JWK().X != rfcX {
				t.Errorf("ParseJWK(%q).JWK().X = %q, want %q", tt.in, k.JWK().X, rfcX)
			}
		})
	}
}

func TestParseJWKSmallOrder(t *testing.T) {
	for _, h := range weakKeys {
		t.Run("ErrBadKey/"+h[:8]+h[62:], func(t *testing.T) {
			if _, err := ParseJWK([]byte(hexJWK(h))); !errors.Is(err, ErrBadKey) {
				t.Errorf("ParseJWK(x=%s) = %v, want ErrBadKey", h, err)
			}
			if PublicKey(mustKey(h)).Verify([]byte("m"), make([]byte, 64)) {
				t.Errorf("PublicKey(%s).Verify = true for a zero signature", h)
			}
		})
	}
}

func TestPublicKeyCheckAcceptsGeneratedKeys(t *testing.T) {
	for i := range 200 {
		k, err := GenerateKey()
		if err != nil {
			t.Fatal(err)
		}
		if err := k.Public().check(); err != nil {
			t.Fatalf("key %d: check() = %v, want nil", i, err)
		}
	}
	// y = 3 is a point of large order that no seed need produce.
	if err := mustKey("0300000000000000000000000000000000000000000000000000000000000000").check(); err != nil {
		t.Errorf("check(y=3) = %v, want nil", err)
	}
}

func TestThumbprintRFC8037(t *testing.T) {
	k, err := ParseJWK([]byte(rfcPublicJWK))
	if err != nil {
		t.Fatal(err)
	}
	if got := k.Thumbprint(); got != rfcThumbprint {
		t.Errorf("Thumbprint() = %s, want %s", got, rfcThumbprint)
	}
}

func TestJWKMarshal(t *testing.T) {
	k, err := ParseJWK([]byte(rfcPublicJWK))
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(k.JWK())
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != rfcPublicJWK {
		t.Errorf("json.Marshal(JWK()) = %s, want %s", b, rfcPublicJWK)
	}
}

func TestPrivateJWKRFC8037(t *testing.T) {
	k, err := ParsePrivateJWK([]byte(rfcPrivateJWK))
	if err != nil {
		t.Fatal(err)
	}
	if got := k.Public().JWK().X; got != rfcX {
		t.Errorf("Public().JWK().X = %s, want %s", got, rfcX)
	}
	b, err := k.MarshalJWK()
	if err != nil {
		t.Fatal(err)
	}
	want := `{"kty":"OKP","crv":"Ed25519","x":"` + rfcX + `","d":"` + rfcD + `"}`
	if string(b) != want {
		t.Errorf("MarshalJWK() = %s, want %s", b, want)
	}
}

func TestParsePrivateJWK(t *testing.T) {
	other, _ := GenerateKey()
	tests := []struct {
		name string
		in   string
		want error
	}{
		{"ErrBadKey/XDoesNotMatchD", `{"kty":"OKP","crv":"Ed25519","d":"` + rfcD + `","x":"` + other.Public().JWK().X + `"}`, ErrBadKey},
		{"ErrBadKey/DMissing", rfcPublicJWK, ErrBadKey},
		{"ErrBadKey/DNotString", `{"kty":"OKP","crv":"Ed25519","d":7,"x":"` + rfcX + `"}`, ErrBadKey},
		{"ErrBadKey/DPadded", `{"kty":"OKP","crv":"Ed25519","d":"` + rfcD + `=","x":"` + rfcX + `"}`, ErrBadKey},
		{"ErrBadKey/D31Bytes", `{"kty":"OKP","crv":"Ed25519","d":"` + encodeB64(make31()) + `","x":"` + rfcX + `"}`, ErrBadKey},
		{"ErrBadKey/XMissing", `{"kty":"OKP","crv":"Ed25519","d":"` + rfcD + `"}`, ErrBadKey},
		{"ErrBadKey/KtyRSA", `{"kty":"RSA","crv":"Ed25519","d":"` + rfcD + `","x":"` + rfcX + `"}`, ErrBadKey},
		{"ErrMalformed/DuplicateD", `{"kty":"OKP","crv":"Ed25519","d":"` + rfcD + `","d":"` + rfcD + `","x":"` + rfcX + `"}`, ErrMalformed},
		{"ErrMalformed/NotJSON", `d=` + rfcD, ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := ParsePrivateJWK([]byte(tt.in)); !errors.Is(err, tt.want) {
				t.Errorf("ParsePrivateJWK(%q) = %v, want %v", tt.in, err, tt.want)
			}
		})
	}
}

func TestPrivateKeyRoundTrip(t *testing.T) {
	k, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	b, err := k.MarshalJWK()
	if err != nil {
		t.Fatal(err)
	}
	k2, err := ParsePrivateJWK(b)
	if err != nil {
		t.Fatalf("ParsePrivateJWK(MarshalJWK()) = %v", err)
	}
	b2, _ := k2.MarshalJWK()
	if string(b2) != string(b) || k2.Public() != k.Public() {
		t.Errorf("ParsePrivateJWK(MarshalJWK()) is a different key")
	}
}

func TestZeroPrivateKey(t *testing.T) {
	var k PrivateKey
	if k.Public() != (PublicKey{}) {
		t.Errorf("PrivateKey{}.Public() is not zero")
	}
	if _, err := k.MarshalJWK(); !errors.Is(err, ErrBadKey) {
		t.Errorf("PrivateKey{}.MarshalJWK() = %v, want ErrBadKey", err)
	}
	if _, err := k.Sign(Header{}, []byte("x")); !errors.Is(err, ErrBadKey) {
		t.Errorf("PrivateKey{}.Sign() = %v, want ErrBadKey", err)
	}
}

func TestPrivateKeyFormatHidesSecret(t *testing.T) {
	k, err := ParsePrivateJWK([]byte(rfcPrivateJWK))
	if err != nil {
		t.Fatal(err)
	}
	want := "keys.PrivateKey(" + rfcThumbprint + ")"
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%X", "%d", "%q"} {
		if got := fmt.Sprintf(verb, k); got != want {
			t.Errorf("Sprintf(%q, k) = %q, want %q", verb, got, want)
		}
	}
}
