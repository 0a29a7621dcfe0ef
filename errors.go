package signet

import (
	"errors"
	"fmt"
)

// Errors that say what kind of mistake a record or request makes. A
// [*RuleError] wraps one of them (or an error of package keys or
// registry), so that callers tell a malformed request from a bad nonce
// with [errors.Is], and an HTTP server maps each to one status.
var (
	// ErrMalformed means a record, request or export line is not in the
	// one form the protocol allows.
	ErrMalformed = errors.New("signet: malformed")
	// ErrBadNonce means a signed request's nonce is missing or was
	// already used by another record.
	ErrBadNonce = errors.New("signet: bad nonce")
)

// Rule names one rule of the log, as numbered in docs/PROTOCOL.md
// ("Rules"): "R1" to "R26". [Rule.Name] gives its short name.
type Rule string

// The rules, in the order they are checked. R1 to R7 are about a record
// as it is stored and exported; R8 to R22 decide whether a signed request
// may become a record, and are run identically at admission and by every
// verifier; R23 to R26 are about an export's end and its checkpoint.
const (
	RuleFormat         Rule = "R1"  // an export line is one strict JSON object of the export format
	RuleKind           Rule = "R2"  // kind is one of the four kinds
	RuleTime           Rule = "R3"  // integrated_time is in its one canonical form
	RuleIndex          Rule = "R4"  // indexes run 0, 1, 2, ... with no gap
	RuleChain          Rule = "R5"  // prev_hash is the predecessor's hash; zero for record 0
	RuleHash           Rule = "R6"  // hash is RecordHash of the record's fields
	RuleShownPayload   Rule = "R7"  // the payload shown is the payload signed
	RuleJWS            Rule = "R8"  // the JWS parses under the JWS rules; operator records have none
	RuleURL            Rule = "R9"  // the protected url's path is the kind's one path
	RuleNonce          Rule = "R10" // the protected nonce is present
	RuleKeyHeader      Rule = "R11" // the protected header names the record's key the kind's way
	RuleEntryPayload   Rule = "R12" // an entry's payload is a strict JSON object
	RuleRegistration   Rule = "R13" // a registration's payload names the record's signer
	RuleKeyChange      Rule = "R14" // a key change's payload is the new key's valid inner JWS
	RuleRevocation     Rule = "R15" // a signed revocation's payload and url
	RuleOperator       Rule = "R16" // an operator revocation's form and payload
	RuleKeyState       Rule = "R17" // the signing key is the signer's and active at the index
	RuleSignature      Rule = "R18" // the JWS signature verifies under that key
	RuleNewSigner      Rule = "R19" // a registration's signer and key are new
	RuleNewKey         Rule = "R20" // an added key was never registered
	RuleRevokeTarget   Rule = "R21" // a revocation's key, the last-key rule and compromised_since
	RuleNonceUnique    Rule = "R22" // no two records carry one nonce
	RuleEnd            Rule = "R23" // an export ends with exactly one end line
	RuleCheckpoint     Rule = "R24" // the checkpoint is signed by the log key for its origin
	RuleTree           Rule = "R25" // the records' tree is the checkpoint's, or provably its prefix
	RuleExternalCpoint Rule = "R26" // a checkpoint held apart agrees with the export
)

// ruleNames are the short names of the rules, as the audit reports them.
var ruleNames = map[Rule]string{
	RuleFormat: "format", RuleKind: "kind", RuleTime: "time", RuleIndex: "index", RuleChain: "chain",
	RuleHash: "hash", RuleShownPayload: "payload", RuleJWS: "jws", RuleURL: "url", RuleNonce: "nonce",
	RuleKeyHeader: "key-header", RuleEntryPayload: "entry-payload", RuleRegistration: "registration",
	RuleKeyChange: "key-change", RuleRevocation: "revocation", RuleOperator: "operator-revocation",
	RuleKeyState: "key-state", RuleSignature: "signature", RuleNewSigner: "new-signer", RuleNewKey: "new-key",
	RuleRevokeTarget: "revoke-target", RuleNonceUnique: "nonce-unique", RuleEnd: "end",
	RuleCheckpoint: "checkpoint", RuleTree: "tree", RuleExternalCpoint: "external",
}

// Name returns the rule's short name, such as "url" for R9, or "" for a
// string that names no rule.
func (r Rule) Name() string { return ruleNames[r] }

// Rules returns every rule in order.
func Rules() []Rule {
	out := make([]Rule, 0, len(ruleNames))
	for i := 1; i <= len(ruleNames); i++ {
		out = append(out, Rule(fmt.Sprintf("R%d", i)))
	}
	return out
}

// RuleError is a broken rule: which one, and why. Err is the class of
// mistake ([ErrMalformed], [ErrBadNonce], or an error of package keys or
// registry) and Detail says what exactly, without key material or
// payload bytes. Error returns Detail prefixed with the rule, such as
// "R9 url: the protected url's path is /v1/signers, not /v1/entries".
type RuleError struct {
	Rule   Rule
	Err    error
	Detail string
}

// Error returns "<rule> <name>: <detail>".
func (e *RuleError) Error() string { return fmt.Sprintf("%s %s: %s", e.Rule, e.Rule.Name(), e.Detail) }

// Unwrap returns e.Err.
func (e *RuleError) Unwrap() error { return e.Err }

// broke returns a *RuleError for rule r of class err.
func broke(r Rule, err error, format string, args ...any) error {
	return &RuleError{Rule: r, Err: err, Detail: fmt.Sprintf(format, args...)}
}

// wrapRule returns err, a keys or registry error, as a break of rule r.
// Its message (which never holds key material) becomes the detail.
func wrapRule(r Rule, err error) error {
	if _, ok := errors.AsType[*RuleError](err); ok {
		return err
	}
	return &RuleError{Rule: r, Err: err, Detail: err.Error()}
}

// RuleOf returns the rule err breaks, or "" if err is not a [*RuleError].
func RuleOf(err error) Rule {
	if e, ok := errors.AsType[*RuleError](err); ok {
		return e.Rule
	}
	return ""
}

// trunc cuts s to 100 bytes for an error detail.
func trunc(s string) string {
	if len(s) > 100 {
		return s[:100] + "..."
	}
	return s
}
