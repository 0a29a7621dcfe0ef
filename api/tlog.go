package api

import (
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/signet-ledger/signet/ledger"
)

// tlogRoutes serves the log as c2sp.org/tlog-tiles, under the prefix
// /tlog, to whoever may read (s.reader).
func (s *Server) tlogRoutes(e *gin.Engine) {
	g := e.Group("/tlog", s.reader)
	g.GET("/checkpoint", s.tlogCheckpoint)
	g.GET("/tile/*path", s.tile)
}

// tlogCheckpoint serves the checkpoint the log publishes, as the ledger
// gives it.
func (s *Server) tlogCheckpoint(c *gin.Context) {
	c.Header("Cache-Control", "no-store")
	cp, err := s.ledger.Checkpoint(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Header("Cache-Control", s.tlogCaching(false))
	c.Data(http.StatusOK, "text/plain; charset=utf-8", cp)
}

// tile serves /tlog/tile/<L>/<N>[.p/<W>] and /tlog/tile/entries/<N>[.p/<W>].
// A path with percent-escapes is not the one spelling of a tile. Errors
// are not to be stored by any cache: a tile missing now exists once the
// tree grows.
func (s *Server) tile(c *gin.Context) {
	c.Header("Cache-Control", "no-store")
	if c.Request.URL.RawPath != "" {
		s.fail(c, malformed("a tile path has no percent-escapes"))
		return
	}
	t, err := ledger.ParseTilePath("tile" + c.Param("path"))
	if err != nil {
		s.fail(c, err)
		return
	}
	b, err := s.ledger.Tile(c, t)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Header("Cache-Control", s.tlogCaching(t.Full()))
	c.Data(http.StatusOK, "application/octet-stream", b)
}

// tlogCaching is the Cache-Control of a tlog answer. A full tile never
// changes: a year, immutable. The checkpoint changes with every batch and
// partial tiles are superseded by full ones: 5 seconds, so that a proxy
// absorbs bursts of reads and a client sees a checkpoint at most 5
// seconds old. "public" when anyone may read; "private" when reads need a
// token, so that no shared cache hands an answer to someone without one.
func (s *Server) tlogCaching(immutable bool) string {
	scope := "private"
	if s.publicReads {
		scope = "public"
	}
	if immutable {
		return scope + ", max-age=31536000, immutable"
	}
	return scope + ", max-age=5"
}
