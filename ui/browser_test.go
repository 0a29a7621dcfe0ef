package ui_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/signet-ledger/signet/internal/signettest"
)

// browser is one headless Chromium (Debian's chromium, from
// scripts/tools.sh) for a test; each tab gets its own browser context, so
// no cookie passes between cases.
type browser struct {
	ctx context.Context
}

func newBrowser(t *testing.T) *browser {
	path := signettest.Tool(t, "SIGNET_CHROMIUM")
	// The whole browser test is bounded: a hung page fails it, it never
	// hangs the suite.
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	t.Cleanup(cancel)
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox,
		chromedp.WindowSize(1100, 900), chromedp.Flag("disable-dev-shm-usage", true))
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(acancel)
	bctx, bcancel := chromedp.NewContext(actx)
	t.Cleanup(bcancel)
	if err := chromedp.Do(bctx); err != nil { // start the browser
		t.Fatalf("starting %s: %v", path, err)
	}
	return &browser{ctx: bctx}
}

// tab is one page in a fresh browser context; dialogs counts every
// JavaScript dialog (alert, confirm, prompt) the page tried to open.
type tab struct {
	t       *testing.T
	base    string // the site's URL, for helpers that open pages
	ctx     context.Context
	mu      sync.Mutex
	dialogs []string
}

func (b *browser) tab(t *testing.T) *tab {
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	tb := &tab{t: t, ctx: ctx}
	if err := chromedp.Do(ctx); err != nil {
		t.Fatal(err)
	}
	chromedp.Listen(ctx, func(ev any) {
		if d, ok := ev.(*page.EventJavascriptDialogOpening); ok {
			tb.mu.Lock()
			tb.dialogs = append(tb.dialogs, d.Message)
			tb.mu.Unlock()
			go chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true})
		}
	})
	return tb
}

// open loads url and returns the HTTP status of the document.
func (tb *tab) open(url string) int64 {
	tb.t.Helper()
	resp, err := chromedp.RunResponse(tb.ctx, chromedp.Navigate(url))
	if err != nil {
		tb.t.Fatalf("opening %s: %v", url, err)
	}
	return resp.Status
}

// click clicks sel and waits for the page it loads.
func (tb *tab) click(sel string) int64 {
	tb.t.Helper()
	resp, err := chromedp.RunResponse(tb.ctx, chromedp.Click(chromedp.CSS(sel)))
	if err != nil {
		tb.t.Fatalf("clicking %s: %v", sel, err)
	}
	return resp.Status
}

func (tb *tab) text(sel string) string {
	tb.t.Helper()
	s, err := chromedp.Run(tb.ctx, chromedp.TextContent(chromedp.CSS(sel)))
	if err != nil {
		tb.t.Fatalf("reading %s: %v", sel, err)
	}
	return s
}

func (tb *tab) eval(js string) any {
	tb.t.Helper()
	v, err := chromedp.Run(tb.ctx, chromedp.Evaluate[any](js))
	if err != nil {
		tb.t.Fatalf("evaluating %s: %v", js, err)
	}
	return v
}

// texts returns the text of every element sel matches.
func (tb *tab) texts(sel string) []string {
	tb.t.Helper()
	v := tb.eval(`[...document.querySelectorAll(` + jsonString(sel) + `)].map(e => e.textContent.replace(/\s+/g, " ").trim())`)
	var out []string
	for _, s := range v.([]any) {
		out = append(out, s.(string))
	}
	return out
}

func (tb *tab) location() string {
	tb.t.Helper()
	l, err := chromedp.Run(tb.ctx, chromedp.Location())
	if err != nil {
		tb.t.Fatal(err)
	}
	return l
}

// screenshot writes the whole page to $SIGNET_SCREENSHOTS/name, if set.
func (tb *tab) screenshot(name string) {
	dir := os.Getenv("SIGNET_SCREENSHOTS")
	if dir == "" {
		return
	}
	b, err := chromedp.Run(tb.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		tb.t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
		tb.t.Fatal(err)
	}
}

func (tb *tab) noDialogs() {
	tb.t.Helper()
	tb.mu.Lock()
	defer tb.mu.Unlock()
	if len(tb.dialogs) > 0 {
		tb.t.Errorf("the page opened JavaScript dialogs: %q", tb.dialogs)
	}
}

func contains(t *testing.T, what, got string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("%s = %q, want it to contain %q", what, got, w)
		}
	}
}

