package api

import (
	"bufio"
	"encoding/json"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/signet-ledger/signet/ledger"
)

// exportEndView is the last line of an export.
type exportEndView struct {
	TreeSize    int64  `json:"tree_size"`
	Checkpoint  string `json:"checkpoint"`
	Consistency any    `json:"consistency"`
}

// export streams ?from=&to= as NDJSON: one record per line with its JWS
// parts (empty protected and signature for operator records), then one
// line {"tree_size", "checkpoint", "consistency"}. It holds one page of
// records in memory at a time.
func (s *Server) export(c *gin.Context) {
	from, err := queryIndex(c, "from", 0)
	if err != nil {
		s.fail(c, err)
		return
	}
	to, err := queryIndex(c, "to", 0)
	if err != nil {
		s.fail(c, err)
		return
	}
	w := bufio.NewWriterSize(c.Writer, 64<<10)
	enc := json.NewEncoder(w)
	started := false
	// The server's write timeout bounds a whole response, which would cut
	// off any export longer than it takes; an export instead gets
	// StreamStall for each stretch of writing, renewed as it goes, so a
	// slow reader that keeps reading gets the whole log.
	rc := http.NewResponseController(c.Writer)
	var renewed time.Time
	end, err := s.ledger.Export(c, from, to, func(r *ledger.Record) error {
		if now := time.Now(); now.Sub(renewed) > time.Second {
			rc.SetWriteDeadline(now.Add(s.streamStall))
			renewed = now
		}
		if !started {
			c.Header("Content-Type", "application/x-ndjson")
			c.Status(http.StatusOK)
			started = true
		}
		return enc.Encode(newRecordView(r, true))
	})
	if err != nil {
		if !started {
			s.fail(c, err)
		} else {
			s.log.Error("export cut short", "request_id", requestID(c), "err", err)
			w.Flush()
			cutStream(c)
		}
		return
	}
	if !started {
		c.Header("Content-Type", "application/x-ndjson")
		c.Status(http.StatusOK)
	}
	enc.Encode(exportEndView{TreeSize: end.TreeSize, Checkpoint: string(end.Checkpoint), Consistency: hashes(end.Consistency)})
	w.Flush()
}
