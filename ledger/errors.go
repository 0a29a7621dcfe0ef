package ledger

import (
	"errors"
	"fmt"
	"github.com/signet-ledger/signet"
)

// Errors returned by the log. The api package maps each to one HTTP status
// and problem type; the wrapped detail is safe to show to the client.
var (
	ErrMalformed    = signet.ErrMalformed
	ErrBadNonce     = signet.ErrBadNonce
	ErrUnknownKey   = errors.New("ledger: unknown key")
	ErrNotFound     = errors.New("ledger: not found")
	ErrUnauthorized = errors.New("ledger: unauthorized")
	// ErrCorrupt means stored data is damaged: a server-side fault, never
	// the client's, answered as an internal error and logged.
	ErrCorrupt = errors.New("ledger: stored data is corrupt")
	// ErrUnavailable means the log cannot take the request now (the queue is
	// full or the database is down). Retry later: the HTTP layer answers 503
	// with a Retry-After header.
	ErrUnavailable = errors.New("ledger: unavailable")
)

func malformedf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrMalformed}, args...)...)
}

func badNonce(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrBadNonce}, args...)...)
}