// TestExplorerInBrowser drives the pages in Chromium on a real log on each
// store: the facts each page shows, markup in payloads and reasons shown
// as text with nothing run, paging, a record changed in the database
// failing its checks by name, search by payload content, the signer
// directory, witness cosignatures, and the sign-in of token read mode.
func TestExplorerInBrowser(t *testing.T) {
	b := newBrowser(t)
	for _, store := range []struct {
		name string
		open func(*testing.T, access) *site
	}{{"postgres", postgresSite}, {"sqlite", sqliteSite}} {
		t.Run(store.name, func(t *testing.T) {
			s := store.open(t, access{public: true})
			st := s.tell(t)
			t.Run("overview", func(t *testing.T) { checkOverview(t, b.tab(t), s) })
			t.Run("record", func(t *testing.T) { checkRecord(t, b.tab(t), s, st, store.name == "postgres") })
			t.Run("signer", func(t *testing.T) { checkSigner(t, b.tab(t), s, st, store.name == "postgres") })
			t.Run("markup", func(t *testing.T) { checkMarkup(t, b.tab(t), s) })
			t.Run("paging", func(t *testing.T) { checkPaging(t, b.tab(t), s) })
			t.Run("search", func(t *testing.T) { checkSearch(t, b.tab(t), s, store.name == "postgres") })
			t.Run("signers", func(t *testing.T) { checkSigners(t, b.tab(t), s) })
			t.Run("witnessed", func(t *testing.T) { checkWitnessed(t, b.tab(t), s) })
			t.Run("tampered", func(t *testing.T) { checkTampered(t, b.tab(t), s) })
		})
	}
	t.Run("token", func(t *testing.T) { checkToken(t, b.tab(t), postgresSite(t, access{})) })
}

func checkOverview(t *testing.T, tb *tab, s *site) {
	if st := tb.open(s.URL + "/ui/"); st != 200 {
		t.Fatalf("overview = %d", st)
	}
	if got := tb.text("#tree-size"); got != "14" {
		t.Errorf("tree size = %q, want 14", got)
	}
	contains(t, "signatures", tb.text("ul.sigs"), "the log's signature")
	recent := tb.texts("section[aria-labelledby=recent] tbody td:first-child")
	if len(recent) != 10 || recent[0] != "Record 13" || recent[9] != "Record 4" {
		t.Errorf("recent records = %q, want Record 13 down to Record 4", recent)
	}
	// The "go to record" form leads to the record.
	if _, err := chromedp.Run(tb.ctx, chromedp.SendKeys(chromedp.CSS("#goto-index"), "3")); err != nil {
		t.Fatal(err)
	}
	if st := tb.click(`form[action="/ui/entries"] button`); st != 200 || !strings.HasSuffix(tb.location(), "/ui/entries/3") {
		t.Errorf("going to record 3: %d at %s", st, tb.location())
	}
	tb.noDialogs()
}

func checkRecord(t *testing.T, tb *tab, s *site, st story, shoot bool) {
	if code := tb.open(s.URL + "/ui/entries/3"); code != 200 {
		t.Fatalf("record 3 = %d", code)
	}
	if h := tb.text("h1"); h != "Record 3" {
		t.Errorf("h1 = %q", h)
	}
	contains(t, "verdict", tb.text("#verdict"), "Verified", "every check passed")
	checks := tb.texts("ul.checks li")
	for i, name := range []string{"Signature", "Record hash", "Chain link", "Inclusion"} {
		if i >= len(checks) || !strings.HasPrefix(checks[i], name+": passed") {
			t.Errorf("checks = %q, want %s: passed at %d", checks, name, i)
		}
	}
	contains(t, "fields", tb.text("section[aria-labelledby=fields]"), "Journal entry", "alice", st.A1)
	contains(t, "payload", tb.text("#payload-text"), `"amount": "16453.24"`)
	if got := tb.text("#key-then"); got != "active" {
		t.Errorf("key at index 3 = %q, want active", got)
	}
	if got := tb.text("#key-now"); got != "revoked" {
		t.Errorf("key now = %q, want revoked", got)
	}
	contains(t, "key", tb.text("section[aria-labelledby=key]"), "record 7", "the operator", "Compromised since", "record 4")
	links := tb.texts("nav[aria-label=Record] a")
	want := []string{"Previous record (2)", "Next record (4)", "Signer alice", "Raw JSON", "Download receipt"}
	if strings.Join(links, "|") != strings.Join(want, "|") {
		t.Errorf("record links = %q, want %q", links, want)
	}
	if shoot {
		tb.screenshot("ui-record.png")
		// The same page on a phone's width: one column, nothing cut off.
		if err := chromedp.Do(tb.ctx, chromedp.EmulateViewport(390, 844)); err != nil {
			t.Fatal(err)
		}
		if w := tb.eval(`document.documentElement.scrollWidth`); w != float64(390) {
			t.Errorf("on a 390px screen the page is %v px wide: it scrolls sideways", w)
		}
		tb.screenshot("ui-record-phone.png")
	}
	// Record 4, inside the compromised window, is marked suspect and fails.
	tb.open(s.URL + "/ui/entries/4")
	contains(t, "record 4", tb.text("main"), "Not verified", "Suspect", "declared compromised from log index 4")
	// The raw JSON link serves the API's answer.
	tb.open(s.URL + "/ui/entries/3")
	if code := tb.click(`a[href="/ui/entries/3/json"]`); code != 200 {
		t.Errorf("raw JSON = %d", code)
	}
	contains(t, "raw JSON", tb.text("body"), `"index":3`, `"jws":`)
	tb.noDialogs()
}

