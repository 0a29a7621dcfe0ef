package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/signet-ledger/signet/internal/signettest"
	"github.com/signet-ledger/signet/keys"
)

// seenCheckpoint returns the checkpoint c last pinned of e's log.
func seenCheckpoint(t *testing.T, c *cli, e *signettest.Env) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(c.env["XDG_CONFIG_HOME"], "signet", "logs", escapeName(e.Origin), "checkpoint"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// kidOf returns the kid of the key in the file at path.
func kidOf(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	k, err := keys.ParsePrivateJWK(b)
	if err != nil {
		t.Fatal(err)
	}
	return k.Public().Thumbprint()
}

// TestAnswerCheckpointsArePinned: every command whose answer carries a
// checkpoint checks it as signet checkpoint does and pins the newer one.
func TestAnswerCheckpointsArePinned(t *testing.T) {
	e := signettest.New(t, signettest.Options{})
	c := newCLI(t, e)
	key := c.path("k.jwk")
	kid := strings.TrimSpace(c.ok("keygen", "-o", key))
	c.env["SIGNET_KEY"] = key
	for _, step := range []struct {
		args  []string
		stdin string
		size  string
	}{
		{[]string{"register", "--signer", "alice"}, "", "\n1\n"},
		{[]string{"submit"}, `{"n":1}`, "\n2\n"},
		{[]string{"rotate-key", "--signer", "alice", "--new-key", c.path("k2.jwk")}, "", "\n3\n"},
		{[]string{"revoke-key", "--signer", "alice", "--kid", kid, "--key", c.path("k2.jwk")}, "", "\n4\n"},
	} {
		c.stdin = step.stdin
		c.ok(step.args...)
		if got := seenCheckpoint(t, c, e); !strings.Contains(got, step.size) {
			t.Errorf("after signet %s the pinned checkpoint is\n%s\nwant size %q", strings.Join(step.args, " "), got, step.size)
		}
	}
	wantContains(t, "checkpoint after the writes", c.ok("checkpoint"), "size     4", "the same as last seen")
}

// TestAnswerCheckpointFork: a server that answers writes with a checkpoint
// of another history, signed by the pinned key, is caught as a fork by
// every write command, and the checkpoint seen before stays pinned.
func TestAnswerCheckpointFork(t *testing.T) {
	envs := sameKeyServers(t, 2)
	a, b := envs[0], envs[1]
	grow(t, a, "alice", 3)
	grow(t, b, "bob", 5)
	c := newCLI(t, a)
	c.ok("checkpoint")
	before := seenCheckpoint(t, c, a)

	c.env["SIGNET_SERVER"], c.env["SIGNET_ADMIN_TOKEN"] = b.URL, b.AdminToken
	key := c.path("k.jwk")
	kid := strings.TrimSpace(c.ok("keygen", "-o", key))
	c.env["SIGNET_KEY"] = key
	wantContains(t, "register on a fork", c.fails(ExitVerify, "register", "--signer", "carol"), "fork", "not consistent")
	c.stdin = `{"n":1}`
	wantContains(t, "submit on a fork", c.fails(ExitVerify, "submit"), "fork", "was appended, but")
	c.fails(ExitVerify, "rotate-key", "--signer", "carol", "--new-key", c.path("k2.jwk"))
	c.fails(ExitVerify, "revoke-key", "--signer", "carol", "--kid", kid, "--key", c.path("k2.jwk"))
	c.stdin = `{"n":2}` + "\n" + `{"n":3}` + "\n"
	c.fails(ExitVerify, "submit", "--ndjson", "--key", c.path("k2.jwk"))
	c.fails(ExitVerify, "revoke-key", "--operator", "--signer", "carol", "--kid", kidOf(t, c.path("k2.jwk")))
	if after := seenCheckpoint(t, c, a); after != before {
		t.Errorf("a fork replaced the checkpoint seen before:\n%s\nwith\n%s", before, after)
	}
}
