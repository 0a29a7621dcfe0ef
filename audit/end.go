package audit

import (
	"errors"
	"strings"

	"github.com/signet-ledger/signet"
)

// finish checks the end line against the replayed tree: the checkpoint's
// signature, its root (directly, or through the consistency proof), and
// the checkpoint held apart, if any. With a hole in the records, the
// tree is not the log's and is not compared.
func (a *auditor) finish() {
	if a.end == nil {
		a.fails.add(ruleFailure(-1, a.line, signet.NoEndLine(a.tree.size)))
		return
	}
	end, n, root := a.end, a.tree.size, a.tree.root()
	if err := end.CheckTreeSize(n); err != nil && !a.holes {
		a.fails.add(ruleFailure(-1, a.endLine, err))
		return
	}
	origin := a.opts.Origin
	if origin == "" && a.external != nil {
		origin = a.external.Origin
	}
	cp, err := a.openCheckpoint([]byte(end.Checkpoint), origin)
	if err != nil {
		if refusedByPolicy(err) {
			a.fails.add(failure(signet.RuleCheckpoint, -1, a.endLine, err, "the policy refuses the checkpoint: %s", strings.TrimPrefix(err.Error(), "signet: ")))
		} else {
			a.fails.add(failure(signet.RuleCheckpoint, -1, a.endLine, err, "the checkpoint does not verify with the log key %s: %v", keyName(a.opts.LogKey), err))
		}
		return
	}
	a.sum.Checkpoint, a.sum.CheckpointSigned = cp, !a.opts.SkipCheckpointSignature
	if a.holes {
		return
	}
	if err := signet.CheckTree(cp, n, root, end.Consistency); err != nil {
		a.fails.add(ruleFailure(-1, a.endLine, err))
		return
	}
	if e := a.checkExternal(cp, n); e != nil {
		a.fails.add(e)
	}
}

// checkExternal relates the checkpoint held apart to the export.
func (a *auditor) checkExternal(cp *signet.Checkpoint, n int64) *Error {
	ext := a.external
	if ext == nil {
		return nil
	}
	fail := func(format string, args ...any) *Error {
		return failure(signet.RuleExternalCpoint, -1, 0, nil, format, args...)
	}
	switch {
	case ext.Origin != cp.Origin:
		return fail("the checkpoint given apart is of log %q, the export of %q", ext.Origin, cp.Origin)
	case ext.Size == 0:
		return nil
	case ext.Size <= n && *a.extRoot != ext.Root:
		return fail("fork: the checkpoint given apart has root %s for the first %d records, the export %s", ext.Root, ext.Size, *a.extRoot)
	case ext.Size <= n:
		return nil
	case ext.Size == cp.Size && ext.Root != cp.Root:
		return fail("fork: the checkpoint given apart and the export's checkpoint have different roots for %d records", ext.Size)
	case ext.Size == cp.Size:
		return nil
	}
	return fail("the checkpoint given apart is of %d records, beyond the %d exported and the export's checkpoint (%d): export the log up to it to compare",
		ext.Size, n, cp.Size)
}

// keyName returns the "<name>+<hash>" part of a verifier key, which names
// it without the key bytes.
func keyName(vkey string) string {
	name, rest, _ := strings.Cut(vkey, "+")
	hash, _, _ := strings.Cut(rest, "+")
	return name + "+" + hash
}

// refusedByPolicy reports whether err is [Options.Policy]'s refusal of a
// checkpoint: short of its quorum, or of another log key.
func refusedByPolicy(err error) bool {
	_, quorum := errors.AsType[*signet.QuorumError](err)
	return quorum || errors.Is(err, signet.ErrPolicyLogKey)
}
