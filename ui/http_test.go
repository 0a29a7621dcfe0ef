package ui_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/signet-ledger/signet"
)

// get fetches path from s without following redirects.
func get(t *testing.T, s *site, path string, hdr ...string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	return do(t, req)
}

func do(t *testing.T, req *http.Request) (*http.Response, string) {
	t.Helper()
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// TestBadInputIsAnHTMLPage: every bad index, signer and paging parameter
// gets an HTML error page with the 4xx status the API's error table
// gives, never a 500, and every answer carries the security headers.
func TestBadInputIsAnHTMLPage(t *testing.T) {
	s := postgresSite(t, access{public: true})
	s.tell(t)
	for _, c := range []struct {
		path   string
		status int
		says   string
	}{
		{"/ui/entries/abc", 400, "index must be a non-negative decimal integer"},
		{"/ui/entries/-1", 400, "index must be a non-negative decimal integer"},
		{"/ui/entries/01", 400, "index must be a non-negative decimal integer"},
		{"/ui/entries/99999999999999999999", 400, "index must be a non-negative decimal integer"},
		{"/ui/entries/14", 404, "there is no record 14"},
		{"/ui/entries/14/receipt", 404, "there is no record 14"},
		{"/ui/entries/x/json", 400, "index must be a non-negative decimal integer"},
		{"/ui/entries?index=", 400, "index must be a non-negative decimal integer"},
		{"/ui/signers/nobody", 404, "Not found"},
		{"/ui/signers/" + url.PathEscape("<b>Bad Id</b>"), 404, "Not found"},
		{"/ui/signers/alice?after=-1", 400, "after must be a non-negative decimal integer"},
		{"/ui/signers/alice?limit=0", 400, "limit must be between 1 and 100"},
		{"/ui/signers/alice?limit=101", 400, "limit must be between 1 and 100"},
		{"/ui/search?after=x", 400, "after must be a non-negative decimal integer"},
		{"/ui/search?kind=bogus", 400, "unknown record kind"},
		{"/ui/search?match=%5B1%5D", 400, "match must be one JSON object"},
		{"/ui/search?match=&kind=entry", 200, "Records found"},
		{"/ui/signers?after=%3Cb%3E", 400, "after must be a signer id"},
		{"/ui/signers?limit=101", 400, "limit must be between 1 and 100"},
		{"/ui/signers?after=zed", 200, "No signers"},
		{"/ui/no/such/page", 404, "there is no such page"},
	} {
		resp, body := get(t, s, c.path)
		if resp.StatusCode != c.status || !strings.Contains(body, c.says) {
			t.Errorf("GET %s = %d %q, want %d saying %q", c.path, resp.StatusCode, body, c.status, c.says)
		}
		if ct := resp.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
			t.Errorf("GET %s: Content-Type %q, want an HTML page", c.path, ct)
		}
		checkHeaders(t, c.path, resp)
	}
	if strings.Contains(mustGet(t, s, "/ui/signers/"+url.PathEscape("<b>Bad Id</b>")), "<b>") {
		t.Error("the error page shows a bad signer id as markup")
	}
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/ui/entries/1", nil)
	if resp, _ := do(t, req); resp.StatusCode != http.StatusBadRequest && resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /ui/entries/1 = %d, want 400 or 405", resp.StatusCode)
	}
}

func mustGet(t *testing.T, s *site, path string) string {
	_, body := get(t, s, path)
	return body
}

func checkHeaders(t *testing.T, what string, resp *http.Response) {
	t.Helper()
	want := map[string]string{
		"Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
		"X-Content-Type-Options":  "nosniff",
		"Referrer-Policy":         "no-referrer",
	}
	for k, v := range want {
		if got := resp.Header.Get(k); got != v {
			t.Errorf("%s: %s = %q, want %q", what, k, got, v)
		}
	}
}

// TestReceiptDownload: the record page's receipt is the file signet
// receipt writes, and it verifies offline with the log's key alone.
func TestReceiptDownload(t *testing.T) {
	s := postgresSite(t, access{public: true})
	s.tell(t)
	for _, i := range []string{"0", "3", "8"} {
		resp, body := get(t, s, "/ui/entries/"+i+"/receipt")
		if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Disposition"), `filename="record-`+i+`.tlog-proof"`) {
			t.Fatalf("GET receipt %s = %d %v", i, resp.StatusCode, resp.Header)
		}
		r, err := signet.ParseReceipt([]byte(body))
		if err != nil {
			t.Fatalf("receipt %s: %v", i, err)
		}
		if _, err := r.Verify(s.LogKey, nil); err != nil {
			t.Errorf("receipt %s does not verify: %v", i, err)
		}
	}
	// Record 8 was signed with alice's second key: its receipt carries the
	// key record 6 and no revocation of that key.
	_, body := get(t, s, "/ui/entries/8/receipt")
	r, _ := signet.ParseReceipt([]byte(body))
	if r.Key == nil || r.Key.Record.Index != 6 || r.Revocation != nil {
		t.Errorf("receipt 8: key %+v, revocation %+v; want the key record 6 and no revocation", r.Key, r.Revocation)
	}
}

