package api_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/signet-ledger/signet/client"
	"github.com/signet-ledger/signet/internal/signettest"
	"github.com/signet-ledger/signet/ledger"
)

// badInput is a log with two registered signers and one accepted entry,
// and the requests the bad-input cases build against it.
type badInput struct {
	e          *signettest.Env
	alice, bob rawKey // registered as "alice" and "bob"
	stranger   rawKey // not registered
	usedNonce  string // the nonce of the accepted entry
}

// badCase is one bad request. name is the problem type, "/", and what is
// wrong; req builds the request with fresh nonces.
type badCase struct {
	name   string
	status int
	req    func(t *testing.T) request
}

const okPayload = `{"journal_id":"JE000001","amount":"16453.24"}`

func newBadInput(t *testing.T) *badInput {
	e := signettest.New(t, signettest.Options{})
	f := &badInput{e: e, alice: registerRaw(t, e, "alice"), bob: registerRaw(t, e, "bob"), stranger: newRawKey(t)}
	h := entryHeader(t, e, f.alice)
	f.usedNonce = h["nonce"].(string)
	if r := send(t, e, postEntry(signRaw(f.alice, h.json(), []byte(okPayload)).flattened())); r.Status != http.StatusCreated {
		t.Fatalf("submit = %d %s, want 201", r.Status, r.Body)
	}
	return f
}

// hdr is a valid entry header for alice with a fresh nonce.
func (f *badInput) hdr(t *testing.T) header { return entryHeader(t, f.e, f.alice) }

// entry signs payload under h with alice's key.
func (f *badInput) entry(h header, payload string) request {
	return postEntry(signRaw(f.alice, h.json(), []byte(payload)).flattened())
}

// payload is a valid entry of alice's whose payload is p.
func (f *badInput) payload(p string) func(t *testing.T) request {
	return func(t *testing.T) request { return f.entry(f.hdr(t), p) }
}

// foreign builds a JWS with alg and a signature by sign, not Ed25519.
func foreign(h header, alg string, sign func(input []byte) []byte) []byte {
	j := rawJWS{Protected: b64(h.with("alg", alg).json()), Payload: b64([]byte(okPayload))}
	j.Signature = b64(sign([]byte(j.Protected + "." + j.Payload)))
	return j.flattened()
}

func hmacSHA256(secret []byte) func([]byte) []byte {
	return func(input []byte) []byte {
		m := hmac.New(sha256.New, secret)
		m.Write(input)
		return m.Sum(nil)
	}
}

func rs256(t *testing.T) func([]byte) []byte {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return func(input []byte) []byte {
		d := sha256.Sum256(input)
		sig, _ := rsa.SignPKCS1v15(rand.Reader, k, crypto.SHA256, d[:])
		return sig
	}
}

// es256 signs with P-256; its 64-byte signature has Ed25519's length.
func es256(t *testing.T) func([]byte) []byte {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return func(input []byte) []byte {
		d := sha256.Sum256(input)
		r, s, _ := ecdsa.Sign(rand.Reader, k, d[:])
		sig := make([]byte, 64)
		r.FillBytes(sig[:32])
		s.FillBytes(sig[32:])
		return sig
	}
}