func checkSigner(t *testing.T, tb *tab, s *site, st story, shoot bool) {
	tb.open(s.URL + "/ui/entries/3")
	if code := tb.click(`nav[aria-label=Record] a[href="/ui/signers/alice"]`); code != 200 {
		t.Fatalf("signer link = %d", code)
	}
	if h := tb.text("h1"); h != "Signer alice" {
		t.Errorf("h1 = %q", h)
	}
	events := tb.texts("ol.events li")
	if len(events) != 3 || !strings.HasPrefix(events[0], "Record 0: registered with key "+st.A1) ||
		!strings.HasPrefix(events[1], "Record 6: key "+st.A2+" added") ||
		!strings.HasPrefix(events[2], "Record 7: key "+st.A1+" revoked") || !strings.Contains(events[2], "compromised since record 4") {
		t.Errorf("key history = %q", events)
	}
	hrefs := tb.eval(`[...document.querySelectorAll("ol.events li > a:first-child")].map(a => a.getAttribute("href"))`)
	if got := joinAny(hrefs); got != "/ui/entries/0 /ui/entries/6 /ui/entries/7" {
		t.Errorf("key history links = %s", got)
	}
	keys := tb.texts("section[aria-labelledby=keys] tbody tr")
	if len(keys) != 2 || !strings.Contains(keys[0], "revoked") || !strings.Contains(keys[1], "active") {
		t.Errorf("keys = %q", keys)
	}
	rows := tb.texts("section[aria-labelledby=signed] tbody td:first-child")
	if strings.Join(rows, ",") != "Record 0,Record 2,Record 3,Record 4,Record 6" {
		t.Errorf("alice's first page = %q", rows)
	}
	if shoot {
		tb.screenshot("ui-signer.png")
	}
	if code := tb.open(s.URL + "/ui/signers/nobody"); code != 404 {
		t.Errorf("unknown signer = %d, want 404", code)
	}
	contains(t, "unknown signer page", tb.text("main"), "Not found", "Error 404")
	tb.noDialogs()
}

// checkMarkup: a payload holding <script> and an attribute breakout, and a
// revocation reason holding an <img onerror>, are shown as text; the page
// gains no element from them and opens no dialog.
func checkMarkup(t *testing.T, tb *tab, s *site) {
	tb.open(s.URL + "/ui/entries/4")
	// The payload is shown as the JSON it is: the quote is escaped in it.
	contains(t, "payload", tb.text("#payload-text"), scriptPayload, strings.ReplaceAll(imgPayload, `"`, `\"`))
	count := func() string {
		return joinAny(tb.eval(`[document.scripts.length, document.images.length, document.querySelectorAll("main img, main script, [onerror]").length]`))
	}
	if got := count(); got != "0 0 0" {
		t.Errorf("record 4: scripts, images, elements from the payload = %s, want none", got)
	}
	tb.open(s.URL + "/ui/signers/alice")
	contains(t, "key history", tb.text("ol.events"), reasonMarkup)
	if got := count(); got != "0 0 0" {
		t.Errorf("signer page: scripts, images, elements from the reason = %s, want none", got)
	}
	tb.open(s.URL + "/ui/search?signer=" + "%3Cscript%3Ealert(1)%3C%2Fscript%3E")
	if v := tb.eval(`document.querySelector("#signer").value`); v != "<script>alert(1)</script>" {
		t.Errorf("search field = %v", v)
	}
	if got := count(); got != "0 0 0" {
		t.Errorf("search page: %s, want none", got)
	}
	time.Sleep(200 * time.Millisecond) // give a stray handler time to fire
	tb.noDialogs()
}

