package api

import (
	"fmt"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/signet-ledger/signet/internal/strictjson"
	"github.com/signet-ledger/signet/ledger"
)

// batchPath is the path every JWS of a batch must be signed for: the
// single-entry endpoint, so one pre-signed entry can go either way.
const batchPath = "/v1/entries"

// batchResult is one entry's answer in a batch.
type batchResult struct {
	Status  int           `json:"status"`
	Entry   *appendedView `json:"entry,omitempty"`
	Problem *Problem      `json:"problem,omitempty"`
}

// postBatch appends up to 1000 independently signed entries from
// {"entries": [<flattened JWS>, ...]} (application/json) and answers 200
// with {"results": [...]} in input order, each with its own status.
func (s *Server) postBatch(c *gin.Context) {
	if mediaType(c) != "application/json" {
		s.fail(c, fmt.Errorf("%w: send a batch as application/json", errUnsupportedType))
		return
	}
	// An address out of failures gets one 429 before its body is read.
	if err := s.gate(c).Check(); err != nil {
		s.fail(c, err)
		return
	}
	// The batch is charged its size in the server's budget for batch
	// bodies before a byte is read.
	charge := s.maxBatchBody
	if n := c.Request.ContentLength; n >= 0 && n < charge {
		charge = n
	}
	if !s.batchBytes.TryAcquire(charge) {
		s.fail(c, errBatchesInFlight)
		return
	}
	defer s.batchBytes.Release(charge)
	body, err := s.bodyLimit(c, s.maxBatchBody)
	if err != nil {
		s.fail(c, err)
		return
	}
	var in struct {
		Entries []jsontext.Value `json:"entries"`
	}
	if err := strictjson.Unmarshal(body, &in); err != nil {
		s.fail(c, malformed(`the body must be {"entries": [<flattened JWS>, ...]}`))
		return
	}
	if len(in.Entries) == 0 || len(in.Entries) > ledger.MaxEntriesPerBatch {
		s.fail(c, malformed(fmt.Sprintf("a batch holds 1 to %d entries, got %d", ledger.MaxEntriesPerBatch, len(in.Entries))))
		return
	}
	// Every entry after the first costs the address a request, as if
	// sent alone; entries beyond its budget are refused unread.
	g := s.gate(c)
	budget, wait := s.byAddr.take(g.addr, len(in.Entries)-1, time.Now())
	out := make([]batchResult, len(in.Entries))
	var reqs []ledger.Signed
	var at []int
	for i, raw := range in.Entries {
		if i > budget {
			p := s.problem(c, &rateLimitedError{wait, "too many requests from this address"})
			out[i] = batchResult{Status: p.Status, Problem: &p}
			continue
		}
		// Parsed by the ledger, a few at a time, behind the gate.
		reqs, at = append(reqs, ledger.Signed{Raw: raw, Path: batchPath, Gate: g}), append(at, i)
	}
	if len(reqs) > 0 {
		res, err := s.ledger.AppendEntries(c, reqs)
		if err != nil {
			s.fail(c, err)
			return
		}
		for k, r := range res {
			out[at[k]] = s.batchAnswer(c, r)
		}
	}
	s.observeBatch(out)
	c.JSON(http.StatusOK, gin.H{"results": out})
}

func (s *Server) batchAnswer(c *gin.Context, r ledger.EntryResult) batchResult {
	if r.Err != nil {
		p := s.problem(c, r.Err)
		return batchResult{Status: p.Status, Problem: &p}
	}
	v := newAppendedView(r.Appended)
	status := http.StatusCreated
	if r.Appended.Existing {
		status = http.StatusOK
	}
	return batchResult{Status: status, Entry: &v}
}