func (f *badInput) algorithmCases() []badCase {
	e, alice := f.e, f.alice
	none := func(t *testing.T) rawJWS {
		j := signRaw(alice, f.hdr(t).with("alg", "none").json(), []byte(okPayload))
		j.Signature = ""
		return j
	}
	return []badCase{
		{"badSignatureAlgorithm/none", 400, func(t *testing.T) request { return postEntry(none(t).flattened()) }},
		{"badSignatureAlgorithm/noneCompact", 400, func(t *testing.T) request {
			return request{http.MethodPost, "/v1/entries", "application/jose", none(t).compact(), ""}
		}},
		{"badSignatureAlgorithm/HS256PublicKeyAsSecret", 400, func(t *testing.T) request {
			return postEntry(foreign(f.hdr(t), "HS256", hmacSHA256(alice.pub())))
		}},
		{"badSignatureAlgorithm/HS256JWKxAsSecret", 400, func(t *testing.T) request {
			return postEntry(foreign(f.hdr(t), "HS256", hmacSHA256([]byte(alice.x()))))
		}},
		{"badSignatureAlgorithm/RS256", 400, func(t *testing.T) request { return postEntry(foreign(f.hdr(t), "RS256", rs256(t))) }},
		{"badSignatureAlgorithm/ES256", 400, func(t *testing.T) request { return postEntry(foreign(f.hdr(t), "ES256", es256(t))) }},
		{"badSignatureAlgorithm/missing", 400, func(t *testing.T) request { return f.entry(f.hdr(t).with("alg", nil), okPayload) }},
		{"badSignatureAlgorithm/lowerCase", 400, func(t *testing.T) request { return f.entry(f.hdr(t).with("alg", "eddsa"), okPayload) }},
		{"badSignature/flippedBit", 400, func(t *testing.T) request {
			j := signRaw(alice, f.hdr(t).json(), []byte(okPayload))
			sig := decodeB64(t, j.Signature)
			sig[5] ^= 0x10
			j.Signature = b64(sig)
			return postEntry(j.flattened())
		}},
		{"badSignature/kidOfAnotherKey", 400, func(t *testing.T) request {
			return postEntry(signRaw(f.bob, f.hdr(t).json(), []byte(okPayload)).flattened())
		}},
		{"unknownKey/unregisteredKid", 400, func(t *testing.T) request {
			return postEntry(signRaw(f.stranger, entryHeader(t, e, f.stranger).json(), []byte(okPayload)).flattened())
		}},
	}
}

func (f *badInput) headerCases() []badCase {
	e := f.e
	return []badCase{
		{"badNonce/missing", 400, func(t *testing.T) request { return f.entry(f.hdr(t).with("nonce", nil), okPayload) }},
		{"badNonce/reused", 400, func(t *testing.T) request {
			return f.entry(f.hdr(t).with("nonce", f.usedNonce), `{"journal_id":"JE000002"}`)
		}},
		{"badNonce/forged", 400, func(t *testing.T) request {
			b := make([]byte, 41)
			rand.Read(b)
			b[0] = 1
			return f.entry(f.hdr(t).with("nonce", b64(b)), okPayload)
		}},
		{"badNonce/notANonce", 400, func(t *testing.T) request { return f.entry(f.hdr(t).with("nonce", "abc"), okPayload) }},
		{"malformed/jwkInsteadOfKid", 400, func(t *testing.T) request {
			return f.entry(f.hdr(t).with("kid", nil).with("jwk", f.alice.jwk()), okPayload)
		}},
		{"malformed/kidAndJWK", 400, func(t *testing.T) request { return f.entry(f.hdr(t).with("jwk", f.alice.jwk()), okPayload) }},
		{"malformed/emptyKid", 400, func(t *testing.T) request { return f.entry(f.hdr(t).with("kid", ""), okPayload) }},
		{"malformed/kidNotString", 400, func(t *testing.T) request { return f.entry(f.hdr(t).with("kid", 7), okPayload) }},
		{"malformed/urlOtherEndpoint", 400, func(t *testing.T) request {
			return f.entry(f.hdr(t).with("url", e.URL+"/v1/signers"), okPayload)
		}},
		{"malformed/urlOfARecord", 400, func(t *testing.T) request {
			return f.entry(f.hdr(t).with("url", e.URL+"/v1/entries/2"), okPayload)
		}},
		{"malformed/missingURL", 400, func(t *testing.T) request { return f.entry(f.hdr(t).with("url", nil), okPayload) }},
		{"malformed/crit", 400, func(t *testing.T) request {
			return f.entry(f.hdr(t).with("crit", []string{"exp"}).with("exp", 1), okPayload)
		}},
		{"malformed/b64", 400, func(t *testing.T) request { return f.entry(f.hdr(t).with("b64", false), okPayload) }},
	}
}

