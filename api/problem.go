package api

import (
	"context"
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/signet-ledger/signet/keys"
	"github.com/signet-ledger/signet/ledger"
	"github.com/signet-ledger/signet/registry"
)

// Problem is an RFC 9457 problem detail. Type is "urn:signet:error:" and
// one of the names below.
type Problem struct {
	Type     string `json:"type"`
	Title    string `json:"title"`
	Status   int    `json:"status"`
	Detail   string `json:"detail,omitempty"`
	Instance string `json:"instance,omitempty"` // the request id
}

// problemURN prefixes every problem type's name.
const problemURN = "urn:signet:error:"

// problemType is one row of the error table: a name and its status.
type problemType struct {
	name   string
	status int
	title  string
}

var (
	ptMalformed       = problemType{"malformed", 400, "The request is malformed"}
	ptBadNonce        = problemType{"badNonce", 400, "The nonce is missing, expired, forged or used"}
	ptBadSignature    = problemType{"badSignature", 400, "The JWS signature does not verify"}
	ptBadAlgorithm    = problemType{"badSignatureAlgorithm", 400, "The JWS algorithm is not EdDSA or Ed25519"}
	ptUnknownKey      = problemType{"unknownKey", 400, "No registered key has this kid"}
	ptUnauthorized    = problemType{"unauthorized", 401, "A valid bearer token is required"}
	ptRevokedKey      = problemType{"revokedKey", 403, "The key is revoked"}
	ptForbidden       = problemType{"forbidden", 403, "The key may not act for this signer"}
	ptNotFound        = problemType{"notFound", 404, "Not found"}
	ptMethod          = problemType{"methodNotAllowed", 405, "Method not allowed"}
	ptConflict        = problemType{"conflict", 409, "The request conflicts with the log"}
	ptTooLarge        = problemType{"payloadTooLarge", 413, "The request body or payload is too large"}
	ptUnsupportedType = problemType{"unsupportedMediaType", 415, "Unsupported content type"}
	ptRateLimited     = problemType{"rateLimited", 429, "Too many requests; honour Retry-After"}
	ptUnavailable     = problemType{"unavailable", 503, "The log cannot take requests now; retry later"}
	ptInternal        = problemType{"internal", 500, "Internal error"}
)

// errorTable maps domain errors to problem types, first match wins. It is
// the only place that decides an error's HTTP status.
var errorTable = []struct {
	err error
	pt  problemType
}{
	{keys.ErrBadAlgorithm, ptBadAlgorithm},
	{keys.ErrBadSignature, ptBadSignature},
	{keys.ErrMalformed, ptMalformed},
	{keys.ErrBadKey, ptMalformed},
	{ledger.ErrMalformed, ptMalformed},
	{ledger.ErrPayloadTooLarge, ptTooLarge},
	{ledger.ErrBadNonce, ptBadNonce},
	{ledger.ErrUnknownKey, ptUnknownKey},
	{ledger.ErrUnauthorized, ptUnauthorized},
	{ledger.ErrNotFound, ptNotFound},
	{ledger.ErrUnavailable, ptUnavailable},
	{registry.ErrInvalidSignerID, ptMalformed},
	{registry.ErrInvalidRevocation, ptMalformed},
	{registry.ErrUnknownKey, ptUnknownKey},
	{registry.ErrUnknownSigner, ptNotFound},
	{registry.ErrRevokedKey, ptRevokedKey},
	{registry.ErrWrongSigner, ptForbidden},
	{registry.ErrSignerExists, ptConflict},
	{registry.ErrKeyExists, ptConflict},
	{registry.ErrAlreadyRevoked, ptConflict},
	{registry.ErrLastKey, ptConflict},
	{errUnsupportedType, ptUnsupportedType},
	{errTooLarge, ptTooLarge},
	{errMethod, ptMethod},
	{errRateLimited, ptRateLimited},
	{errBatchesInFlight, ptUnavailable},
	{context.DeadlineExceeded, ptUnavailable},
	{context.Canceled, ptUnavailable},
}

var (
	errUnsupportedType = errors.New("api: unsupported content type")
	errTooLarge        = errors.New("api: request body too large")
	errMethod          = errors.New("api: method not allowed")
	errRateLimited     = errors.New("api: rate limited")
	// errBatchesInFlight: the batch does not fit in the server's budget
	// of batch bytes in flight (Config.BatchBytesInFlight).
	errBatchesInFlight = errors.New("api: too many batch bytes in flight")
)

// fail writes err as a problem and stops the request.
func (s *Server) fail(c *gin.Context, err error) {
	p := s.problem(c, err)
	var rl *rateLimitedError
	switch {
	case errors.As(err, &rl):
		c.Header("Retry-After", retryAfter(rl.wait))
	case p.Status == http.StatusServiceUnavailable:
		c.Header("Retry-After", "1")
	}
	c.Header("Content-Type", "application/problem+json")
	c.AbortWithStatusJSON(p.Status, p)
}

// problem is [Server.Problem] for the request c, whose problem type it
// keeps for the Observer (see observe.go).
func (s *Server) problem(c *gin.Context, err error) Problem {
	p := s.Problem(requestID(c), err)
	c.Set(problemKey, p.Type[len(problemURN):])
	return p
}

// Problem turns err into a Problem by the error table, for the request
// with id requestID. An error the table does not know is a bug: it is
// logged in full and the client sees only "internal error".
// Unavailability is logged and given a fixed detail. Pages mounted on the
// server ([Server.Mount]) answer their errors by it too.
func (s *Server) Problem(requestID string, err error) Problem {
	pt, detail := ptInternal, "internal error"
	for _, row := range errorTable {
		if errors.Is(err, row.err) {
			pt, detail = row.pt, err.Error()
			break
		}
	}
	switch pt.status {
	case http.StatusInternalServerError:
		s.log.Error("internal error", "request_id", requestID, "err", err)
	case http.StatusServiceUnavailable:
		s.log.Warn("unavailable", "request_id", requestID, "err", err)
		detail = "the log cannot take requests now; retry after the Retry-After delay"
	}
	s.obs.Problem(pt.name)
	return Problem{Type: problemURN + pt.name, Title: pt.title, Status: pt.status,
		Detail: detail, Instance: requestID}
}
