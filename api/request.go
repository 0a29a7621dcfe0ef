package api

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/signet-ledger/signet/keys"
	"github.com/signet-ledger/signet/ledger"
)

var errPanic = errors.New("api: handler panicked")

func notFound(detail string) error     { return fmt.Errorf("%w: %s", ledger.ErrNotFound, detail) }
func unauthorized(detail string) error { return fmt.Errorf("%w: %s", ledger.ErrUnauthorized, detail) }
func malformed(detail string) error    { return fmt.Errorf("%w: %s", ledger.ErrMalformed, detail) }

// body reads the request body, refusing more than s.maxBody bytes.
func (s *Server) body(c *gin.Context) ([]byte, error) { return s.bodyLimit(c, s.maxBody) }

// bodyLimit reads the request body, refusing more than limit bytes.
func (s *Server) bodyLimit(c *gin.Context, limit int64) ([]byte, error) {
	b, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, limit))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return nil, fmt.Errorf("%w: the body exceeds %d bytes", errTooLarge, limit)
	}
	if err != nil {
		return nil, malformed("the request body could not be read")
	}
	return b, nil
}

// mediaType returns the request's media type without parameters.
func mediaType(c *gin.Context) string {
	mt, _, err := mime.ParseMediaType(c.GetHeader("Content-Type"))
	if err != nil {
		return ""
	}
	return mt
}

// signed reads a JWS body: flattened JSON as application/jose+json, or
// compact as application/jose.
func (s *Server) signed(c *gin.Context) (ledger.Signed, error) {
	var parse func([]byte) (*keys.JWS, error)
	switch mediaType(c) {
	case "application/jose+json":
		parse = keys.ParseFlattened
	case "application/jose":
		parse = keys.ParseCompact
	default:
		return ledger.Signed{}, fmt.Errorf("%w: send a JWS as application/jose+json (flattened JSON) or application/jose (compact)", errUnsupportedType)
	}
	g := s.gate(c)
	if err := g.Check(); err != nil {
		return ledger.Signed{}, err
	}
	b, err := s.body(c)
	if err != nil {
		return ledger.Signed{}, err
	}
	j, err := parse(b)
	if err != nil {
		g.Failed()
		return ledger.Signed{}, err
	}
	return ledger.Signed{JWS: j, Path: c.Request.URL.Path, Gate: g}, nil
}

// queryIndex parses an optional query parameter with [ParseIndex]; absent
// is def.
func queryIndex(c *gin.Context, name string, def int64) (int64, error) {
	return indexParam(c.Request.URL.Query(), name, def)
}
