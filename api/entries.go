package api

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"
	"github.com/signet-ledger/signet/ledger"
)

// postEntry appends a signed journal entry: 201 with the record, or 200
// with the existing record when the same JWS was already appended.
func (s *Server) postEntry(c *gin.Context) {
	req, err := s.signed(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	a, err := s.ledger.AppendEntry(c, req)
	if err != nil {
		s.fail(c, err)
		return
	}
	v := newAppendedView(a)
	s.location(c, a)
	writeAppended(c, appendStatus(a), &v)
}

// location sets the Location of an append's answer.
func (s *Server) location(c *gin.Context, a *ledger.Appended) {
	c.Header("Location", "/v1/entries/"+strconv.FormatInt(a.Record.Index, 10))
}

// appendStatus is 201, or 200 for a resubmission.
func appendStatus(a *ledger.Appended) int {
	if a.Existing {
		return http.StatusOK
	}
	return http.StatusCreated
}

// created writes an append's answer: 201 and the record's Location, or 200
// for a resubmission.
func (s *Server) created(c *gin.Context, a *ledger.Appended, body any) {
	s.location(c, a)
	c.JSON(appendStatus(a), body)
}

func (s *Server) getEntry(c *gin.Context) {
	i, err := parseIndex("index", c.Param("index"))
	if err != nil {
		s.fail(c, err)
		return
	}
	r, err := s.ledger.Record(c, i)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, newRecordView(r, true))
}

// listEntries pages through the log: ?signer=&kind=&match=&after=&limit=.
func (s *Server) listEntries(c *gin.Context) {
	q := ledger.Query{Signer: c.Query("signer"), After: -1, Limit: 100}
	var err error
	if m, ok := c.GetQuery("match"); ok {
		if q.Match, err = ledger.ParseMatch([]byte(m)); err != nil {
			s.fail(c, err)
			return
		}
	}
	if k := c.Query("kind"); k != "" {
		if q.Kind, err = ledger.ParseKind(k); err != nil {
			s.fail(c, err)
			return
		}
	}
	if q.After, err = queryIndex(c, "after", -1); err != nil {
		s.fail(c, err)
		return
	}
	if q.Limit, err = queryLimit(c, 100, 1000); err != nil {
		s.fail(c, err)
		return
	}
	recs, err := s.ledger.Records(c, q)
	if err != nil {
		s.fail(c, err)
		return
	}
	out := struct {
		Entries []recordView `json:"entries"`
		Next    *string      `json:"next"`
	}{Entries: []recordView{}}
	for _, r := range recs {
		out.Entries = append(out.Entries, newRecordView(r, true))
	}
	if len(recs) == q.Limit {
		next := strconv.FormatInt(recs[len(recs)-1].Index, 10)
		out.Next = &next
	}
	c.JSON(http.StatusOK, out)
}

// queryLimit reads the query parameter limit, def if absent; it must be
// between 1 and max.
func queryLimit(c *gin.Context, def, max int) (int, error) {
	l, ok := c.GetQuery("limit")
	if !ok {
		return def, nil
	}
	n, err := parseIndex("limit", l)
	if err != nil || n < 1 || n > int64(max) {
		return 0, malformed(fmt.Sprintf("limit must be between 1 and %d", max))
	}
	return int(n), nil
}

func (s *Server) verify(c *gin.Context) {
	s.verifyIndex(c, c.Param("index"))
}

// verifyLegacy is the 2017 design's route, GET /verify?id=N.
func (s *Server) verifyLegacy(c *gin.Context) {
	s.verifyIndex(c, c.Query("id"))
}

func (s *Server) verifyIndex(c *gin.Context, idx string) {
	i, err := parseIndex("index", idx)
	if err != nil {
		s.fail(c, err)
		return
	}
	v, err := s.ledger.Verify(c, i)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, newVerifyView(v))
}
