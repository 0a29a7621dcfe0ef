package api

import (
	"fmt"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
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
	entries, ok := batchEntries(body)
	if !ok {
		s.fail(c, malformed(`the body must be {"entries": [<flattened JWS>, ...]}`))
		return
	}
	if len(entries) == 0 || len(entries) > ledger.MaxEntriesPerBatch {
		s.fail(c, malformed(fmt.Sprintf("a batch holds 1 to %d entries, got %d", ledger.MaxEntriesPerBatch, len(entries))))
		return
	}
	// Every entry after the first costs the address a request, as if
	// sent alone; entries beyond its budget are refused unread.
	g := s.gate(c)
	budget, wait := s.byAddr.take(g.addr, len(entries)-1, time.Now())
	out := make([]batchResult, len(entries))
	var reqs []ledger.Signed
	var at []int
	for i, raw := range entries {
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
	writeBatch(c, out)
}

// batchEntries reads a batch body, {"entries": [...]}, strict JSON with
// no other member, in one pass, and returns its entries exactly as sent;
// "entries" null or absent is no entries. ok is false for anything else.
func batchEntries(body []byte) (entries [][]byte, ok bool) {
	var buf [2]strictjson.Member
	ms, err := strictjson.CheckMembers(body, strictjson.MaxDepth, buf[:0])
	if err != nil {
		return nil, false
	}
	for _, m := range ms {
		switch {
		case string(m.Name) != "entries":
			return nil, false
		case m.Kind == '[':
			entries = strictjson.Elements(m.Raw)
		case m.Kind != 'n':
			return nil, false
		}
	}
	return entries, true
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
