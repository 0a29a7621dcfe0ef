package audit

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/signet-ledger/signet"
)

// Check is the short name of the rule an export broke, [signet.Rule.Name]
// of [Error.Rule]: "format", "index", "key-state", "signature", and so on.
type Check string

// The checks an audit makes itself, around the rules of package signet.
const (
	CheckFormat     Check = "format"     // R1: a line is not a record or end line of the export format
	CheckIndex      Check = "index"      // R4: a line was dropped, duplicated or moved
	CheckChain      Check = "chain"      // R5: a record's prev_hash is not its predecessor's hash
	CheckHash       Check = "hash"       // R6: a record's hash is not the hash of its fields
	CheckSignature  Check = "signature"  // R18: the JWS does not verify with the key its kid named
	CheckPayload    Check = "payload"    // R7: the payload shown for reading is not the signed one
	CheckEnd        Check = "end"        // R23: the end line is missing, or something follows it
	CheckCheckpoint Check = "checkpoint" // R24: the checkpoint is not signed by the log key
	CheckTree       Check = "tree"       // R25: the records' Merkle tree does not match the checkpoint
	CheckExternal   Check = "external"   // R26: the checkpoint held apart contradicts the export
)

// Error is one failure an audit found: the failing record's index (-1
// when the failure is not one record's: the end line, the tree, a
// checkpoint), the line of the export, the rule broken and why.
type Error struct {
	Index int64
	Line  int64 // 1-based; 0 when no line is to blame (a checkpoint given apart)
	// Rule is the rule of docs/PROTOCOL.md the export breaks.
	Rule   signet.Rule
	Check  Check // Rule.Name()
	Reason string
	Err    error // the underlying error, if any
}

// Where says where the failure is: "record 12 (line 13)", "line 14", or
// "export" when no line is to blame.
func (e *Error) Where() string {
	switch {
	case e.Index >= 0:
		return fmt.Sprintf("record %d (line %d)", e.Index, e.Line)
	case e.Line > 0:
		return fmt.Sprintf("line %d", e.Line)
	}
	return "export"
}

// Error returns "audit: record 12 (line 13): R18 signature: ...".
func (e *Error) Error() string {
	return fmt.Sprintf("audit: %s: %s %s: %s", e.Where(), e.Rule, e.Check, e.Reason)
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// ErrNoLogKey means [Options] has no LogKey to check the checkpoint's
// signature with, and does not say to skip that check. It is returned
// before reading anything.
var ErrNoLogKey = errors.New("audit: no log key to check the checkpoint's signature with")

// failure returns a break of rule r by the record at index on line.
func failure(r signet.Rule, index, line int64, err error, format string, args ...any) *Error {
	return &Error{Index: index, Line: line, Rule: r, Check: Check(r.Name()), Reason: fmt.Sprintf(format, args...), Err: err}
}

// ruleFailure returns err, a [*signet.RuleError] of the record at index
// on line, as a failure. An [*signet.IndexedError] belongs to the record
// it names: its line is set to -1, to be looked up.
func ruleFailure(index, line int64, err error) *Error {
	if ie, ok := errors.AsType[*signet.IndexedError](err); ok && ie.Index != index {
		index, line, err = ie.Index, -1, ie.Err
	} else if ok {
		err = ie.Err
	}
	re, ok := errors.AsType[*signet.RuleError](err)
	if !ok {
		return failure(signet.RuleFormat, index, line, err, "%v", err)
	}
	return failure(re.Rule, index, line, err, "%s", re.Detail)
}

// failures collects the failures of an audit, from the reading goroutine
// and the workers.
type failures struct {
	mu   sync.Mutex
	list []*Error
	n    atomic.Int64
}

func (f *failures) add(e *Error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.list = append(f.list, e)
	f.n.Store(int64(len(f.list)))
}

func (f *failures) len() int64 { return f.n.Load() }

// sorted returns the failures in the export's order: by line, failures
// no line is to blame for last, a record's before the end line's.
func (f *failures) sorted() []*Error {
	f.mu.Lock()
	defer f.mu.Unlock()
	line := func(e *Error) int64 {
		if e.Line <= 0 {
			return math.MaxInt64
		}
		return e.Line
	}
	index := func(e *Error) int64 {
		if e.Index < 0 {
			return math.MaxInt64
		}
		return e.Index
	}
	slices.SortStableFunc(f.list, func(a, b *Error) int {
		return cmp.Or(cmp.Compare(line(a), line(b)), cmp.Compare(index(a), index(b)))
	})
	return slices.Clone(f.list)
}
