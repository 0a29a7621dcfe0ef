package api

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// checkpoint serves the latest signed checkpoint as a signed note, with
// the cosignatures collected for it; with ?witnessed=1, the newest one
// that meets the witness policy's quorum.
func (s *Server) checkpoint(c *gin.Context) {
	get := s.ledger.Checkpoint
	switch w, ok := c.GetQuery("witnessed"); {
	case !ok || w == "0":
	case w == "1":
		get = s.ledger.WitnessedCheckpoint
	default:
		s.fail(c, malformed("witnessed must be 1 or 0"))
		return
	}
	cp, err := get(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Header("Cache-Control", "no-cache")
	c.Data(http.StatusOK, "text/plain; charset=utf-8", cp)
}

// logKeyHandler serves the log's verifier key in signed-note form.
func (s *Server) logKeyHandler(c *gin.Context) {
	c.Data(http.StatusOK, "text/plain; charset=utf-8", []byte(s.logKey+"\n"))
}

// inclusion serves ?index=&tree_size= (tree_size 0 or absent: latest).
func (s *Server) inclusion(c *gin.Context) {
	idx, ok := c.GetQuery("index")
	if !ok {
		s.fail(c, malformed("index is required"))
		return
	}
	i, err := ParseIndex("index", idx)
	if err != nil {
		s.fail(c, err)
		return
	}
	size, err := queryIndex(c, "tree_size", 0)
	if err != nil {
		s.fail(c, err)
		return
	}
	p, err := s.ledger.ProveInclusion(c, i, size)
	if err != nil {
		s.fail(c, err)
		return
	}
	leaf := p.LeafHash
	c.JSON(http.StatusOK, proofView{LogIndex: p.Index, TreeSize: p.TreeSize, LeafHash: &leaf,
		Hashes: hashes(p.Proof), Checkpoint: string(p.Checkpoint)})
}

// consistency serves ?from=&to= (to 0 or absent: latest).
func (s *Server) consistency(c *gin.Context) {
	from, ok := c.GetQuery("from")
	if !ok {
		s.fail(c, malformed("from is required"))
		return
	}
	f, err := ParseIndex("from", from)
	if err != nil {
		s.fail(c, err)
		return
	}
	to, err := queryIndex(c, "to", 0)
	if err != nil {
		s.fail(c, err)
		return
	}
	p, err := s.ledger.ProveConsistency(c, f, to)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, struct {
		From       int64  `json:"from"`
		To         int64  `json:"to"`
		Hashes     any    `json:"hashes"`
		Checkpoint string `json:"checkpoint,omitempty"`
	}{p.From, p.To, hashes(p.Proof), string(p.Checkpoint)})
}
