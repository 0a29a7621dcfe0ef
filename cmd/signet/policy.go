package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/signet-ledger/signet"
)

// policyFlag declares --policy on fs, defaulting to $SIGNET_POLICY.
func policyFlag(fs *flag.FlagSet, e *env) *string {
	return fs.String("policy", e.sys.Getenv("SIGNET_POLICY"),
		"a c2sp.org/tlog-policy `FILE` (log key, witnesses, quorum) every checkpoint must meet (env SIGNET_POLICY)")
}

// usePolicy reads the policy file at path, if any, into e.policy, which
// [env.trust] and [env.checkQuorum] then apply. A policy that does not
// parse is a usage error.
func (e *env) usePolicy(path string) error {
	if path == "" {
		return nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("reading the policy: %w", err)
	}
	if e.policy, err = signet.ParsePolicy(b); err != nil {
		return usagef("--policy %s: %v", path, err)
	}
	return nil
}

// policyLogKey returns the log key to check origin's checkpoints with:
// flagKey (--log-key), else the policy's log line for origin, else "".
// With a policy that lists logs, the flag's key and the key pinned for
// origin must both be the policy's ([signet.ErrPolicyLogKey]).
func (e *env) policyLogKey(origin, flagKey string) (string, error) {
	if e.policy == nil || len(e.policy.Logs) == 0 {
		return flagKey, nil
	}
	if flagKey != "" {
		k, err := parseLogKey(flagKey)
		if err != nil {
			return "", err
		}
		if _, err := e.policy.LogKey(origin, k); err != nil {
			return "", err
		}
	}
	pinned, err := e.pinnedKeyFor(origin)
	if err != nil {
		return "", err
	}
	k, err := e.policy.LogKey(origin, pinned)
	if err != nil {
		return "", err
	}
	if flagKey != "" {
		return flagKey, nil
	}
	return k, nil
}

// checkQuorum refuses a checkpoint note that does not meet the policy's
// quorum, with a [*signet.QuorumError] naming the missing witnesses.
func (e *env) checkQuorum(cp []byte) error {
	if e.policy == nil {
		return nil
	}
	return e.policy.Check(cp)
}

// witnessWords describes the policy's verdict on a checkpoint note that
// met it.
func (e *env) witnessWords(cp []byte) string {
	if e.policy == nil {
		return "not checked (no --policy)"
	}
	if e.policy.Quorum == "none" {
		return "quorum none: no cosignature needed"
	}
	return fmt.Sprintf("quorum %s met, cosigned by %v", e.policy.Quorum, e.policy.Cosigners(cp))
}