func (f *badInput) bodyCases() []badCase {
	valid := func(t *testing.T) []byte { return f.entry(f.hdr(t), okPayload).body }
	withType := func(ctype string) func(t *testing.T) request {
		return func(t *testing.T) request { return request{http.MethodPost, "/v1/entries", ctype, valid(t), ""} }
	}
	return []badCase{
		{"malformed/emptyBody", 400, func(t *testing.T) request { return postEntry(nil) }},
		{"malformed/notAJWS", 400, func(t *testing.T) request { return postEntry([]byte(okPayload)) }},
		{"malformed/unprotectedHeader", 400, func(t *testing.T) request {
			var m map[string]any
			json.Unmarshal(valid(t), &m)
			m["header"] = map[string]string{"kid": f.alice.kid()}
			b, _ := json.Marshal(m)
			return postEntry(b)
		}},
		{"malformed/paddedSignature", 400, func(t *testing.T) request {
			j := signRaw(f.alice, f.hdr(t).json(), []byte(okPayload))
			j.Signature += "=="
			return postEntry(j.flattened())
		}},
		{"malformed/compactWithTwoParts", 400, func(t *testing.T) request {
			j := signRaw(f.alice, f.hdr(t).json(), []byte(okPayload))
			return request{http.MethodPost, "/v1/entries", "application/jose", []byte(j.Protected + "." + j.Payload), ""}
		}},
		{"unsupportedMediaType/applicationJSON", 415, withType("application/json")},
		{"unsupportedMediaType/textPlain", 415, withType("text/plain")},
		{"unsupportedMediaType/none", 415, withType("")},
		{"payloadTooLarge/body", 413, f.payload(`{"a":"` + strings.Repeat("x", 200<<10) + `"}`)},
		{"payloadTooLarge/payload", 413, f.payload(`{"a":"` + strings.Repeat("x", 64<<10) + `"}`)},
	}
}

func (f *badInput) payloadCases() []badCase {
	return []badCase{
		{"malformed/payloadArray", 400, f.payload(`[{"journal_id":"JE1"}]`)},
		{"malformed/payloadString", 400, f.payload(`"journal entry"`)},
		{"malformed/payloadNumber", 400, f.payload(`42`)},
		{"malformed/payloadNull", 400, f.payload(`null`)},
		{"malformed/payloadNotJSON", 400, f.payload(`journal_id=JE1`)},
		{"malformed/payloadTruncated", 400, f.payload(`{"journal_id":"JE1"`)},
		{"malformed/payloadTrailingData", 400, f.payload(`{"a":1}{"a":2}`)},
		{"malformed/payloadByteOrderMark", 400, f.payload("\ufeff{\"a\":1}")},
		{"malformed/duplicateTopLevel", 400, f.payload(`{"amount":"1.00","amount":"1000.00"}`)},
		{"malformed/duplicateNested", 400, f.payload(`{"lines":{"amount":"1.00","amount":"1000.00"}}`)},
		{"malformed/duplicateInArray", 400, f.payload(`{"lines":[{"a":1},{"a":1,"a":2}]}`)},
		{"malformed/duplicateEscaped", 400, f.payload(`{"amount":1,"\u0061mount":2}`)},
		{"malformed/invalidUTF8", 400, f.payload("{\"memo\":\"\xff\xfe\"}")},
		{"malformed/loneSurrogate", 400, f.payload(`{"memo":"\ud800"}`)},
		{"malformed/numberOutOfRange", 400, f.payload(`{"amount":1e400}`)},
		{"malformed/nesting65", 400, f.payload(nested(65))},
	}
}

