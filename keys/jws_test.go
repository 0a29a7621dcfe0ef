package keys

import (
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// RFC 8037, Appendix A.4.
const (
	rfcPayload = "Example of Ed25519 signing"
	rfcCompact = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc." +
		"hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg"
)

// rfcKey returns the private key of RFC 8037, Appendix A.1.
func rfcKey(t testing.TB) PrivateKey {
	k, err := ParsePrivateJWK([]byte(rfcPrivateJWK))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// b64 encodes s as unpadded base64url.
func b64(s string) string { return encodeB64([]byte(s)) }

// signed returns a compact JWS of payload under protected header JSON
// header, validly signed with the RFC 8037 key, so that a test case is
// wrong only in the way it means to be.
func signed(header, payload string) string {
	seed, _ := decodeB64(rfcD)
	input := b64(header) + "." + b64(payload)
	return input + "." + encodeB64(ed25519.Sign(ed25519.NewKeyFromSeed(seed), []byte(input)))
}

// flat joins three parts into a flattened JWS.
func flat(p, pl, s string) string {
	return `{"protected":"` + p + `","payload":"` + pl + `","signature":"` + s + `"}`
}

// toFlat turns a compact JWS into a flattened one.
func toFlat(compact string) string {
	p := strings.Split(compact, ".")
	return flat(p[0], p[1], p[2])
}

// hs256 returns a compact HS256 JWS keyed with secret.
func hs256(secret []byte, payload string) string {
	input := b64(`{"alg":"HS256"}`) + "." + b64(payload)
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(input))
	return input + "." + encodeB64(mac.Sum(nil))
}

var (
	rfcParts  = strings.Split(rfcCompact, ".")
	rfcSig, _ = decodeB64(rfcParts[2])
	rfcPub, _ = decodeB64(rfcX)
	ok        = signed(`{"alg":"EdDSA"}`, "hi")
	okParts   = strings.Split(ok, ".")
)

// jwsTests are inputs to ParseCompact (compact) or ParseFlattened, named
// for the outcome.
var jwsTests = []struct {
	name    string
	compact bool
	in      string
	want    error
}{
	{"OK/RFC8037", true, rfcCompact, nil},
	{"OK/RFC8037TrailingNewline", true, "\n " + rfcCompact + "\r\n", nil},
	{"OK/RFC8037Flattened", false, toFlat(rfcCompact), nil},
	{"OK/FlattenedReordered", false, `{"signature":"` + rfcParts[2] + `","payload":"` + rfcParts[1] + `","protected":"` + rfcParts[0] + `"}`, nil},
	{"OK/Ed25519Alg", true, signed(`{"alg":"Ed25519"}`, "hi"), nil},
	{"OK/JWKHeader", true, signed(`{"alg":"EdDSA","jwk":`+rfcPublicJWK+`,"nonce":"n","url":"https://x/"}`, "hi"), nil},
	{"OK/KidHeader", true, signed(`{"alg":"EdDSA","kid":"`+rfcThumbprint+`","typ":"JOSE","cty":"json","x-other":[1,{"a":null}]}`, "hi"), nil},

	{"OK/CaseVariantsAreOtherMembers", true, signed(`{"alg":"EdDSA","KID":"x","ALG":"none","Crit":["b64"],"B64":false}`, "hi"), nil},
	{"OK/JWKCaseVariantIgnored", true, signed(`{"alg":"EdDSA","jwk":{"kty":"OKP","crv":"Ed25519","x":"`+rfcX+`","X":"AAAA","D":"AAAA"}}`, "hi"), nil},
	{"ErrMalformed/DuplicateAlgInHeader", true, signed(`{"alg":"EdDSA","alg":"none"}`, "hi"), ErrMalformed},
	{"ErrMalformed/LoneSurrogateInHeader", true, signed(`{"alg":"EdDSA","kid":"\ud800"}`, "hi"), ErrMalformed},
	{"ErrMalformed/NumberOutOfRangeCompact", true, signed(`{"alg":"EdDSA","n":-1e400}`, "hi"), ErrMalformed},
	{"ErrMalformed/X5c", true, signed(`{"alg":"EdDSA","x5c":[]}`, "hi"), ErrMalformed},
	{"ErrMalformed/JWKAlgNotString", true, signed(`{"alg":"EdDSA","jwk":{"kty":"OKP","crv":"Ed25519","x":"`+rfcX+`","alg":1}}`, "hi"), ErrMalformed},
	{"ErrMalformed/FlattenedCaseVariant", false, `{"protected":"` + okParts[0] + `","payload":"` + okParts[1] + `","signature":"` + okParts[2] + `","Payload":"` + okParts[1] + `"}`, ErrMalformed},
	{"ErrBadKey/JWKX5t", true, signed(`{"alg":"EdDSA","jwk":{"kty":"OKP","crv":"Ed25519","x":"`+rfcX+`","x5t":"AAAA"}}`, "hi"), ErrBadKey},
	{"ErrBadKey/JWKForeignMemberY", true, signed(`{"alg":"EdDSA","jwk":{"kty":"OKP","crv":"Ed25519","x":"`+rfcX+`","y":"AAAA"}}`, "hi"), ErrBadKey},

	{"ErrBadAlgorithm/None", true, b64(`{"alg":"none"}`) + "." + b64("hi") + ".", ErrBadAlgorithm},
	{"ErrBadAlgorithm/NoneSigned", true, signed(`{"alg":"none"}`, "hi"), ErrBadAlgorithm},
	{"ErrBadAlgorithm/NoneFlattened", false, flat(b64(`{"alg":"none"}`), b64("hi"), ""), ErrBadAlgorithm},
	{"ErrBadAlgorithm/HS256", true, hs256([]byte("secret"), "hi"), ErrBadAlgorithm},
	{"ErrBadAlgorithm/RS256", true, signed(`{"alg":"RS256"}`, "hi"), ErrBadAlgorithm},
	{"ErrBadAlgorithm/ES256", true, signed(`{"alg":"ES256"}`, "hi"), ErrBadAlgorithm},
	{"ErrBadAlgorithm/Missing", true, signed(`{"kid":"k"}`, "hi"), ErrBadAlgorithm},
	{"ErrBadAlgorithm/Empty", true, signed(`{"alg":""}`, "hi"), ErrBadAlgorithm},
	{"ErrBadAlgorithm/NotString", true, signed(`{"alg":["EdDSA"]}`, "hi"), ErrBadAlgorithm},
	{"ErrBadAlgorithm/WrongCase", true, signed(`{"alg":"eddsa"}`, "hi"), ErrBadAlgorithm},
	{"ErrBadAlgorithm/Ed448", true, signed(`{"alg":"Ed448"}`, "hi"), ErrBadAlgorithm},
	{"ErrBadAlgorithm/RS256Flattened", false, toFlat(signed(`{"alg":"RS256"}`, "hi")), ErrBadAlgorithm},

	{"ErrMalformed/Empty", true, "", ErrMalformed},
	{"ErrMalformed/EmptyFlattened", false, "", ErrMalformed},
	{"ErrMalformed/Crit", true, signed(`{"alg":"EdDSA","crit":["exp"],"exp":1}`, "hi"), ErrMalformed},
	{"ErrMalformed/B64", true, signed(`{"alg":"EdDSA","b64":false,"crit":["b64"]}`, "hi"), ErrMalformed},
	{"ErrMalformed/B64True", true, signed(`{"alg":"EdDSA","b64":true}`, "hi"), ErrMalformed},
	{"ErrMalformed/UnprotectedHeader", false, `{"protected":"` + okParts[0] + `","header":{"kid":"k"},"payload":"` + okParts[1] + `","signature":"` + okParts[2] + `"}`, ErrMalformed},
	{"ErrMalformed/GeneralSerialization", false, `{"payload":"` + okParts[1] + `","signatures":[{"protected":"` + okParts[0] + `","signature":"` + okParts[2] + `"}]}`, ErrMalformed},
	{"ErrMalformed/GeneralAndFlattened", false, `{"protected":"` + okParts[0] + `","payload":"` + okParts[1] + `","signature":"` + okParts[2] + `","signatures":[]}`, ErrMalformed},
	{"ErrMalformed/UnknownMember", false, `{"protected":"` + okParts[0] + `","payload":"` + okParts[1] + `","signature":"` + okParts[2] + `","extra":1}`, ErrMalformed},
	{"ErrMalformed/MissingProtected", false, `{"payload":"` + okParts[1] + `","signature":"` + okParts[2] + `"}`, ErrMalformed},
	{"ErrMalformed/MissingPayload", false, `{"protected":"` + okParts[0] + `","signature":"` + okParts[2] + `"}`, ErrMalformed},
	{"ErrMalformed/MissingSignature", false, `{"protected":"` + okParts[0] + `","payload":"` + okParts[1] + `"}`, ErrMalformed},
	{"ErrMalformed/PayloadNull", false, `{"protected":"` + okParts[0] + `","payload":null,"signature":"` + okParts[2] + `"}`, ErrMalformed},
	{"ErrMalformed/ProtectedObject", false, `{"protected":{"alg":"EdDSA"},"payload":"` + okParts[1] + `","signature":"` + okParts[2] + `"}`, ErrMalformed},
	{"ErrMalformed/DuplicateTopLevel", false, `{"protected":"` + okParts[0] + `","payload":"` + okParts[1] + `","payload":"` + okParts[1] + `","signature":"` + okParts[2] + `"}`, ErrMalformed},
	{"ErrMalformed/DuplicateHeaderMember", true, signed(`{"alg":"EdDSA","alg":"EdDSA"}`, "hi"), ErrMalformed},
	{"ErrMalformed/DuplicateHeaderNested", true, signed(`{"alg":"EdDSA","x":{"a":1,"a":1}}`, "hi"), ErrMalformed},
	{"ErrMalformed/DuplicateInJWK", true, signed(`{"alg":"EdDSA","jwk":{"kty":"OKP","kty":"OKP","crv":"Ed25519","x":"`+rfcX+`"}}`, "hi"), ErrMalformed},
	{"ErrMalformed/FlattenedTrailingData", false, toFlat(ok) + "{}", ErrMalformed},
	{"ErrMalformed/FlattenedNotObject", false, `["` + okParts[0] + `"]`, ErrMalformed},
	{"ErrMalformed/FlattenedInvalidUTF8", false, `{"protected":"` + okParts[0] + `","payload":"` + okParts[1] + `","signature":"` + okParts[2] + "\",\"\xff\":1}", ErrMalformed},
	{"ErrMalformed/ProtectedPadded", true, rfcParts[0] + "=." + rfcParts[1] + "." + rfcParts[2], ErrMalformed},
	{"ErrMalformed/PayloadPadded", true, rfcParts[0] + "." + rfcParts[1] + "=." + rfcParts[2], ErrMalformed},
	{"ErrMalformed/SignaturePadded", true, rfcCompact + "==", ErrMalformed},
	{"ErrMalformed/PayloadPaddedFlattened", false, flat(rfcParts[0], rfcParts[1]+"=", rfcParts[2]), ErrMalformed},
	{"ErrMalformed/PayloadLineBreakFlattened", false, flat(rfcParts[0], rfcParts[1][:8]+`\n`+rfcParts[1][8:], rfcParts[2]), ErrMalformed},
	{"ErrMalformed/PayloadLineBreak", true, rfcParts[0] + "." + rfcParts[1][:8] + "\n" + rfcParts[1][8:] + "." + rfcParts[2], ErrMalformed},
	{"ErrMalformed/PayloadTrailingBits", true, okParts[0] + ".aGl." + okParts[2], ErrMalformed},
	{"ErrMalformed/StdAlphabet", true, rfcParts[0] + "." + rfcParts[1] + "." + strings.NewReplacer("-", "+", "_", "/").Replace(rfcParts[2]), ErrMalformed},
	{"ErrMalformed/InnerSpace", true, rfcParts[0] + " ." + rfcParts[1] + "." + rfcParts[2], ErrMalformed},
	{"ErrMalformed/ProtectedBadJSON", true, signed(`{"alg":"EdDSA"`, "hi"), ErrMalformed},
	{"ErrMalformed/ProtectedArray", true, signed(`["alg","EdDSA"]`, "hi"), ErrMalformed},
	{"ErrMalformed/ProtectedEmpty", true, "." + okParts[1] + "." + okParts[2], ErrMalformed},
	{"ErrMalformed/ProtectedInvalidUTF8", true, signed("{\"alg\":\"EdDSA\",\"kid\":\"\xc0\"}", "hi"), ErrMalformed},
	{"ErrMalformed/ProtectedTrailingData", true, signed(`{"alg":"EdDSA"}{}`, "hi"), ErrMalformed},
	{"ErrMalformed/Signature63Bytes", true, rfcParts[0] + "." + rfcParts[1] + "." + encodeB64(rfcSig[:63]), ErrMalformed},
	{"ErrMalformed/Signature65Bytes", true, rfcParts[0] + "." + rfcParts[1] + "." + encodeB64(append(rfcSig[:64:64], 0)), ErrMalformed},
	{"ErrMalformed/SignatureEmpty", true, rfcParts[0] + "." + rfcParts[1] + ".", ErrMalformed},
	{"ErrMalformed/PayloadEmpty", true, signed(`{"alg":"EdDSA"}`, ""), ErrMalformed},
	{"ErrMalformed/PayloadEmptyFlattened", false, toFlat(signed(`{"alg":"EdDSA"}`, "")), ErrMalformed},
	{"ErrMalformed/TwoParts", true, rfcParts[0] + "." + rfcParts[1], ErrMalformed},
	{"ErrMalformed/FourParts", true, rfcCompact + "." + rfcParts[1], ErrMalformed},
	{"ErrMalformed/CompactIsFlattened", true, toFlat(rfcCompact), ErrMalformed},
	{"ErrMalformed/FlattenedIsCompact", false, rfcCompact, ErrMalformed},
	{"ErrMalformed/KidNotString", true, signed(`{"alg":"EdDSA","kid":7}`, "hi"), ErrMalformed},
	{"ErrMalformed/NonceNull", true, signed(`{"alg":"EdDSA","nonce":null}`, "hi"), ErrMalformed},
	{"ErrMalformed/URLNotString", true, signed(`{"alg":"EdDSA","url":{"href":"x"}}`, "hi"), ErrMalformed},
	{"ErrMalformed/TypNotString", true, signed(`{"alg":"EdDSA","typ":1}`, "hi"), ErrMalformed},
	{"ErrMalformed/KidAndJWK", true, signed(`{"alg":"EdDSA","kid":"k","jwk":`+rfcPublicJWK+`}`, "hi"), ErrMalformed},
	{"ErrMalformed/GoJOSE/JWKKidNotString", true, signed(`{"alg":"EdDSA","jwk":{"kty":"OKP","crv":"Ed25519","x":"`+rfcX+`","kid":5}}`, "hi"), ErrMalformed},
	{"ErrMalformed/GoJOSE/X5cNotCertificates", true, signed(`{"alg":"EdDSA","x5c":["AAAA"]}`, "hi"), ErrMalformed},
	{"ErrMalformed/GoJOSE/NumberOutOfRange", false, toFlat(signed(`{"alg":"EdDSA","n":1e400}`, "hi")), ErrMalformed},
	{"ErrMalformed/JWKNotObject", true, signed(`{"alg":"EdDSA","jwk":"`+rfcX+`"}`, "hi"), ErrMalformed},

	{"ErrBadKey/JWKWithD", true, signed(`{"alg":"EdDSA","jwk":`+rfcPrivateJWK+`}`, "hi"), ErrBadKey},
	{"ErrBadKey/JWKShortX", true, signed(`{"alg":"EdDSA","jwk":`+okpJWK(rfcX[:40])+`}`, "hi"), ErrBadKey},
	{"ErrBadKey/JWKLongX", true, signed(`{"alg":"EdDSA","jwk":`+okpJWK(rfcX+"AA")+`}`, "hi"), ErrBadKey},
	{"ErrBadKey/JWKKtyRSA", true, signed(`{"alg":"EdDSA","jwk":{"kty":"RSA","n":"`+rfcX+`","e":"AQAB"}}`, "hi"), ErrBadKey},
	{"ErrBadKey/JWKSmallOrder", true, signed(`{"alg":"EdDSA","jwk":`+hexJWK(weakKeys[2])+`}`, "hi"), ErrBadKey},
	{"ErrBadKey/JWKWithDFlattened", false, toFlat(signed(`{"alg":"EdDSA","jwk":`+rfcPrivateJWK+`}`, "hi")), ErrBadKey},
}

func parse(compact bool, in []byte) (*JWS, error) {
	if compact {
		return ParseCompact(in)
	}
	return ParseFlattened(in)
}

func TestParse(t *testing.T) {
	for _, tt := range jwsTests {
		t.Run(tt.name, func(t *testing.T) {
			j, err := parse(tt.compact, []byte(tt.in))
			if !errors.Is(err, tt.want) {
				t.Fatalf("parse(%q) = %v, want %v", tt.in, err, tt.want)
			}
			if err != nil && !strings.HasPrefix(err.Error(), "keys: ") {
				t.Errorf("parse(%q) error %q does not start with \"keys: \"", tt.in, err)
			}
			if err == nil {
				if err := j.Verify(PublicKey(rfcPub)); err != nil {
					t.Errorf("Verify() = %v, want nil", err)
				}
			}
		})
	}
}

func TestRFC8037Signature(t *testing.T) {
	j, err := ParseCompact([]byte(rfcCompact))
	if err != nil {
		t.Fatal(err)
	}
	want := Header{Alg: "EdDSA"}
	if !reflect.DeepEqual(j.Header, want) {
		t.Errorf("Header = %+v, want %+v", j.Header, want)
	}
	if got := string(j.PayloadBytes()); got != rfcPayload {
		t.Errorf("PayloadBytes() = %q, want %q", got, rfcPayload)
	}
	pub, err := ParseJWK([]byte(rfcPublicJWK))
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Verify(pub); err != nil {
		t.Errorf("Verify() = %v, want nil", err)
	}
	if got := pub.Thumbprint(); got != rfcThumbprint {
		t.Errorf("Thumbprint() = %s, want %s", got, rfcThumbprint)
	}
	for _, h := range []Header{{Alg: "EdDSA"}, {}} {
		s, err := rfcKey(t).Sign(h, []byte(rfcPayload))
		if err != nil {
			t.Fatal(err)
		}
		if got := string(s.Compact()); got != rfcCompact {
			t.Errorf("Sign(%+v).Compact() = %s, want %s", h, got, rfcCompact)
		}
	}
}

// TestHS256WithPublicKeyAsSecret is the classic algorithm-confusion attack:
// an HMAC keyed with the public key, which the attacker knows.
func TestHS256WithPublicKeyAsSecret(t *testing.T) {
	for _, secret := range [][]byte{rfcPub, []byte(rfcX), []byte(rfcPublicJWK)} {
		c := hs256(secret, `{"admin":true}`)
		if _, err := ParseCompact([]byte(c)); !errors.Is(err, ErrBadAlgorithm) {
			t.Errorf("ParseCompact(HS256) = %v, want ErrBadAlgorithm", err)
		}
		if _, err := ParseFlattened([]byte(toFlat(c))); !errors.Is(err, ErrBadAlgorithm) {
			t.Errorf("ParseFlattened(HS256) = %v, want ErrBadAlgorithm", err)
		}
	}
}

func TestVerifyRejectsEveryBitFlip(t *testing.T) {
	pub := PublicKey(rfcPub)
	j, err := ParseCompact([]byte(rfcCompact))
	if err != nil {
		t.Fatal(err)
	}
	for i := range len(rfcSig) * 8 {
		sig := append([]byte(nil), rfcSig...)
		sig[i/8] ^= 1 << (i % 8)
		bad := *j
		bad.Signature = encodeB64(sig)
		if err := bad.Verify(pub); !errors.Is(err, ErrBadSignature) {
			t.Errorf("Verify(signature bit %d flipped) = %v, want ErrBadSignature", i, err)
		}
		if pub.Verify(j.SigningInput(), sig) {
			t.Errorf("PublicKey.Verify(signature bit %d flipped) = true", i)
		}
	}
	for i := range len(pub) * 8 {
		k := pub
		k[i/8] ^= 1 << (i % 8)
		if err := j.Verify(k); err == nil {
			t.Errorf("Verify(key bit %d flipped) = nil, want an error", i)
		}
	}
}

func TestVerifyRejectsChangedParts(t *testing.T) {
	j, err := ParseCompact([]byte(rfcCompact))
	if err != nil {
		t.Fatal(err)
	}
	for name, change := range map[string]func(*JWS){
		"payload":   func(j *JWS) { j.Payload = b64(rfcPayload + ".") },
		"protected": func(j *JWS) { j.Protected = b64(`{"alg":"Ed25519"}`) },
	} {
		bad := *j
		change(&bad)
		if err := bad.Verify(PublicKey(rfcPub)); !errors.Is(err, ErrBadSignature) {
			t.Errorf("Verify(changed %s) = %v, want ErrBadSignature", name, err)
		}
	}
}

func TestVerifyOtherKey(t *testing.T) {
	other, _ := GenerateKey()
	j, _ := ParseCompact([]byte(rfcCompact))
	if err := j.Verify(other.Public()); !errors.Is(err, ErrBadSignature) {
		t.Errorf("Verify(other key) = %v, want ErrBadSignature", err)
	}
	if err := j.Verify(mustKey(weakKeys[2])); !errors.Is(err, ErrBadKey) {
		t.Errorf("Verify(identity key) = %v, want ErrBadKey", err)
	}
}

// TestGoJOSECases checks that the table's GoJOSE cases, which go-jose
// refuses and this package once refused only because go-jose did, are
// refused by this package's own checks and by go-jose alike.
func TestGoJOSECases(t *testing.T) {
	n := 0
	for _, tt := range jwsTests {
		if !strings.Contains(tt.name, "/GoJOSE/") {
			continue
		}
		n++
		if _, err := parse(tt.compact, []byte(tt.in)); !errors.Is(err, tt.want) {
			t.Errorf("%s: parse = %v, want %v", tt.name, err, tt.want)
		}
		if _, err := goJOSEParse(tt.compact, []byte(tt.in)); err == nil {
			t.Errorf("%s: go-jose accepts it", tt.name)
		}
	}
	if n == 0 {
		t.Fatal("no GoJOSE cases in the table")
	}
}

// TestHeaderExactCase checks that member names match by exact case: KID is
// not kid, and ALG does not override alg.
func TestHeaderExactCase(t *testing.T) {
	j, err := ParseCompact([]byte(signed(`{"alg":"EdDSA","KID":"x","ALG":"none"}`, "hi")))
	if err != nil {
		t.Fatal(err)
	}
	if j.Header.Kid != "" || j.Header.Alg != "EdDSA" {
		t.Errorf("ParseCompact(KID, ALG).Header = %+v, want alg EdDSA and no kid", j.Header)
	}
	j, err = ParseCompact([]byte(signed(`{"alg":"EdDSA","jwk":{"kty":"OKP","crv":"Ed25519","x":"`+rfcX+`","X":"AAAA"}}`, "hi")))
	if err != nil || j.Header.JWK == nil || *j.Header.JWK != PublicKey(rfcPub) {
		t.Errorf("ParseCompact(jwk with X) = %+v, %v; want the key of x", j, err)
	}
}
