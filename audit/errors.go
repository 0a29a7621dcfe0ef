package audit

import (
	"errors"
	"fmt"
	"github.com/signet-ledger/signet"
)

// Check names the check an export failed.
type Check string

// The checks of an audit, in the order each record meets them.
const (
	// CheckFormat: a line is not a record or end line of the export format.
	CheckFormat Check = "format"
	// CheckIndex: the indexes do not run 0, 1, 2, ... with no gap: a line
	// was dropped, duplicated or moved, or the export does not start at 0.
	CheckIndex Check = "index"
	// CheckChain: a record's prev_hash is not its predecessor's hash.
	CheckChain Check = "chain"
	// CheckHash: a record's hash is not the hash of its fields.
	CheckHash Check = "hash"
	// CheckRegistry: the record breaks the key registry's rules: its key is
	// unknown, revoked, or another signer's, or a key event is invalid.
	CheckRegistry Check = "registry"
	// CheckSignature: the record's JWS does not parse or verify with the
	// key its kid named at its index.
	CheckSignature Check = "signature"
	// CheckPayload: the payload shown for reading is not the signed one.
	CheckPayload Check = "payload"
	// CheckEnd: the end line is missing (the export is truncated), or
	// something follows it.
	CheckEnd Check = "end"
	// CheckCheckpoint: the export's checkpoint is not signed by the log
	// key, or is not a checkpoint.
	CheckCheckpoint Check = "checkpoint"
	// CheckTree: the Merkle tree of the records does not match the
	// checkpoint: another root, or a consistency proof that fails.
	CheckTree Check = "tree"
	// CheckExternal: the checkpoint held outside the export
	// ([Options.Checkpoint]) does not verify, or contradicts the export.
	CheckExternal Check = "external"
)

// Error is the first failure an audit found: the failing record's index
// (-1 when the failure is not one record's: the end line, the tree, a
// checkpoint), the line of the export, which check failed and why.
type Error struct {
	Index int64
	Line  int64 // 1-based; 0 when no line is to blame (a checkpoint given apart)
	// Rule is the rule of docs/PROTOCOL.md the export breaks.
	Rule   signet.Rule
	Check  Check
	Reason string
	Err    error // the underlying error, if any
}

// Error returns "audit: record 12 (line 13): signature: ...".
func (e *Error) Error() string {
	where := "export"
	switch {
	case e.Index >= 0:
		where = fmt.Sprintf("record %d (line %d)", e.Index, e.Line)
	case e.Line > 0:
		where = fmt.Sprintf("line %d", e.Line)
	}
	return fmt.Sprintf("audit: %s: %s: %s", where, e.Check, e.Reason)
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// before reports whether e comes before f in the export: records by
// index, then failures that belong to no record.
func (e *Error) before(f *Error) bool {
	if f == nil {
		return true
	}
	if e.Index < 0 || f.Index < 0 {
		return f.Index < 0 && e.Index >= 0
	}
	return e.Index < f.Index
}

// ErrNoLogKey means [Options] has no LogKey to check the checkpoint's
// signature with, and does not say to skip that check. It is returned
// before reading anything.
var ErrNoLogKey = errors.New("audit: no log key to check the checkpoint's signature with")

// checkRule is the rule each check's failures break, where one rule
// covers the whole check.
var checkRule = map[Check]signet.Rule{
	CheckFormat: signet.RuleFormat, CheckIndex: signet.RuleIndex, CheckChain: signet.RuleChain,
	CheckHash: signet.RuleHash, CheckPayload: signet.RuleShownPayload, CheckEnd: signet.RuleEnd,
	CheckCheckpoint: signet.RuleCheckpoint, CheckTree: signet.RuleTree, CheckExternal: signet.RuleExternalCpoint,
}

// withRule sets e.Rule: the rule of the underlying error if it names one,
// or the rule of e's check.
func withRule(e *Error) *Error {
	if e == nil {
		return nil
	}
	if r := signet.RuleOf(e.Err); r != "" {
		e.Rule = r
	} else if e.Rule == "" {
		e.Rule = checkRule[e.Check]
	}
	return e
}