// nested returns an object whose innermost object is depth deep.
func nested(depth int) string {
	return strings.Repeat(`{"a":`, depth-1) + `{}` + strings.Repeat(`}`, depth-1)
}

func (f *badInput) registrationCases() []badCase {
	e := f.e
	reg := func(k rawKey, h header, payload, token string) request {
		return request{http.MethodPost, "/v1/signers", "application/jose+json", signRaw(k, h.json(), []byte(payload)).flattened(), token}
	}
	signer := func(id, token string) func(t *testing.T) request {
		return func(t *testing.T) request {
			k := newRawKey(t)
			p, _ := json.Marshal(map[string]string{"signer": id})
			return reg(k, registerHeader(t, e, k), string(p), token)
		}
	}
	return []badCase{
		{"unauthorized/noToken", 401, signer("carol", "")},
		{"unauthorized/wrongToken", 401, signer("carol", "not-the-admin-token")},
		{"malformed/signerIDUppercase", 400, signer("Carol", e.AdminToken)},
		{"malformed/signerIDEmpty", 400, signer("", e.AdminToken)},
		{"malformed/signerID129Chars", 400, signer(strings.Repeat("c", 129), e.AdminToken)},
		{"malformed/signerIDSpace", 400, signer("carol smith", e.AdminToken)},
		{"malformed/signerIDSlash", 400, signer("carol/x", e.AdminToken)},
		{"malformed/signerMissing", 400, func(t *testing.T) request {
			k := newRawKey(t)
			return reg(k, registerHeader(t, e, k), `{"name":"carol"}`, e.AdminToken)
		}},
		{"malformed/registrationByKid", 400, func(t *testing.T) request {
			k := newRawKey(t)
			return reg(k, registerHeader(t, e, k).with("jwk", nil).with("kid", k.kid()), `{"signer":"carol"}`, e.AdminToken)
		}},
		{"conflict/signerExists", 409, signer("alice", e.AdminToken)},
		{"conflict/keyRegisteredToAnother", 409, func(t *testing.T) request {
			return reg(f.alice, registerHeader(t, e, f.alice), `{"signer":"carol"}`, e.AdminToken)
		}},
		{"badSignature/jwkDidNotSign", 400, func(t *testing.T) request {
			return reg(f.stranger, registerHeader(t, e, newRawKey(t)), `{"signer":"carol"}`, e.AdminToken)
		}},
	}
}

func readCases() []badCase {
	get := func(path string) func(t *testing.T) request {
		return func(t *testing.T) request { return request{method: http.MethodGet, path: path} }
	}
	return []badCase{
		{"malformed/entryNotANumber", 400, get("/v1/entries/abc")},
		{"malformed/entryNegative", 400, get("/v1/entries/-1")},
		{"malformed/entryLeadingZeros", 400, get("/v1/entries/007")},
		{"malformed/entryPlusSign", 400, get("/v1/entries/+1")},
		{"notFound/entryBeyondLog", 404, get("/v1/entries/999")},
		{"notFound/verifyBeyondLog", 404, get("/v1/entries/999/verify")},
		{"malformed/limitZero", 400, get("/v1/entries?limit=0")},
		{"malformed/limit1001", 400, get("/v1/entries?limit=1001")},
		{"malformed/kindBogus", 400, get("/v1/entries?kind=bogus")},
		{"malformed/afterNotANumber", 400, get("/v1/entries?after=x")},
		{"malformed/verifyLegacyNotANumber", 400, get("/verify?id=x")},
		{"malformed/verifyLegacyMissingID", 400, get("/verify")},
		{"notFound/unknownSigner", 404, get("/v1/signers/nobody")},
	}
}

