package main

import (
	"os"
	"strings"
	"testing"

	"github.com/signet-ledger/signet/internal/signettest"
)

// TestTokenFiles: tokens can come from files, which group and others may
// not read; one given on the command line, where ps shows it, is warned
// of; a key file others can read is refused before it is read.
func TestTokenFiles(t *testing.T) {
	e := signettest.New(t, signettest.Options{})
	c := newCLI(t, e)
	delete(c.env, "SIGNET_ADMIN_TOKEN")
	c.env["SIGNET_KEY"] = c.path("k.jwk")
	c.ok("keygen", "-o", c.path("k.jwk"))
	tok := c.write("admin.token", e.AdminToken+"\n")

	_, errOut, code := c.run("register", "--signer", "alice", "--admin-token-file", tok)
	if code != ExitOK || strings.Contains(errOut, "warning") {
		t.Errorf("register --admin-token-file = exit %d, stderr %q; want 0 and no warning", code, errOut)
	}
	for _, k := range []string{"a.jwk", "b.jwk", "c.jwk"} {
		c.ok("keygen", "-o", c.path(k))
	}
	c.env["SIGNET_ADMIN_TOKEN_FILE"] = tok
	c.ok("register", "--signer", "dave", "--key", c.path("a.jwk"), "--json")
	delete(c.env, "SIGNET_ADMIN_TOKEN_FILE")

	_, errOut, code = c.run("--admin-token", e.AdminToken, "register", "--signer", "bob", "--key", c.path("b.jwk"))
	if code != ExitOK || strings.Count(errOut, "warning: --admin-token on the command line") != 1 {
		t.Errorf("--admin-token on the command line = exit %d, stderr %q; want one warning", code, errOut)
	}
	c.env["SIGNET_ADMIN_TOKEN"] = e.AdminToken
	if _, errOut, _ := c.run("register", "--signer", "carol", "--key", c.path("c.jwk")); strings.Contains(errOut, "warning") {
		t.Errorf("a token from the environment warned: %q", errOut)
	}
	wantContains(t, "--token on the command line", c.okErr(t, "list", "--token", "x"), "warning: --token on the command line", "--token-file")
	wantContains(t, "token and token file", c.fails(ExitUsage, "list", "--admin-token", "x", "--admin-token-file", tok), "not both")

	for _, f := range []string{"admin.token", "k.jwk"} {
		os.Chmod(c.path(f), 0o640)
	}
	wantContains(t, "a readable token file", c.fails(ExitError, "list", "--admin-token-file", tok),
		"others on this machine can read", "chmod 600 "+tok)
	wantContains(t, "a readable token file from the environment", c.fails(ExitError, "list", "--token-file", tok), "chmod 600 "+tok)
	c.stdin = `{"n":1}`
	wantContains(t, "a readable key file", c.fails(ExitError, "submit"), "key file", "others on this machine can read", "chmod 600 "+c.path("k.jwk"))
	os.Chmod(c.path("k.jwk"), 0o602)
	c.stdin = `{"n":1}`
	wantContains(t, "a key file others may write", c.fails(ExitError, "submit"), "mode is 0602", "chmod 600")
	os.Chmod(c.path("k.jwk"), 0o600)
	c.stdin = `{"n":1}`
	c.ok("submit")
}

// okErr runs signet, fails the test unless it exits 0, and returns stderr.
func (c *cli) okErr(t *testing.T, args ...string) string {
	t.Helper()
	out, errOut, code := c.run(args...)
	if code != ExitOK {
		t.Fatalf("signet %s = exit %d\n%s%s", strings.Join(args, " "), code, out, errOut)
	}
	return errOut
}
