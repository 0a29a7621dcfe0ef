package ui

import (
	"net/http"
	"net/url"
	"strings"
	"time"
)

// cookieName is the session cookie's name: over HTTPS (signetd's own TLS,
// or a trusted proxy's, [Server.Secure]) it has the __Host- prefix, which
// browsers accept only with Secure, Path=/ and no Domain, so no other host
// or path can plant or shadow it.
func (p *Pages) cookieName(r *http.Request) string {
	if p.srv.Secure(r) {
		return "__Host-signet-reader"
	}
	return "signet-reader"
}

// sessionAge bounds a sign-in: after it, the visitor signs in again.
const sessionAge = 12 * time.Hour

// token returns the reader token the visitor's cookie carries, if any.
func (p *Pages) token(r *http.Request) string {
	c, err := r.Cookie(p.cookieName(r))
	if err != nil {
		return ""
	}
	return c.Value
}

func (p *Pages) setSession(w http.ResponseWriter, r *http.Request, tok string, age time.Duration) {
	http.SetCookie(w, &http.Cookie{Name: p.cookieName(r), Value: tok, Path: "/", MaxAge: int(age.Seconds()),
		HttpOnly: true, Secure: p.srv.Secure(r), SameSite: http.SameSiteStrictMode})
}

// signedIn reports whether the visitor may read: reads are public, or the
// cookie carries a token the server accepts now.
func (p *Pages) signedIn(r *http.Request) bool {
	return p.srv.PublicReads() || p.srv.CanRead(p.token(r)) && p.token(r) != ""
}

// reader sends a visitor who may not read to the sign-in page, with the
// page asked for to come back to.
func (p *Pages) reader(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p.signedIn(r) {
			h.ServeHTTP(w, r)
			return
		}
		if p.token(r) != "" { // a token the server no longer accepts
			p.setSession(w, r, "", -1)
		}
		http.Redirect(w, r, "/ui/signin?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
	})
}

// sameOrigin refuses a POST that the browser says another site started.
func (p *Pages) sameOrigin(h http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.fail(w, r, errCrossOrigin)
	}))
	return cop.Handler(h)
}

// next returns where to go after signing in: a page of the explorer,
// never another site.
func next(r *http.Request) string {
	n := r.FormValue("next")
	if !strings.HasPrefix(n, "/ui/") || strings.ContainsAny(n, "\\\r\n") || strings.HasPrefix(n, "/ui//") {
		return "/ui/"
	}
	return n
}

type signinPage struct {
	Next    string
	Problem string
}

func (p *Pages) signinForm(w http.ResponseWriter, r *http.Request) {
	if p.srv.PublicReads() || p.signedIn(r) {
		http.Redirect(w, r, next(r), http.StatusSeeOther)
		return
	}
	p.render(w, r, http.StatusOK, "signin", "Sign in", signinPage{Next: next(r)})
}

// signin checks the token as the API checks a bearer token and keeps it
// in the cookie; a wrong one gets the form again, with 401.
func (p *Pages) signin(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 8<<10)
	tok := r.PostFormValue("token")
	if p.srv.PublicReads() {
		http.Redirect(w, r, next(r), http.StatusSeeOther)
		return
	}
	if tok == "" || !p.srv.CanRead(tok) {
		p.render(w, r, http.StatusUnauthorized, "signin", "Sign in",
			signinPage{Next: next(r), Problem: "That token is not one of this server's reader tokens. Check it and try again."})
		return
	}
	p.setSession(w, r, tok, sessionAge)
	http.Redirect(w, r, next(r), http.StatusSeeOther)
}

func (p *Pages) signout(w http.ResponseWriter, r *http.Request) {
	p.setSession(w, r, "", -1)
	http.Redirect(w, r, "/ui/signin", http.StatusSeeOther)
}
