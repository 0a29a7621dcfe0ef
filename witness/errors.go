package witness

import (
	"errors"
	"fmt"
	"net/http"
)

// The outcomes of an add-checkpoint other than a cosignature. [StatusOf]
// maps each to the HTTP status c2sp.org/tlog-witness gives it.
var (
	// ErrMalformed: the body is not an add-checkpoint body, its
	// checkpoint is not a checkpoint, or its old size exceeds the
	// checkpoint's size (400).
	ErrMalformed = errors.New("witness: malformed request")
	// ErrUnknownLog: no configured log has the checkpoint's origin (404).
	ErrUnknownLog = errors.New("witness: unknown log")
	// ErrBadSignature: the checkpoint carries no valid signature of the
	// log's key, or a signature line naming that key fails (403).
	ErrBadSignature = errors.New("witness: the checkpoint is not signed by the log's key")
	// ErrInconsistent: the checkpoint contradicts what the witness holds:
	// the proof does not verify, the roots differ, the log's records
	// break a rule of the log or do not rebuild the checkpoint's root
	// (422). It comes as a [*RefusedError].
	ErrInconsistent = errors.New("witness: inconsistent with what the witness holds")
	// ErrBehind: the witness could not fetch and verify the log's records
	// up to the checkpoint in the time it allows a request (503, with
	// Retry-After); it goes on in the background. The spec has no "try
	// later" status; a log treats 503 as a transient failure.
	ErrBehind = errors.New("witness: the log's records up to the checkpoint are not verified yet")
)

// ConflictError is an add-checkpoint whose old size is not the size of
// the latest checkpoint the witness cosigned for the log (409): Size is
// that size, which the answer's text/x.tlog.size body states.
type ConflictError struct{ Size int64 }

func (e *ConflictError) Error() string {
	return fmt.Sprintf("witness: the old size is not %d, the size of the latest cosigned checkpoint", e.Size)
}

// Refusal kinds: why a [*RefusedError] refused a checkpoint.
const (
	RefusedProof   = "proof"   // the consistency proof does not verify against the cosigned checkpoint
	RefusedRoot    = "root"    // same size as the cosigned checkpoint, another root; or the empty tree with a root that is not the empty hash
	RefusedFork    = "fork"    // the root differs from the one the witness's copy of the log has at that size
	RefusedRecords = "records" // the log's records break a rule of the log (see Rule)
	RefusedExport  = "export"  // the log's export does not rebuild the checkpoint's root, or its end line does not verify
)

// RefusedError is a checkpoint the witness refused because it is
// inconsistent with what it holds, with the evidence it kept. It wraps
// [ErrInconsistent] and, for refused records, the [*signet.RuleError]
// they broke.
type RefusedError struct {
	Origin string
	Kind   string // one of the Refused* constants
	Reason string
	// Evidence is the folder under the state dir holding the evidence:
	// both checkpoints and the proof, or the offending export lines.
	// Empty if none was kept (the request was not signed by the log).
	Evidence string
	Err      error // the rule broken, for RefusedRecords
}

func (e *RefusedError) Error() string {
	s := fmt.Sprintf("witness: %s: refused (%s): %s", e.Origin, e.Kind, e.Reason)
	if e.Evidence != "" {
		s += "; evidence in " + e.Evidence
	}
	return s
}

func (e *RefusedError) Unwrap() []error {
	if e.Err != nil {
		return []error{ErrInconsistent, e.Err}
	}
	return []error{ErrInconsistent}
}

// StatusOf returns the HTTP status of an add-checkpoint outcome: 200 for
// nil, 400, 403, 404, 409, 422 and 503 for the errors above, 500 for
// anything else.
func StatusOf(err error) int {
	switch {
	case err == nil:
		return http.StatusOK
	case errors.Is(err, ErrMalformed):
		return http.StatusBadRequest
	case errors.Is(err, ErrUnknownLog):
		return http.StatusNotFound
	case errors.Is(err, ErrBadSignature):
		return http.StatusForbidden
	case errors.As(err, new(*ConflictError)):
		return http.StatusConflict
	case errors.Is(err, ErrInconsistent):
		return http.StatusUnprocessableEntity
	case errors.Is(err, ErrBehind):
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// trunc shortens s for an error message.
func trunc(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}
