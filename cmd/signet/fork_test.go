package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/signet-ledger/signet/api"
	"github.com/signet-ledger/signet/internal/signettest"
	"github.com/signet-ledger/signet/ledger"
	"golang.org/x/mod/sumdb/note"
)

// sameKeyServers starts n servers on separate databases that sign their
// checkpoints with one log key and origin: n histories of "one" log, as a
// log showing different views to different clients would.
func sameKeyServers(t *testing.T, n int) []*signettest.Env {
	skey, vkey, err := note.GenerateKey(rand.Reader, "signet.test/log")
	if err != nil {
		t.Fatal(err)
	}
	signer, _ := note.NewSigner(skey)
	verifier, _ := note.NewVerifier(vkey)
	opts := signettest.Options{
		Ledger: func(c *ledger.Config) { c.Signer, c.Verifier = signer, verifier },
		API:    func(c *api.Config) { c.LogKey = vkey },
	}
	var envs []*signettest.Env
	for range n {
		envs = append(envs, signettest.New(t, opts))
	}
	return envs
}

// grow registers a signer on e and appends entries until the log has
// size records.
func grow(t *testing.T, e *signettest.Env, signer string, size int64) {
	k := e.Register(t, signer)
	for i := int64(1); i < size; i++ {
		if _, err := e.Client.Submit(context.Background(), k, fmt.Appendf(nil, `{"n":%d}`, i)); err != nil {
			t.Fatal(err)
		}
	}
}

func TestCheckpointFork(t *testing.T) {
	envs := sameKeyServers(t, 3)
	a, b, small := envs[0], envs[1], envs[2]
	grow(t, a, "alice", 3)
	grow(t, b, "bob", 5)
	grow(t, small, "carol", 2)
	c := newCLI(t, a)
	wantContains(t, "checkpoint of a", c.ok("checkpoint"), "size     3", "pinned now")
	grow(t, a, "dave", 1) // a grows honestly: consistent
	wantContains(t, "checkpoint of a, grown", c.ok("checkpoint"), "size     4", "consistent with the checkpoint of size 3")
	seen := filepath.Join(c.env["XDG_CONFIG_HOME"], "signet", "logs", escapeName(a.Origin), "checkpoint")
	before, _ := os.ReadFile(seen)

	c.env["SIGNET_SERVER"] = b.URL // another tree, signed by the same key
	errOut := c.fails(ExitVerify, "checkpoint")
	wantContains(t, "checkpoint of a fork", errOut, "fork", "not consistent", "seen before (size 4)", "now (size 5)", "signet.test/log\n4\n", "signet.test/log\n5\n")
	c.fails(ExitVerify, "verify", "1")

	c.env["SIGNET_SERVER"] = small.URL // a smaller tree: the log went back
	wantContains(t, "checkpoint of a smaller tree", c.fails(ExitVerify, "checkpoint"), "fork", "shrank from 4 to 2")

	if after, _ := os.ReadFile(seen); string(after) != string(before) {
		t.Error("a fork replaced the checkpoint seen before")
	}
}

func TestCheckpointOtherLogKey(t *testing.T) {
	a := signettest.New(t, signettest.Options{})
	other := signettest.New(t, signettest.Options{}) // same origin, its own key
	grow(t, a, "alice", 2)
	grow(t, other, "mallory", 2)
	c := newCLI(t, a)
	c.ok("checkpoint")
	c.env["SIGNET_SERVER"] = other.URL
	wantContains(t, "checkpoint signed by another key", c.fails(ExitVerify, "checkpoint"), "no verifiable signatures")
	// Pinning up front: a --log-key that is not the pinned one is refused.
	c.env["SIGNET_SERVER"] = a.URL
	wantContains(t, "--log-key against the pin", c.fails(ExitVerify, "checkpoint", "--log-key", other.LogKey), "not the key pinned")

	// A fresh client that pins the right key up front refuses the other log.
	fresh := newCLI(t, other)
	keyFile := fresh.write("log.key", a.LogKey+"\n")
	fresh.fails(ExitVerify, "checkpoint", "--log-key", keyFile)
	fresh.env["SIGNET_SERVER"] = a.URL
	wantContains(t, "pinned up front", fresh.ok("checkpoint", "--log-key", keyFile), "pinned now")

	// A server that claims to serve another log than it did.
	c.env["SIGNET_SERVER"] = a.URL
	st := state{filepath.Join(c.env["XDG_CONFIG_HOME"], "signet")}
	st.setServerOrigin(a.URL, "elsewhere.example/log")
	wantContains(t, "server changing origin", c.fails(ExitVerify, "checkpoint"), "served log \"elsewhere.example/log\" before")
	if !strings.Contains(hint(verifyFailed("x")), "do not trust") {
		t.Error("a verification failure has no hint")
	}
}
