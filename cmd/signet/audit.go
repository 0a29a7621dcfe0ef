package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/signet-ledger/signet"
	"github.com/signet-ledger/signet/audit"
	"github.com/signet-ledger/signet/ledger"
)

var auditCmd = &command{
	name:     "audit",
	synopsis: "FILE|WITNESS_DIR [--log-key KEY] [--policy FILE] [--checkpoint NOTE] [--skip-checkpoint-signature] [--workers N] [--max-failures N]",
	short:    "verify an export offline: signatures, hashes, chain, tree, checkpoint",
	long: "Verify an export (signet export) offline, with no server: replay it from index 0, rebuilding the key " +
		"registry from its key records; check every index, chain link and record hash, every signature with the " +
		"key valid at its index, the shown payloads, the Merkle root against the checkpoint (or through the " +
		"consistency proof) and the checkpoint's signature with the log key: --log-key, else the key pinned for " +
		"the export's log by signet checkpoint. --checkpoint also checks a checkpoint kept apart, say one seen " +
		"earlier, against the export. Every failure is listed, up to --max-failures, with the rule it breaks, the " +
		"record's index and the line; exit 3. Given a folder, it audits the copy signet witness keeps there. With --policy, the export's checkpoint and the --checkpoint given must " +
		"meet the policy's witness quorum, and its log line (if any) must be the log key: a checkpoint that does not " +
		"is a failure naming the missing witnesses.",
	run: runAudit,
}

// auditView is signet audit's --json output.
type auditView struct {
	OK               bool    `json:"ok"`
	Records          int64   `json:"records"`
	Entries          int64   `json:"entries"`
	KeyEvents        int64   `json:"key_events"`
	Signers          int     `json:"signers"`
	Keys             int     `json:"keys"`
	RevokedKeys      int     `json:"revoked_keys"`
	Root             string  `json:"root"`
	CheckpointSize   int64   `json:"checkpoint_size,omitempty"`
	CheckpointSigned bool    `json:"checkpoint_signed"`
	ExternalSize     *int64  `json:"external_checkpoint_size,omitempty"`
	Seconds          float64 `json:"seconds"`
	RecordsPerSecond float64 `json:"records_per_second"`
	Error            string  `json:"error,omitempty"`
	FailedIndex      *int64  `json:"failed_index,omitempty"`
	FailedCheck      string  `json:"failed_check,omitempty"`
	// Failures lists every failure; the fields above describe the first.
	Failures []failureView `json:"failures,omitempty"`
	// Stopped is set when the audit stopped at --max-failures.
	Stopped bool `json:"stopped,omitempty"`
}

// failureView is one failure in signet audit's --json output; index is
// -1 for a failure of no single record.
type failureView struct {
	Rule   string `json:"rule"`
	Check  string `json:"check"`
	Index  int64  `json:"index"`
	Line   int64  `json:"line,omitempty"`
	Detail string `json:"detail"`
}

func runAudit(ctx context.Context, cmd *command, e *env, args []string) error {
	fs := cmd.flagSet(e)
	logKey := fs.String("log-key", "", "the log's signed-note verifier `KEY`, or a file holding it")
	cpFile := fs.String("checkpoint", "", "a signed checkpoint `NOTE` file of the same log to check the export against")
	skip := fs.Bool("skip-checkpoint-signature", false, "audit without a log key: everything but the checkpoints' signatures")
	workers := fs.Int("workers", 0, "verify signatures on `N` goroutines (default: one per core)")
	maxFailures := fs.Int("max-failures", 100, "stop after reporting `N` failures")
	policy := policyFlag(fs, e)
	pos, err := cmd.parse(e, fs, args)
	if err != nil {
		return err
	}
	if err := cmd.wantArgs(pos, 1, 1); err != nil {
		return err
	}
	if err := e.usePolicy(*policy); err != nil {
		return err
	}
	if e.policy != nil && *skip {
		return usagef("audit: --policy checks the checkpoints' signatures, which --skip-checkpoint-signature skips")
	}
	opts := audit.Options{SkipCheckpointSignature: *skip, Workers: *workers, MaxFailures: *maxFailures, Policy: e.policy}
	if *cpFile != "" {
		if opts.Checkpoint, err = os.ReadFile(*cpFile); err != nil {
			return err
		}
	}
	if opts.LogKey, err = e.auditLogKey(pos[0], *logKey, opts.Checkpoint); err != nil {
		return err
	}
	if opts.LogKey == "" && !*skip {
		return withHint(audit.ErrNoLogKey, "pass --log-key KEY (GET /v1/log/key gives it), or run signet checkpoint against the log first to pin it")
	}
	in, size, err := e.openAuditSource(pos[0]) // a file, or a witness's copy
	if err != nil {
		return err
	}
	defer in.Close()
	bar := e.newProgress("auditing", "records", size)
	opts.Progress = func(records, bytes int64) { bar.Set(bytes, records) }
	s, err := audit.Audit(ctx, in, opts)
	bar.Done()
	return e.auditResult(s, err)
}

