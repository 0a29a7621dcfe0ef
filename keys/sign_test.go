package keys

import (
	"errors"
	"reflect"
	"testing"
)

func TestSignProtectedHeader(t *testing.T) {
	k := rfcKey(t)
	pub := k.Public()
	tests := []struct {
		name string
		h    Header
		want string
	}{
		{"AlgOnly", Header{Alg: "EdDSA"}, `{"alg":"EdDSA"}`},
		{"DefaultAlg", Header{}, `{"alg":"EdDSA"}`},
		{"Ed25519", Header{Alg: "Ed25519"}, `{"alg":"Ed25519"}`},
		{"Kid", Header{Kid: rfcThumbprint, Nonce: "n1", URL: "https://l.example/a?b&c<d>"},
			`{"alg":"EdDSA","kid":"` + rfcThumbprint + `","nonce":"n1","url":"https://l.example/a?b&c<d>"}`},
		{"JWK", Header{JWK: &pub, Nonce: "n2"},
			`{"alg":"EdDSA","jwk":{"kty":"OKP","crv":"Ed25519","x":"` + rfcX + `"},"nonce":"n2"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j, err := k.Sign(tt.h, []byte("payload"))
			if err != nil {
				t.Fatal(err)
			}
			if got, _ := decodeB64(j.Protected); string(got) != tt.want {
				t.Errorf("Sign(%+v) protected = %s, want %s", tt.h, got, tt.want)
			}
			if err := j.Verify(pub); err != nil {
				t.Errorf("Sign(%+v).Verify() = %v, want nil", tt.h, err)
			}
		})
	}
}

func TestSignErrors(t *testing.T) {
	k := rfcKey(t)
	pub := k.Public()
	weak := mustKey(weakKeys[0])
	tests := []struct {
		name    string
		h       Header
		payload string
		want    error
	}{
		{"ErrBadAlgorithm/HS256", Header{Alg: "HS256"}, "p", ErrBadAlgorithm},
		{"ErrBadAlgorithm/None", Header{Alg: "none"}, "p", ErrBadAlgorithm},
		{"ErrMalformed/KidAndJWK", Header{Kid: "k", JWK: &pub}, "p", ErrMalformed},
		{"ErrMalformed/EmptyPayload", Header{}, "", ErrMalformed},
		{"ErrMalformed/InvalidUTF8Nonce", Header{Nonce: "\xff"}, "p", ErrMalformed},
		{"ErrBadKey/SmallOrderJWK", Header{JWK: &weak}, "p", ErrBadKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := k.Sign(tt.h, []byte(tt.payload)); !errors.Is(err, tt.want) {
				t.Errorf("Sign(%+v, %q) = %v, want %v", tt.h, tt.payload, err, tt.want)
			}
		})
	}
}

func TestSignRoundTrip(t *testing.T) {
	k, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	pub := k.Public()
	for _, h := range []Header{
		{},
		{Alg: "Ed25519", Kid: pub.Thumbprint(), Nonce: "nonce", URL: "https://signet.example/log"},
		{JWK: &pub, Nonce: "nonce", URL: "https://signet.example/new-account"},
	} {
		j, err := k.Sign(h, []byte(`{"entry":"é\u0000"}`))
		if err != nil {
			t.Fatal(err)
		}
		for form, parse := range map[string]func() (*JWS, error){
			"flattened": func() (*JWS, error) { return ParseFlattened(j.Flattened()) },
			"compact":   func() (*JWS, error) { return ParseCompact(j.Compact()) },
		} {
			got, err := parse()
			if err != nil {
				t.Fatalf("%s: parse(Sign(%+v)) = %v", form, h, err)
			}
			if !reflect.DeepEqual(got, j) {
				t.Errorf("%s: parse(Sign(%+v)) = %+v, want %+v", form, h, got, j)
			}
			if err := got.Verify(pub); err != nil {
				t.Errorf("%s: Verify() = %v, want nil", form, err)
			}
		}
	}
}

func TestSignDoesNotAliasHeaderJWK(t *testing.T) {
	k := rfcKey(t)
	pub := k.Public()
	j, err := k.Sign(Header{JWK: &pub}, []byte("p"))
	if err != nil {
		t.Fatal(err)
	}
	pub[0] ^= 1
	if *j.Header.JWK != k.Public() {
		t.Errorf("changing the caller's key changed j.Header.JWK")
	}
}

func TestFlattenedForm(t *testing.T) {
	j, err := ParseCompact([]byte(rfcCompact))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(j.Flattened()), toFlat(rfcCompact); got != want {
		t.Errorf("Flattened() = %s, want %s", got, want)
	}
	if got := string(j.SigningInput()); got != rfcParts[0]+"."+rfcParts[1] {
		t.Errorf("SigningInput() = %s", got)
	}
}
