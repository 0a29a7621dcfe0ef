package api

import (
	"crypto/sha256"
	"crypto/subtle"
	"strings"

	"github.com/gin-gonic/gin"
)

// tokens is a set of bearer tokens kept only as SHA-256 sums and compared
// in constant time.
type tokens [][32]byte

func newTokens(list ...string) tokens {
	var t tokens
	for _, tok := range list {
		if tok != "" {
			t = append(t, sha256.Sum256([]byte(tok)))
		}
	}
	return t
}

// match reports whether the request's bearer token is one of t. It
// compares against every token, so the time does not say which matched.
func (t tokens) match(c *gin.Context) bool {
	tok, ok := strings.CutPrefix(c.GetHeader("Authorization"), "Bearer ")
	return ok && t.has(tok)
}

// has reports whether tok is one of t, in time that does not say which.
func (t tokens) has(tok string) bool {
	sum := sha256.Sum256([]byte(tok))
	found := 0
	for _, want := range t {
		found |= subtle.ConstantTimeCompare(sum[:], want[:])
	}
	return tok != "" && found == 1
}

// admin requires the admin bearer token.
func (s *Server) admin(c *gin.Context) {
	if !s.adminTokens.match(c) {
		c.Header("WWW-Authenticate", `Bearer realm="signet"`)
		s.fail(c, unauthorized("this endpoint needs the admin bearer token"))
	}
}

// reader requires a reader or admin bearer token, unless reads are public.
func (s *Server) reader(c *gin.Context) {
	if s.publicReads || s.readerTokens.match(c) || s.adminTokens.match(c) {
		return
	}
	c.Header("WWW-Authenticate", `Bearer realm="signet"`)
	s.fail(c, unauthorized("reading the log needs a reader or admin bearer token"))
}

// PublicReads reports whether anyone may read the log (Config.PublicReads).
func (s *Server) PublicReads() bool { return s.publicReads }

// CanRead reports whether token authorises reads as a bearer token does:
// a reader or the admin token. With public reads any token may read.
func (s *Server) CanRead(token string) bool {
	return s.publicReads || s.readerTokens.has(token) || s.adminTokens.has(token)
}
