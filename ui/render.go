package ui

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"net/http"

	"github.com/signet-ledger/signet/ledger"
)

// Errors of the pages themselves; each wraps the ledger error whose row
// of the API's error table gives its status.
var (
	errMethod      = fmt.Errorf("%w: ui: the explorer's pages are read with GET", ledger.ErrMalformed)
	errCrossOrigin = fmt.Errorf("%w: ui: this form was sent from another site; sign in from this server's own page", ledger.ErrUnauthorized)
)

func notFound(detail string) error  { return fmt.Errorf("%w: %s", ledger.ErrNotFound, detail) }
func malformed(detail string) error { return fmt.Errorf("%w: %s", ledger.ErrMalformed, detail) }

// pages are the templates, each parsed with the layout.
var pages = []string{"overview", "record", "signer", "signers", "search", "signin", "error"}

func parseTemplates() map[string]*template.Template {
	m := make(map[string]*template.Template, len(pages))
	for _, name := range pages {
		m[name] = template.Must(template.New("layout.html").Funcs(funcs).
			ParseFS(templateFS, "templates/layout.html", "templates/records.html", "templates/"+name+".html"))
	}
	return m
}

// layout is what every page gets: its title and body, and whether the
// visitor is signed in with a token (to offer signing out).
type layout struct {
	Title   string
	Token   bool // signed in with a token, in token read mode
	Public  bool
	Body    any
	LogName string
}

// render writes page name with status; a template error is a bug, and
// gets the error page.
func (p *Pages) render(w http.ResponseWriter, r *http.Request, status int, name, title string, body any) {
	l := layout{Title: title, Public: p.srv.PublicReads(), Token: !p.srv.PublicReads() && p.signedIn(r), Body: body,
		LogName: p.log.Origin()}
	var b bytes.Buffer
	if err := p.tmpl[name].Execute(&b, l); err != nil {
		if name == "error" {
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		p.fail(w, r, fmt.Errorf("ui: rendering %s: %w", name, err))
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(b.Bytes())
}

// requestID is the id the API's request log gave this request.
func requestID(w http.ResponseWriter) string { return w.Header().Get("X-Request-Id") }

type errorPage struct {
	Status int
	Title  string
	Detail string
	ID     string
}

// fail answers err as an HTML page, its status and words from the API's
// error table; 401 offers the sign-in page.
func (p *Pages) fail(w http.ResponseWriter, r *http.Request, err error) {
	pr := p.srv.Problem(requestID(w), err)
	if pr.Status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "1")
	}
	title := pr.Title
	if errors.Is(err, ledger.ErrNotFound) {
		title = "Not found"
	}
	p.render(w, r, pr.Status, "error", title, errorPage{Status: pr.Status, Title: title, Detail: pr.Detail, ID: pr.Instance})
}
