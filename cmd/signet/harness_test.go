package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/signet-ledger/signet/internal/signettest"
)

// cli runs signet in-process against one test server, as a user with
// their own state dir would.
type cli struct {
	t     *testing.T
	env   map[string]string
	dir   string // a work folder for key and export files
	stdin string
	sys   System
}

func newCLI(t *testing.T, e *signettest.Env) *cli {
	home := t.TempDir()
	c := &cli{t: t, dir: t.TempDir(), env: map[string]string{
		"SIGNET_SERVER":      e.URL,
		"SIGNET_ADMIN_TOKEN": e.AdminToken,
		"HOME":               home,
		"XDG_CONFIG_HOME":    filepath.Join(home, "config"),
	}}
	return c
}

// run runs signet with args and returns its output and exit code.
func (c *cli) run(args ...string) (stdout, stderr string, code int) {
	c.t.Helper()
	var out, errOut bytes.Buffer
	sys := c.sys
	sys.Stdin, sys.Stdout, sys.Stderr = strings.NewReader(c.stdin), &out, &errOut
	sys.Getenv = func(k string) string { return c.env[k] }
	c.stdin = ""
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	code = Main(ctx, args, sys)
	return out.String(), errOut.String(), code
}

// ok runs signet and fails the test unless it exits 0.
func (c *cli) ok(args ...string) string {
	c.t.Helper()
	out, errOut, code := c.run(args...)
	if code != ExitOK {
		c.t.Fatalf("signet %s = exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

// fails runs signet and fails the test unless it exits with code; it
// returns stderr.
func (c *cli) fails(code int, args ...string) string {
	c.t.Helper()
	out, errOut, got := c.run(args...)
	if got != code {
		c.t.Fatalf("signet %s = exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), got, code, out, errOut)
	}
	return errOut
}

// path returns a file name in the work folder.
func (c *cli) path(name string) string { return filepath.Join(c.dir, name) }

// write writes a file in the work folder and returns its path.
func (c *cli) write(name, content string) string {
	p := c.path(name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		c.t.Fatal(err)
	}
	return p
}

func wantContains(t *testing.T, what, got string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("%s = %q, want it to contain %q", what, got, w)
		}
	}
}
