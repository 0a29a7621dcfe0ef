package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/signet-ledger/signet/client"
	"github.com/signet-ledger/signet/internal/signettest"
)

// opensslKey is an Ed25519 key that lives in a PEM file and signs only
// through the openssl command: an implementation independent of go-jose,
// crypto/ed25519 and the keys package.
type opensslKey struct {
	dir, pem string
	x        string // the JWK x, from the DER public key
}

func openssl(t *testing.T, args ...string) []byte {
	t.Helper()
	out, err := exec.Command("openssl", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("openssl %v = %v\n%s", args, err, out)
	}
	return out
}

func newOpensslKey(t *testing.T) *opensslKey {
	dir := t.TempDir()
	k := &opensslKey{dir: dir, pem: filepath.Join(dir, "key.pem")}
	openssl(t, "genpkey", "-algorithm", "ed25519", "-out", k.pem)
	der := filepath.Join(dir, "pub.der")
	openssl(t, "pkey", "-in", k.pem, "-pubout", "-outform", "DER", "-out", der)
	b, err := os.ReadFile(der)
	if err != nil || len(b) != 44 {
		t.Fatalf("reading the DER public key: %d bytes, %v; want 44", len(b), err)
	}
	k.x = b64(b[len(b)-32:])
	return k
}

// sign returns the flattened JWS of protected and payload, the ASCII
// signing input signed by openssl pkeyutl.
func (k *opensslKey) sign(t *testing.T, protected, payload string) rawJWS {
	j := rawJWS{Protected: b64([]byte(protected)), Payload: b64([]byte(payload))}
	in, sig := filepath.Join(k.dir, "input.bin"), filepath.Join(k.dir, "sig.bin")
	if err := os.WriteFile(in, []byte(j.Protected+"."+j.Payload), 0o600); err != nil {
		t.Fatal(err)
	}
	openssl(t, "pkeyutl", "-sign", "-rawin", "-inkey", k.pem, "-in", in, "-out", sig)
	s, err := os.ReadFile(sig)
	if err != nil || len(s) != 64 {
		t.Fatalf("reading the signature: %d bytes, %v; want 64", len(s), err)
	}
	j.Signature = b64(s)
	return j
}

// verifyStored checks with openssl the signature of the JWS record i
// carries in the log, as an auditor without Go would.
func (k *opensslKey) verifyStored(t *testing.T, e *signettest.Env, i int64) {
	r := send(t, e, request{method: http.MethodGet, path: fmt.Sprintf("/v1/entries/%d", i)})
	var rec client.Record
	if err := json.Unmarshal(r.Body, &rec); err != nil || rec.JWS == nil {
		t.Fatalf("GET /v1/entries/%d = %d %s", i, r.Status, r.Body)
	}
	in, sig, pub := filepath.Join(k.dir, "stored.bin"), filepath.Join(k.dir, "stored.sig"), filepath.Join(k.dir, "pub.pem")
	os.WriteFile(in, []byte(rec.JWS.Protected+"."+rec.JWS.Payload), 0o600)
	os.WriteFile(sig, decodeB64(t, rec.JWS.Signature), 0o600)
	openssl(t, "pkey", "-in", k.pem, "-pubout", "-out", pub)
	openssl(t, "pkeyutl", "-verify", "-pubin", "-inkey", pub, "-rawin", "-in", in, "-sigfile", sig)
}

// TestInteropOpenSSL registers a key and submits entries signed by
// openssl, with the kid computed by hand, and checks they are accepted
// and verify, and that openssl verifies what the log stored.
func TestInteropOpenSSL(t *testing.T) {
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("openssl is not in PATH")
	}
	e := signettest.New(t, signettest.Options{})
	k := newOpensslKey(t)
	kid := thumbprint(k.x)

	jwk := fmt.Sprintf(`{"kty":"OKP","crv":"Ed25519","x":"%s"}`, k.x)
	h := fmt.Sprintf(`{"alg":"EdDSA","jwk":%s,"nonce":"%s","url":"%s/v1/signers"}`, jwk, freshNonce(t, e), e.URL)
	reg := send(t, e, request{http.MethodPost, "/v1/signers", "application/jose+json",
		k.sign(t, h, `{"signer":"openssl"}`).flattened(), e.AdminToken})
	var ev client.KeyEvent
	if err := json.Unmarshal(reg.Body, &ev); reg.Status != http.StatusCreated || err != nil || ev.KID != kid {
		t.Fatalf("register = %d %s, want 201 with kid %s", reg.Status, reg.Body, kid)
	}

	entries := []struct {
		alg, ctype string
		body       func(rawJWS) []byte
	}{
		{"EdDSA", "application/jose+json", rawJWS.flattened},
		{"Ed25519", "application/jose", rawJWS.compact},
	}
	indexes := []int64{ev.LogIndex}
	for i, en := range entries {
		h := fmt.Sprintf(`{"alg":"%s","kid":"%s","nonce":"%s","url":"%s/v1/entries"}`, en.alg, kid, freshNonce(t, e), e.URL)
		j := k.sign(t, h, fmt.Sprintf(`{"journal_id":"JE-OSSL-%d","amount":"16453.24"}`, i))
		r := send(t, e, request{http.MethodPost, "/v1/entries", en.ctype, en.body(j), ""})
		var a client.Appended
		if err := json.Unmarshal(r.Body, &a); r.Status != http.StatusCreated || err != nil || a.Signer != "openssl" || a.KID != kid {
			t.Fatalf("submit (alg %s, %s) = %d %s, want 201 by openssl", en.alg, en.ctype, r.Status, r.Body)
		}
		indexes = append(indexes, a.Index)
	}
	for _, i := range indexes {
		v := verifyIndex(t, e, i)
		if !v.Verified || v.Signer.Signer != "openssl" || v.Signer.KID != kid {
			t.Errorf("verify(%d) = %+v, want verified, signed by openssl with %s", i, v, kid)
		}
		k.verifyStored(t, e, i)
	}
}
