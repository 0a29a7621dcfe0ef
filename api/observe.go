package api

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/signet-ledger/signet/ledger"
)

// Observer is told of every answer the server writes, for metrics. Its
// methods are called on the request path from many goroutines at once:
// they must be safe for concurrent use and return at once (an atomic add
// or a histogram observation).
type Observer interface {
	// Answered is called once for each request, when its handlers are
	// done, with the route template that matched (such as
	// "/v1/entries/:index"), the request's method, the status answered and
	// how long it took. Both route and method are "" when no route
	// matched: then the client chose them.
	Answered(method, route string, status int, d time.Duration)
	// Appended is called once for each append request, and once for each
	// entry of a batch (a batch refused whole counts once), with the kind
	// of record asked for and the outcome: "appended", "existing" (an
	// identical resubmission) or the problem type it was refused with.
	Appended(kind ledger.Kind, outcome string)
	// Problem is called with the type name of every problem the server
	// answers, each entry's of a batch included ("badNonce",
	// "rateLimited", ...: the names of the error table in problem.go).
	Problem(name string)
}

// Outcomes of an append other than a problem type.
const (
	OutcomeAppended = "appended"
	OutcomeExisting = "existing"
)

// nopObserver is the Observer of a Server without one.
type nopObserver struct{}

func (nopObserver) Answered(string, string, int, time.Duration) {}
func (nopObserver) Appended(ledger.Kind, string)                {}
func (nopObserver) Problem(string)                              {}

// appendRoutes are the routes that append a record, by the kind each asks
// for. The batch route counts its entries itself ([Server.observeBatch]).
var appendRoutes = map[string]ledger.Kind{
	"/v1/entries":                          ledger.KindEntry,
	batchRoute:                             ledger.KindEntry,
	"/v1/signers":                          ledger.KindRegistered,
	"/v1/signers/:signer/keys":             ledger.KindKeyAdded,
	"/v1/signers/:signer/keys/:kid/revoke": ledger.KindKeyRevoked,
}

// batchRoute is the batch endpoint's route template.
const batchRoute = "/v1/entries:batch"

// problemKey is the gin context key of the problem type a request was
// answered with.
const problemKey = "signet.problem"

// observe tells the Observer of the request c, answered after d.
func (s *Server) observe(c *gin.Context, d time.Duration) {
	route, method, status := c.FullPath(), c.Request.Method, c.Writer.Status()
	if route == "" {
		method = ""
	}
	s.obs.Answered(method, route, status, d)
	kind, ok := appendRoutes[route]
	if !ok || method != http.MethodPost || route == batchRoute && status == http.StatusOK {
		return
	}
	outcome := c.GetString(problemKey)
	switch {
	case status == http.StatusCreated:
		outcome = OutcomeAppended
	case status == http.StatusOK:
		outcome = OutcomeExisting
	case outcome == "":
		outcome = ptInternal.name
	}
	s.obs.Appended(kind, outcome)
}

// observeBatch tells the Observer of each entry of a batch's answer.
func (s *Server) observeBatch(out []batchResult) {
	for _, r := range out {
		switch {
		case r.Problem != nil:
			s.obs.Appended(ledger.KindEntry, r.Problem.Type[len(problemURN):])
		case r.Status == http.StatusCreated:
			s.obs.Appended(ledger.KindEntry, OutcomeAppended)
		default:
			s.obs.Appended(ledger.KindEntry, OutcomeExisting)
		}
	}
}
