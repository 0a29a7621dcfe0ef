package main

import (
	"context"
	"fmt"
	"io"
)

var checkpointCmd = &command{
	name:     "checkpoint",
	synopsis: "[--log-key KEY] [--policy FILE]",
	short:    "fetch the latest checkpoint, check it against the pinned key and the last one seen",
	long: "Fetch the latest checkpoint, verify its signature with the log key pinned for its log " +
		"(pinning the server's key on first use, or KEY), and prove it consistent with the last checkpoint " +
		"this client saw of that log, which it then remembers. An inconsistent checkpoint is a fork: " +
		"both are printed and signet exits 3. With --policy (a c2sp.org/tlog-policy file), the checkpoint must also " +
		"meet the policy's quorum of witness cosignatures, and the policy's log key must be the one pinned: " +
		"otherwise signet names the missing witnesses and exits 3.",
	run: runCheckpoint,
}

// checkpointView is signet checkpoint's --json output.
type checkpointView struct {
	Origin       string `json:"origin"`
	Size         int64  `json:"size"`
	Root         string `json:"root"`
	LogKey       string `json:"log_key"`
	PinnedNow    bool   `json:"pinned_now"`
	PreviousSize *int64 `json:"previous_size,omitempty"`
	Checkpoint   string `json:"checkpoint"`
	Witnesses    string `json:"witnesses"`
}

func runCheckpoint(ctx context.Context, cmd *command, e *env, args []string) error {
	fs := cmd.flagSet(e)
	logKey := fs.String("log-key", "", "pin the log's verifier `KEY` (or a file holding it) instead of trusting the server's on first use")
	policy := policyFlag(fs, e)
	pos, err := cmd.parse(e, fs, args)
	if err != nil {
		return err
	}
	if err := cmd.wantArgs(pos, 0, 0); err != nil {
		return err
	}
	if err := e.usePolicy(*policy); err != nil {
		return err
	}
	t, err := e.trustedCheckpoint(ctx, e.client(), *logKey)
	if err != nil {
		return err
	}
	if err := e.checkQuorum(t.CP.Note); err != nil {
		return err
	}
	v := checkpointView{Origin: t.CP.Origin, Size: t.CP.Size, Root: t.CP.Root.String(), LogKey: t.LogKey,
		PinnedNow: t.PinnedAt, Checkpoint: string(t.CP.Note), Witnesses: e.witnessWords(t.CP.Note)}
	if t.Previous != nil {
		v.PreviousSize = &t.Previous.Size
	}
	return e.emit(v, func(w io.Writer) {
		fmt.Fprintf(w, "log      %s\nsize     %d\nroot     %s\nlog key  %s\nstatus   %s\nwitness  %s\n",
			safe(v.Origin), v.Size, v.Root, safe(keyName(t.LogKey)), trustWords(t), safe(v.Witnesses))
		if t.PinnedAt {
			fmt.Fprintf(w, "pinned   %s\n", safe(t.LogKey))
		}
	})
}