// TestBadInput sends bad requests and checks that each gets its problem,
// a clear detail, a fresh nonce when it was a POST, and writes nothing.
func TestBadInput(t *testing.T) {
	f := newBadInput(t)
	var cases []badCase
	for _, group := range [][]badCase{f.algorithmCases(), f.headerCases(), f.bodyCases(), f.payloadCases(), f.registrationCases(), readCases()} {
		cases = append(cases, group...)
	}
	if len(cases) < 30 {
		t.Fatalf("only %d cases", len(cases))
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			name, _, _ := strings.Cut(tc.name, "/")
			req := tc.req(t)
			before := stateOf(t, f.e)
			r := send(t, f.e, req)
			checkProblem(t, req, r, tc.status, name)
			if after := stateOf(t, f.e); after != before {
				t.Errorf("%s changed the log: %+v, was %+v", req, after, before)
			}
		})
	}
}

// TestPayloadLimitsAccepted checks the edges of the payload rules that
// TestBadInput crosses: 64 deep and exactly 64 KiB are accepted.
func TestPayloadLimitsAccepted(t *testing.T) {
	e := signettest.New(t, signettest.Options{})
	k := registerRaw(t, e, "alice")
	pad := `{"a":"` + strings.Repeat("x", 64<<10-8) + `"}`
	if len(pad) != 64<<10 {
		t.Fatalf("len(pad) = %d, want %d", len(pad), 64<<10)
	}
	for _, p := range []string{nested(64), pad} {
		submitRaw(t, e, k, p)
	}
}

// TestResubmission sends the same JWS again, one after another and then
// from 20 goroutines at once: it is appended once.
func TestResubmission(t *testing.T) {
	e := signettest.New(t, signettest.Options{})
	k := registerRaw(t, e, "alice")
	j := signRaw(k, entryHeader(t, e, k).json(), []byte(okPayload))
	before := e.Size(t)
	first, again := send(t, e, postEntry(j.flattened())), send(t, e, postEntry(j.flattened()))
	compact := send(t, e, request{http.MethodPost, "/v1/entries", "application/jose", j.compact(), ""})
	if first.Status != 201 || again.Status != 200 || compact.Status != 200 {
		t.Fatalf("POST same JWS three times = %d, %d, %d, want 201, 200, 200", first.Status, again.Status, compact.Status)
	}
	want := appendedIndex(t, first)
	for _, r := range []*client.Response{again, compact} {
		if got := appendedIndex(t, r); got != want || r.Header.Get("Location") != first.Header.Get("Location") {
			t.Errorf("resubmission = index %d Location %q, want %d %q", got, r.Header.Get("Location"), want, first.Header.Get("Location"))
		}
	}
	if got := e.Size(t); got != before+1 {
		t.Errorf("Size() = %d, want %d", got, before+1)
	}

	j = signRaw(k, entryHeader(t, e, k).json(), []byte(`{"journal_id":"JE000002"}`))
	statuses := make([]int, 20)
	indexes := make([]int64, 20)
	var wg sync.WaitGroup
	for i := range statuses {
		wg.Go(func() {
			r, err := e.Client.Do(context.Background(), http.MethodPost, "/v1/entries", "application/jose+json", j.flattened(), nil)
			if err != nil {
				t.Error(err)
				return
			}
			statuses[i], indexes[i] = r.Status, appendedIndex(t, r)
		})
	}
	wg.Wait()
	created := 0
	for i, s := range statuses {
		if s == 201 {
			created++
		} else if s != 200 {
			t.Errorf("concurrent resubmission %d = %d, want 200 or 201", i, s)
		}
		if indexes[i] != indexes[0] {
			t.Errorf("concurrent resubmission %d = index %d, want %d", i, indexes[i], indexes[0])
		}
	}
	if created != 1 || e.Size(t) != before+2 {
		t.Errorf("20 concurrent POSTs of one JWS: %d created, size %d, want 1 and %d", created, e.Size(t), before+2)
	}
}

func appendedIndex(t testing.TB, r *client.Response) int64 {
	var a client.Appended
	if err := json.Unmarshal(r.Body, &a); err != nil {
		t.Errorf("decoding %s: %v", r.Body, err)
	}
	return a.Index
}

