package keys_test

import (
	"errors"
	"testing"

	"github.com/signet-ledger/signet/keys"
)

func TestKeyCacheIsParseJWK(t *testing.T) {
	var c keys.KeyCache
	k, err := keys.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	good := []byte(`{"kty":"OKP","crv":"Ed25519","x":"` + k.Public().JWK().X + `"}`)
	small := []byte(`{"kty":"OKP","crv":"Ed25519","x":"AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}`)
	for range 3 {
		got, err := c.ParseJWK(good)
		if err != nil || got != k.Public() {
			t.Fatalf("KeyCache.ParseJWK(good) = %x, %v, want %x", got, err, k.Public())
		}
		_, err = c.ParseJWK(small)
		_, want := keys.ParseJWK(small)
		if !errors.Is(err, keys.ErrBadKey) || err.Error() != want.Error() {
			t.Fatalf("KeyCache.ParseJWK(small order) = %v, want %v", err, want)
		}
	}
}

// BenchmarkKeyCache is what the sequencer pays per signer key per batch
// to read the registry tables: the cache's lookup instead of ParseJWK.
func BenchmarkKeyCache(b *testing.B) {
	var c keys.KeyCache
	k, _ := keys.GenerateKey()
	data := []byte(`{"kty":"OKP","crv":"Ed25519","x":"` + k.Public().JWK().X + `"}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.ParseJWK(data); err != nil {
			b.Fatal(err)
		}
	}
}

func TestBatchKeyCache(t *testing.T) {
	var c keys.BatchKeyCache
	ka0, err := keys.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	kb0, err := keys.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	a, b := ka0.Public(), kb0.Public()
	ka := c.Get("a", a)
	if ka.PublicKey() != a || c.Get("a", a) != ka {
		t.Fatal("BatchKeyCache.Get does not return the cached key for its kid")
	}
	if kb := c.Get("a", b); kb.PublicKey() != b {
		t.Fatalf("BatchKeyCache.Get(kid, other key) = a BatchKey for %x, want %x", kb.PublicKey(), b)
	}
}
