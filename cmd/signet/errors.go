package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"

	"github.com/signet-ledger/signet"
	"github.com/signet-ledger/signet/audit"
	"github.com/signet-ledger/signet/client"
)

// Exit codes; see the command documentation.
const (
	ExitOK     = 0
	ExitError  = 1
	ExitUsage  = 2
	ExitVerify = 3
)

// usageError is a mistake in the command line.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{fmt.Sprintf(format, args...)}
}

// hintError is an error with a suggestion of what to do about it.
type hintError struct {
	err  error
	hint string
}

func (e *hintError) Error() string { return e.err.Error() }
func (e *hintError) Unwrap() error { return e.err }

func withHint(err error, hint string) error {
	if err == nil {
		return nil
	}
	return &hintError{err, hint}
}

// verifyFailed is a failed local check: exit code 3.
func verifyFailed(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{client.ErrVerification}, args...)...)
}

// ExitCode maps the error of [Run] to the exit code.
func ExitCode(err error) int {
	var ue *usageError
	var ae *audit.Error
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return ExitOK
	case errors.As(err, &ue), errors.Is(err, audit.ErrNoLogKey):
		return ExitUsage
	case errors.Is(err, client.ErrVerification), errors.As(err, &ae), isPolicyFailure(err):
		return ExitVerify
	}
	return ExitError
}

// isPolicyFailure reports whether err is a checkpoint refused by the
// policy: short of its quorum, or of a log key the policy does not name.
func isPolicyFailure(err error) bool {
	var qe *signet.QuorumError
	return errors.As(err, &qe) || errors.Is(err, signet.ErrPolicyLogKey)
}

// report writes err as one line, then a hint if there is one; a fork
// also gets both checkpoints.
func report(w io.Writer, err error) {
	msg := safe(strings.TrimPrefix(err.Error(), "signet: "))
	fmt.Fprintf(w, "signet: %s\n", msg)
	var fork *client.ForkError
	if errors.As(err, &fork) {
		fmt.Fprintf(w, "\nThe checkpoint seen before (size %d):\n%s\nThe checkpoint now (size %d):\n%s\n",
			fork.Old.Size, safeLines(string(fork.Old.Note)), fork.New.Size, safeLines(string(fork.New.Note)))
	}
	if h := hint(err); h != "" {
		fmt.Fprintf(w, "hint: %s\n", safe(h))
	}
}

// hint suggests what to do about err.
func hint(err error) string {
	var he *hintError
	if errors.As(err, &he) {
		return he.hint
	}
	var ue *usageError
	var fork *client.ForkError
	var ae *audit.Error
	switch {
	case errors.As(err, &ue):
		return "run signet help, or signet help COMMAND"
	case errors.Is(err, audit.ErrNoLogKey):
		return "pass --log-key with the log's verifier key, or run signet checkpoint against the server first to pin it"
	case errors.As(err, &fork):
		return "the log showed two histories: keep both checkpoints as evidence and report it to the log's operator"
	case errors.As(err, &ae):
		return "the export does not prove the log: see the record and check named above"
	case errors.Is(err, signet.ErrPolicyLogKey):
		return "the policy and the log key pinned (or --log-key) disagree: find out which is right before trusting either"
	case isPolicyFailure(err):
		return "the checkpoint lacks the cosignatures the policy needs: wait for the witnesses to cosign a newer one, or check --policy"
	case errors.Is(err, client.ErrVerification):
		return "do not trust this answer: the server's data does not check out locally"
	case isNetworkError(err):
		return "is signetd running there? set --server or SIGNET_SERVER"
	}
	return problemHint(err)
}

// isNetworkError reports whether err is a failure to reach the server. A
// local file's *fs.PathError also satisfies net.Error (it has Timeout), so
// only the errors of the network and of net/http's transport count.
func isNetworkError(err error) bool {
	var op *net.OpError
	var ue *url.Error
	return errors.As(err, &op) || errors.As(err, &ue)
}

// problemHint suggests what to do about a problem the server answered.
func problemHint(err error) string {
	var p *client.Problem
	if !errors.As(err, &p) {
		return ""
	}
	switch p.Name() {
	case "unauthorized":
		return "pass --admin-token-file (or SIGNET_ADMIN_TOKEN_FILE) to write as the operator, --token-file (or SIGNET_TOKEN_FILE) to read"
	case "unknownKey":
		return "register the key first (signet register --signer ID --key FILE), or pass the right --key"
	case "revokedKey":
		return "this key is revoked: sign with another active key of the signer"
	case "forbidden":
		return "the key belongs to another signer: check --signer and --key"
	case "conflict":
		return "the log already has this (signer id or key); pick another"
	case "notFound":
		return "check the index, signer id or kid"
	case "unavailable", "rateLimited":
		return "the server is busy or its database is down; retry later"
	case "malformed", "payloadTooLarge":
		return "the server refused the input; the detail above says why"
	}
	return ""
}
