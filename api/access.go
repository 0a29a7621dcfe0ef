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
	sum := sha256.Sum256([]byte(tok))
	found := 0
	for _, want := range t {
		found |= subtle.ConstantTimeCompare(sum[:], want[:])
	}
	return ok && tok != "" && found == 1
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