func checkPaging(t *testing.T, tb *tab, s *site) {
	tb.open(s.URL + "/ui/signers/alice")
	var pages []string
	for {
		pages = append(pages, strings.Join(tb.texts("section[aria-labelledby=signed] tbody td:first-child"), ","))
		if n := tb.eval(`document.querySelectorAll('a[rel=next]').length`); n == float64(0) {
			break
		}
		if code := tb.click(`a[rel=next]`); code != 200 || len(pages) > 5 {
			t.Fatalf("next page = %d after %q", code, pages)
		}
	}
	want := []string{"Record 0,Record 2,Record 3,Record 4,Record 6", "Record 7,Record 8,Record 9,Record 10,Record 11", "Record 12,Record 13"}
	if strings.Join(pages, "|") != strings.Join(want, "|") {
		t.Errorf("alice's pages = %q, want %q", pages, want)
	}
	if code := tb.click(`nav[aria-label=Pages] a:not([rel])`); code != 200 || tb.text("section[aria-labelledby=signed] tbody td") != "Record 0" {
		t.Errorf("first page link: %d", code)
	}
	// Search by kind, paged the same way.
	tb.open(s.URL + "/ui/search")
	if _, err := chromedp.Run(tb.ctx, chromedp.SetValue(chromedp.CSS("#kind"), "signer.registered")); err != nil {
		t.Fatal(err)
	}
	tb.click(`form.search button`)
	if got := strings.Join(tb.texts("section[aria-labelledby=results] tbody td:nth-child(3)"), ","); got != "alice,bob" {
		t.Errorf("registrations found = %q, want alice,bob", got)
	}
	contains(t, "search address", tb.location(), "/ui/search?signer=&kind=signer.registered")
	tb.noDialogs()
}

// checkTampered changes record 3's payload in the database: its page says
// it is not verified and names the record hash and signature checks as
// failed, while its neighbours' links still hold.
func checkTampered(t *testing.T, tb *tab, s *site) {
	s.tamperPayload(t)
	tb.open(s.URL + "/ui/entries/3")
	contains(t, "verdict", tb.text("#verdict"), "Not verified")
	checks := strings.Join(tb.texts("ul.checks li"), "\n")
	contains(t, "checks", checks, "Record hash: failed", "Signature: failed", "Chain link: passed")
	contains(t, "problems", tb.text("ul.problems"), "the record's hash does not match its contents")
	contains(t, "payload", tb.text("#payload-text"), "99999.99")
	tb.open(s.URL + "/ui/entries/2")
	contains(t, "record 2", tb.text("#verdict"), "Verified")
	tb.noDialogs()
}

// checkToken: in token read mode a visitor without the cookie is sent to
// the sign-in page, a wrong token gets an error, the right one the page
// asked for, never with the token in an address; signing out ends it.
func checkToken(t *testing.T, tb *tab, s *site) {
	s.tell(t)
	tb.open(s.URL + "/ui/entries/1")
	if loc := tb.location(); loc != s.URL+"/ui/signin?next=%2Fui%2Fentries%2F1" {
		t.Fatalf("without a cookie: at %s, want the sign-in page", loc)
	}
	if _, err := chromedp.Run(tb.ctx, chromedp.SendKeys(chromedp.CSS("#token"), "not-the-token")); err != nil {
		t.Fatal(err)
	}
	if code := tb.click(`main form button`); code != 401 {
		t.Errorf("wrong token = %d, want 401", code)
	}
	contains(t, "wrong token", tb.text("#signin-problem"), "not one of this server's reader tokens")
	if _, err := chromedp.Run(tb.ctx, chromedp.SetValue(chromedp.CSS("#token"), readerToken)); err != nil {
		t.Fatal(err)
	}
	tb.click(`main form button`)
	if loc := tb.location(); loc != s.URL+"/ui/entries/1" {
		t.Errorf("after signing in: at %s, want the record asked for", loc)
	}
	contains(t, "record after sign-in", tb.text("#verdict"), "Verified")
	cs, err := chromedp.Call(tb.ctx, network.GetCookies, network.GetCookiesParams{})
	if err != nil {
		t.Fatal(err)
	}
	if len(cs.Cookies) != 1 || !cs.Cookies[0].HTTPOnly || cs.Cookies[0].SameSite != network.CookieSameSiteStrict {
		t.Errorf("cookies = %+v, want one HttpOnly SameSite=Strict cookie", cs.Cookies)
	}
	if v := tb.eval(`document.cookie`); v != "" {
		t.Errorf("document.cookie = %q: scripts can read the token", v)
	}
	hist, _ := chromedp.Run(tb.ctx, chromedp.NavigationEntries())
	for _, e := range hist.Entries {
		if strings.Contains(e.URL, readerToken) {
			t.Errorf("an address holds the token: %s", e.URL)
		}
	}
	tb.click(`form[action="/ui/signout"] button`)
	tb.open(s.URL + "/ui/")
	if loc := tb.location(); !strings.HasPrefix(loc, s.URL+"/ui/signin") {
		t.Errorf("after signing out: at %s, want the sign-in page", loc)
	}
	tb.noDialogs()
}

func joinAny(v any) string {
	var out []string
	for _, x := range v.([]any) {
		switch x := x.(type) {
		case string:
			out = append(out, x)
		case float64:
			out = append(out, strconv.FormatFloat(x, 'f', -1, 64))
		}
	}
	return strings.Join(out, " ")
}
