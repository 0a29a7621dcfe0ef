package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/signet-ledger/signet/client"
)

var watchCmd = &command{
	name:     "watch",
	synopsis: "--signer ID [--once] [--expect-local] [--interval D] [--max-backoff D] [--batch N] [--log-key KEY] [--policy FILE]",
	short:    "follow the log, verify every new record, print those of one signer and flag those made elsewhere",
	long: "Follow the log from where the last watch of the signer stopped (its position is kept in the state dir, per log and signer): " +
		"fetch the latest checkpoint and trust it as signet checkpoint does (the pinned log key, consistent with the last one seen; " +
		"with --policy the newest witnessed checkpoint, which must meet the policy's quorum), export the records after the position up to it " +
		"and audit them with the rules signet audit applies, resumed from the position (from index 0 the first time), " +
		"their Merkle tree growing to the checkpoint's root. Then print each record of the signer: entries, registration, keys added (rotations) " +
		"and revocations, with --json as one object per line. With --expect-local, each record of the signer that this machine's journal " +
		"does not hold (submit, register, rotate-key and revoke-key write it) is flagged: a line on stderr, and exit 3. " +
		"With --once it checks up to the current checkpoint and exits; otherwise it polls every --interval, backing off exponentially " +
		"up to --max-backoff while the server cannot be reached, until SIGINT or SIGTERM, after which it exits 0, or 3 if it flagged anything. " +
		"A record or checkpoint that does not verify stops it with exit 3, the position left before it.",
	run: runWatch,
}

func runWatch(ctx context.Context, cmd *command, e *env, args []string) error {
	fs := cmd.flagSet(e)
	w := &watcher{e: e}
	fs.StringVar(&w.signer, "signer", "", "the signer `ID` to watch")
	once := fs.Bool("once", false, "check up to the current checkpoint and exit (for cron)")
	fs.BoolVar(&w.expectLocal, "expect-local", false, "flag every record of the signer that this machine's journal does not hold")
	interval := fs.Duration("interval", 30*time.Second, "poll the server every `D`")
	maxBackoff := fs.Duration("max-backoff", 5*time.Minute, "wait at most `D` between tries while the server cannot be reached")
	fs.Int64Var(&w.batch, "batch", 100000, "verify and save the position every `N` records")
	fs.StringVar(&w.logKey, "log-key", "", "pin the log's verifier `KEY` (or a file holding it) instead of trusting the server's on first use")
	policy := policyFlag(fs, e)
	pos, err := cmd.parse(e, fs, args)
	if err != nil {
		return err
	}
	if err := cmd.wantArgs(pos, 0, 0); err != nil {
		return err
	}
	switch {
	case w.signer == "":
		return usagef("watch: --signer is required")
	case *interval <= 0 || *maxBackoff < *interval || w.batch < 1:
		return usagef("watch: --interval must be positive, --max-backoff at least --interval, --batch at least 1")
	}
	if err := e.usePolicy(*policy); err != nil {
		return err
	}
	w.c = e.client()
	if *once {
		if err := w.pass(ctx); err != nil {
			return err
		}
		return w.verdict()
	}
	return w.follow(ctx, *interval, *maxBackoff)
}

// follow runs a pass every interval until ctx is done. A pass that
// fails to reach the server is tried again after a wait that doubles
// from interval up to maxBackoff; one that fails verification, or that
// the server refuses for want of access, ends it.
func (w *watcher) follow(ctx context.Context, interval, maxBackoff time.Duration) error {
	wait := interval
	for {
		err := w.pass(ctx)
		switch {
		case ctx.Err() != nil:
			return w.verdict()
		case err == nil:
			wait = interval
		case !transient(err):
			return err
		default:
			wait = min(wait*2, maxBackoff)
			fmt.Fprintf(w.e.sys.Stderr, "signet: watch: %s; trying again in %v\n", safe(err.Error()), wait)
		}
		if sleep(ctx, wait) != nil {
			return w.verdict()
		}
	}
}

// transient reports whether a pass that failed with err may succeed if
// tried again: not a failed check, a usage error or a refused access.
func transient(err error) bool {
	var p *client.Problem
	if errors.As(err, &p) && (p.Status == 401 || p.Status == 403) {
		return false
	}
	return ExitCode(err) == ExitError
}

// verdict is the outcome of a watch that verified all it read: exit 3
// if it flagged a record.
func (w *watcher) verdict() error {
	if w.flagged > 0 {
		return withHint(verifyFailed("%d records of signer %s were not made on this machine (see above)", w.flagged, w.signer),
			"someone else signed with the signer's key, or the operator acted on it: find out who; the next watch starts after these records")
	}
	return nil
}