// TestCrossSiteSignInIsRefused: a sign-in or sign-out POST that the
// browser says another site started is refused before anything is set.
func TestCrossSiteSignInIsRefused(t *testing.T) {
	s := postgresSite(t, access{})
	for _, path := range []string{"/ui/signin", "/ui/signout"} {
		for _, hdr := range [][2]string{{"Sec-Fetch-Site", "cross-site"}, {"Origin", "https://evil.example"}} {
			req, _ := http.NewRequest(http.MethodPost, s.URL+path, strings.NewReader("token="+readerToken))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set(hdr[0], hdr[1])
			resp, body := do(t, req)
			if resp.StatusCode != http.StatusForbidden && resp.StatusCode != http.StatusUnauthorized || len(resp.Cookies()) != 0 {
				t.Errorf("POST %s with %s: %s = %d, cookies %v, body %q; want refused, no cookie", path, hdr[0], hdr[1], resp.StatusCode, resp.Cookies(), body)
			}
		}
	}
	// The same sign-in from the server's own page works, and sets the
	// cookie HttpOnly and SameSite=Strict.
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/ui/signin", strings.NewReader("token="+readerToken+"&next=/ui/entries/0"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, _ := do(t, req)
	cs := resp.Cookies()
	if resp.StatusCode != http.StatusSeeOther || len(cs) != 1 || !cs[0].HttpOnly || cs[0].SameSite != http.SameSiteStrictMode {
		t.Fatalf("same-origin sign-in = %d, cookies %+v; want 303 and one HttpOnly, SameSite=Strict cookie", resp.StatusCode, cs)
	}
	if loc := resp.Header.Get("Location"); loc != "/ui/entries/0" || strings.Contains(loc, readerToken) {
		t.Errorf("sign-in goes to %q, want /ui/entries/0", loc)
	}
	// Where to go next is a page of the explorer, never another site.
	for _, n := range []string{"https://evil.example/", "//evil.example/ui/", "/ui//evil.example", "/v1/entries"} {
		req, _ := http.NewRequest(http.MethodPost, s.URL+"/ui/signin", strings.NewReader("token="+readerToken+"&next="+url.QueryEscape(n)))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if resp, _ := do(t, req); resp.Header.Get("Location") != "/ui/" {
			t.Errorf("sign-in with next=%q goes to %q, want /ui/", n, resp.Header.Get("Location"))
		}
	}
}

// TestSecureCookieBehindProxy: behind a TLS-terminating proxy named in
// TrustedProxies, its X-Forwarded-Proto: https makes the session cookie
// Secure with the __Host- prefix, and that cookie signs the visitor in; the
// header from anyone else, or anything but one "https", is ignored.
func TestSecureCookieBehindProxy(t *testing.T) {
	trusting := sqliteSite(t, access{proxies: []string{"127.0.0.0/8"}})
	untrusting := sqliteSite(t, access{proxies: []string{"10.0.0.5"}})
	signin := func(s *site, proto ...string) *http.Cookie {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, s.URL+"/ui/signin", strings.NewReader("token="+readerToken))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for _, p := range proto {
			req.Header.Add("X-Forwarded-Proto", p)
		}
		resp, _ := do(t, req)
		if resp.StatusCode != http.StatusSeeOther || len(resp.Cookies()) != 1 {
			t.Fatalf("sign-in with X-Forwarded-Proto %q = %d, cookies %v", proto, resp.StatusCode, resp.Cookies())
		}
		return resp.Cookies()[0]
	}
	for _, c := range []struct {
		name   string
		s      *site
		proto  []string
		secure bool
	}{
		{"trusted proxy, https", trusting, []string{"https"}, true},
		{"trusted proxy, HTTPS", trusting, []string{"HTTPS"}, true},
		{"trusted proxy, http", trusting, []string{"http"}, false},
		{"trusted proxy, no header", trusting, nil, false},
		{"trusted proxy, two headers", trusting, []string{"https", "http"}, false},
		{"trusted proxy, a list", trusting, []string{"https, http"}, false},
		{"untrusted peer, https", untrusting, []string{"https"}, false},
	} {
		ck := signin(c.s, c.proto...)
		wantName := map[bool]string{true: "__Host-signet-reader", false: "signet-reader"}[c.secure]
		if ck.Secure != c.secure || ck.Name != wantName || !ck.HttpOnly || ck.Path != "/" {
			t.Errorf("%s: cookie %s Secure=%v HttpOnly=%v Path=%s; want %s Secure=%v", c.name, ck.Name, ck.Secure, ck.HttpOnly, ck.Path, wantName, c.secure)
		}
		// The cookie set signs the visitor in on the next request through
		// the same proxy.
		hdr := []string{"Cookie", ck.Name + "=" + ck.Value}
		if len(c.proto) == 1 {
			hdr = append(hdr, "X-Forwarded-Proto", c.proto[0])
		}
		if resp, _ := get(t, c.s, "/ui/", hdr...); resp.StatusCode != 200 {
			t.Errorf("%s: the overview with that cookie = %d, want 200", c.name, resp.StatusCode)
		}
	}
	// A __Host- cookie sent without the proxy's https is not read: the
	// visitor is sent to sign in.
	ck := signin(trusting, "https")
	if resp, _ := get(t, trusting, "/ui/", "Cookie", ck.Name+"="+ck.Value); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("the __Host- cookie over plain HTTP = %d, want 303 to sign in", resp.StatusCode)
	}
}
