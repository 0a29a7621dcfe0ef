// Package ui is Signet's explorer: server-rendered pages under /ui/ that
// show auditors, with nothing to install, who signed each record and
// whether every check holds. It is mounted on the API server
// ([api.Server.Mount]) and so shares its listener, its read access and its
// error table; like package api it translates and decides nothing: every
// fact and every verdict comes from the ledger.
//
// # Pages
//
//	GET  /ui/                          overview: tree size, checkpoint, cosignatures, recent records
//	GET  /ui/entries/{index}           a record, its key's status and the verify result
//	GET  /ui/entries/{index}/json      the record as GET /v1/entries/{index} answers it
//	GET  /ui/entries/{index}/receipt   the record's receipt (docs/PROTOCOL.md §9)
//	GET  /ui/entries?index=N           goes to record N
//	GET  /ui/signers                   the signer directory, paged
//	GET  /ui/signers/{signer}          a signer's key history and records, paged
//	GET  /ui/search                    records by signer, kind and payload content, paged
//	GET  /ui/signin, POST /ui/signin   sign in with a reader token (token read mode)
//	POST /ui/signout                   sign out
//
// # Security
//
// Everything a signer wrote is data: html/template escapes it, and every
// answer carries a Content-Security-Policy that allows no script at all,
// styles only from /ui/static/, and forms that post only to the server
// itself; pages cannot be framed. No page needs JavaScript.
//
// When reads need a token, a visitor signs in with a reader (or the
// admin) token, checked as the API checks a bearer token; it is kept for
// at most 12 hours in an HttpOnly, SameSite=Strict cookie (Secure, with
// the __Host- prefix, over HTTPS: signetd's own TLS, or a trusted proxy's
// X-Forwarded-Proto, [api.Server.Secure]) and never appears in a URL. The cookie is
// only a way of carrying the bearer token: it grants nothing the API would
// not, the API never reads it, and it is checked again on every request, so
// removing a token from the server's configuration signs its visitors out.
// The only requests that change anything are the sign-in and sign-out
// POSTs; they are refused unless the browser says they come from the
// server's own pages (net/http's CrossOriginProtection: Sec-Fetch-Site, or
// Origin against Host), which stops a forged sign-in (login CSRF) and
// forged sign-outs, and SameSite=Strict keeps the cookie off every
// request another site starts.
package ui

import (
	"embed"
	"html/template"
	"net/http"

	"github.com/signet-ledger/signet/api"
	"github.com/signet-ledger/signet/ledger"
)

// Server is what the pages need of the API server they are mounted on;
// *api.Server has it.
type Server interface {
	// PublicReads reports whether anyone may read.
	PublicReads() bool
	// CanRead reports whether token authorises reads.
	CanRead(token string) bool
	// Problem turns an error into what a client is told, by the API's one
	// error table.
	Problem(requestID string, err error) api.Problem
	// Secure reports whether the visitor reached the server over HTTPS,
	// which makes the session cookie Secure.
	Secure(r *http.Request) bool
	// ServeHTTP serves the API, for the raw JSON of a record.
	http.Handler
}

var _ Server = (*api.Server)(nil)

// Config configures the pages.
type Config struct {
	Log    *ledger.Log // Required.
	Server Server      // Required: the server the pages are mounted on.
	// PageSize is how many records a page lists. Optional. Default 20.
	PageSize int
}

//go:embed templates/*.html
var templateFS embed.FS

// Pages is the explorer's handler, to mount at /ui.
type Pages struct {
	log      *ledger.Log
	srv      Server
	pageSize int
	tmpl     map[string]*template.Template
	mux      *http.ServeMux
}

// New returns the pages for cfg.
func New(cfg Config) *Pages {
	if cfg.PageSize == 0 {
		cfg.PageSize = 20
	}
	p := &Pages{log: cfg.Log, srv: cfg.Server, pageSize: cfg.PageSize, tmpl: parseTemplates(), mux: http.NewServeMux()}
	p.routes()
	return p
}

func (p *Pages) routes() {
	p.mux.HandleFunc("GET /ui/static/style.css", serveCSS)
	p.mux.HandleFunc("GET /ui/signin", p.signinForm)
	p.mux.Handle("POST /ui/signin", p.sameOrigin(http.HandlerFunc(p.signin)))
	p.mux.Handle("POST /ui/signout", p.sameOrigin(http.HandlerFunc(p.signout)))
	read := func(pattern string, h func(http.ResponseWriter, *http.Request)) {
		p.mux.Handle(pattern, p.reader(http.HandlerFunc(h)))
	}
	read("GET /ui/{$}", p.overview)
	read("GET /ui/entries", p.gotoEntry)
	read("GET /ui/entries/{index}", p.record)
	read("GET /ui/entries/{index}/json", p.recordJSON)
	read("GET /ui/entries/{index}/receipt", p.receipt)
	read("GET /ui/signers", p.signers)
	read("GET /ui/signers/{signer}", p.signer)
	read("GET /ui/search", p.search)
	p.mux.HandleFunc("/ui/", func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			p.fail(w, r, errMethod)
			return
		}
		p.fail(w, r, notFound("there is no such page"))
	})
}

// ServeHTTP serves one request, with the headers every answer carries.
func (p *Pages) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", csp)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cache-Control", "no-store")
	p.mux.ServeHTTP(w, r)
}

// csp allows no script, styles and images only from the server, forms
// that post only to it, and no framing.
const csp = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

//go:embed static/style.css
var styleCSS []byte

// serveCSS serves the one stylesheet, which browsers may keep a while.
func serveCSS(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Write(styleCSS)
}