// TestNonceEndpoint checks where nonces come from and that each works once.
func TestNonceEndpoint(t *testing.T) {
	e := signettest.New(t, signettest.Options{})
	k := registerRaw(t, e, "alice")
	issued := map[string]bool{}
	fresh := func(what string, r *client.Response) string {
		t.Helper()
		n := r.Header.Get("Replay-Nonce")
		if n == "" || issued[n] {
			t.Errorf("%s: Replay-Nonce = %q, want a fresh one", what, n)
		}
		if cc := r.Header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("%s: Cache-Control = %q, want no-store", what, cc)
		}
		issued[n] = true
		return n
	}
	for _, m := range []string{http.MethodHead, http.MethodGet} {
		r := send(t, e, request{method: m, path: "/v1/nonce"})
		if r.Status != 200 && r.Status != 204 {
			t.Errorf("%s /v1/nonce = %d, want 200 or 204", m, r.Status)
		}
		fresh(m+" /v1/nonce", r)
	}

	n := fresh("GET /v1/nonce", send(t, e, request{method: http.MethodGet, path: "/v1/nonce"}))
	ok := postEntry(signRaw(k, entryHeader(t, e, k).with("nonce", n).json(), []byte(okPayload)).flattened())
	reuse := postEntry(signRaw(k, entryHeader(t, e, k).with("nonce", n).json(), []byte(`{"other":1}`)).flattened())
	answers := []struct {
		req    request
		status int
	}{
		{ok, 201},
		{ok, 200},
		{reuse, 400},
		{request{http.MethodPost, "/v1/entries", "text/plain", ok.body, ""}, 415},
		{request{http.MethodPost, "/v1/signers", "application/jose+json", ok.body, ""}, 401},
		{postEntry([]byte("{")), 400},
	}
	var fromError string
	for _, a := range answers {
		r := send(t, e, a.req)
		if r.Status != a.status {
			t.Errorf("%s = %d %s, want %d", a.req, r.Status, r.Body, a.status)
		}
		fromError = fresh(a.req.String(), r)
	}
	// A nonce handed out with an error answer works, once.
	h := entryHeader(t, e, k).with("nonce", fromError)
	if r := send(t, e, postEntry(signRaw(k, h.json(), []byte(`{"n":3}`)).flattened())); r.Status != 201 {
		t.Errorf("entry with the nonce of an error answer = %d %s, want 201", r.Status, r.Body)
	}
	if r := send(t, e, postEntry(signRaw(k, h.json(), []byte(`{"n":4}`)).flattened())); r.Status != 400 {
		t.Errorf("second entry with one nonce = %d %s, want 400 badNonce", r.Status, r.Body)
	}
}

// TestNonceExpiry checks that a nonce stops working after the TTL, while
// an exact resubmission of the JWS that used it still finds its record.
func TestNonceExpiry(t *testing.T) {
	t.Parallel()
	e := signettest.New(t, signettest.Options{Ledger: func(c *ledger.Config) { c.NonceTTL = 2 * time.Second }})
	k := registerRaw(t, e, "alice")
	used := signRaw(k, entryHeader(t, e, k).json(), []byte(okPayload))
	first := send(t, e, postEntry(used.flattened()))
	unused := entryHeader(t, e, k)
	time.Sleep(2100 * time.Millisecond)

	req := postEntry(signRaw(k, unused.json(), []byte(okPayload)).flattened())
	checkProblem(t, req, send(t, e, req), 400, "badNonce")
	again := send(t, e, postEntry(used.flattened()))
	if again.Status != 200 || appendedIndex(t, again) != appendedIndex(t, first) {
		t.Errorf("resubmission after the nonce expired = %d %s, want 200 and index %d", again.Status, again.Body, appendedIndex(t, first))
	}
}
