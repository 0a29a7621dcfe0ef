package api

import (
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/signet-ledger/signet/internal/strictjson"
	"github.com/signet-ledger/signet/keys"
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
	out := make([]batchResult, len(in.Entries))
	var reqs []ledger.Signed
	var at []int
	for i, raw := range in.Entries {
		j, err := keys.ParseFlattened(raw)
		if err == nil && j.Header.Kid != "" {
			err = s.limitKID(j.Header.Kid)
		}
		if err != nil {
			p := s.problem(c, err)
			out[i] = batchResult{Status: p.Status, Problem: &p}
			continue
		}
		reqs, at = append(reqs, ledger.Signed{JWS: j, Path: batchPath}), append(at, i)
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