// auditLogKey picks the log key: the flag, else for the origin of the
// checkpoint given apart or of the export's last line the policy's log
// key (which must be the one pinned: [env.policyLogKey]), else the key
// pinned.
func (e *env) auditLogKey(file, flagKey string, external []byte) (string, error) {
	if flagKey != "" {
		return parseLogKey(flagKey)
	}
	var origin string
	if external != nil {
		origin = ledger.CheckpointOrigin(external)
	} else if end, err := lastLine(file); err == nil {
		if _, w, err := signet.ParseExportLine(end); err == nil && w != nil {
			origin = ledger.CheckpointOrigin([]byte(w.Checkpoint))
		}
	}
	if origin == "" {
		return "", nil
	}
	if e.policy != nil {
		return e.policyLogKey(origin, "")
	}
	return e.pinnedKeyFor(origin)
}

// lastLine returns the last non-empty line of a regular file.
func lastLine(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		return nil, errors.New("not a regular file")
	}
	off := max(st.Size()-1<<20, 0)
	b := make([]byte, st.Size()-off)
	if _, err := f.ReadAt(b, off); err != nil && err != io.EOF {
		return nil, err
	}
	b = bytes.TrimRight(b, "\r\n")
	return b[bytes.LastIndexByte(b, '\n')+1:], nil
}

// auditResult prints the summary and turns a failure into the error.
func (e *env) auditResult(s *audit.Summary, err error) error {
	var ae *audit.Error
	if err != nil && !errors.As(err, &ae) {
		return err
	}
	v := auditView{OK: err == nil}
	if s != nil {
		v.Records, v.Entries, v.KeyEvents, v.Signers, v.Keys, v.RevokedKeys = s.Records, s.Entries, s.KeyEvents, s.Signers, s.Keys, s.Revoked
		v.Root, v.CheckpointSigned, v.Seconds, v.RecordsPerSecond = s.Root.String(), s.CheckpointSigned, s.Elapsed.Seconds(), s.Rate()
		if s.Checkpoint != nil {
			v.CheckpointSize = s.Checkpoint.Size
		}
		if s.External != nil {
			v.ExternalSize = &s.External.Size
		}
		for _, f := range s.Failures {
			v.Failures = append(v.Failures, failureView{string(f.Rule), string(f.Check), f.Index, f.Line, f.Reason})
		}
		v.Stopped = s.Stopped
	}
	if ae != nil {
		v.Error, v.FailedIndex, v.FailedCheck = ae.Error(), &ae.Index, string(ae.Check)
	}
	if perr := e.emit(v, func(w io.Writer) { printAudit(w, s, ae) }); perr != nil {
		return perr
	}
	return err
}

func printAudit(w io.Writer, s *audit.Summary, failed *audit.Error) {
	if failed != nil {
		printFailures(w, s, failed)
		return
	}
	fmt.Fprintf(w, "audit OK: %d records (%d entries, %d key events), %d signers, %d keys (%d revoked)\n",
		s.Records, s.Entries, s.KeyEvents, s.Signers, s.Keys, s.Revoked)
	fmt.Fprintf(w, "tree root    %s\n", s.Root)
	how := "signature checked with the log key"
	if !s.CheckpointSigned {
		how = "signature NOT checked (--skip-checkpoint-signature)"
	}
	fmt.Fprintf(w, "checkpoint   %s, size %d, %s\n", safe(s.Checkpoint.Origin), s.Checkpoint.Size, how)
	if s.External != nil {
		fmt.Fprintf(w, "checkpoint given apart (size %d) agrees with the export\n", s.External.Size)
	}
	fmt.Fprintf(w, "took %v: %.0f records/s\n", s.Elapsed.Round(time.Millisecond), s.Rate())
}

// printFailures lists every failure: rule, index, line and detail.
func printFailures(w io.Writer, s *audit.Summary, first *audit.Error) {
	if s == nil || len(s.Failures) == 0 {
		fmt.Fprintf(w, "audit FAILED: %s\n", safe(fmt.Sprint(first)))
		return
	}
	fmt.Fprintf(w, "audit FAILED after %d records: %d failures\n", s.Records, len(s.Failures))
	for _, f := range s.Failures {
		fmt.Fprintf(w, "  %-3s %-13s %s: %s\n", f.Rule, f.Check, safe(f.Where()), safe(f.Reason))
	}
	if s.Stopped {
		fmt.Fprintf(w, "stopped after %d failures (--max-failures): the rest of the export is unchecked\n", len(s.Failures))
	}
}
