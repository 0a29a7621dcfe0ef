package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/signet-ledger/signet/internal/signettest"
)

// TestNoProgressOffTerminal runs the long operations with stderr a file,
// as under cron or with 2>log: an *os.File, but no terminal. They draw
// no progress there, and --json output stays one object a line.
func TestNoProgressOffTerminal(t *testing.T) {
	e := signettest.New(t, signettest.Options{})
	c := newCLI(t, e)
	c.env["SIGNET_KEY"] = c.path("alice.jwk")
	c.ok("keygen")
	c.ok("register", "--signer", "alice")
	var lines []string
	for i := range 300 {
		lines = append(lines, fmt.Sprintf(`{"n":%d}`, i))
	}
	entries := c.write("entries.ndjson", strings.Join(lines, "\n")+"\n")
	export := c.path("log.ndjson")
	for _, args := range [][]string{
		{"submit", "--ndjson", entries},
		{"export", "-o", export},
		{"audit", export},
		{"watch", "--signer", "alice", "--once", "--batch", "100"},
		{"--json", "submit", "--ndjson", entries},
		{"--json", "watch", "--signer", "alice", "--once", "--state-dir", c.path("fresh")},
	} {
		stdout, stderr := runToFiles(t, c, args...)
		if strings.ContainsAny(stderr, "\r\x1b") || strings.ContainsAny(stdout, "\r\x1b") {
			t.Errorf("signet %s off a terminal drew progress: stderr %q", strings.Join(args, " "), stderr)
		}
		if args[0] == "--json" {
			for _, l := range strings.Split(strings.TrimSpace(stdout), "\n") {
				if !strings.HasPrefix(l, "{") || !strings.HasSuffix(l, "}") {
					t.Errorf("signet %s printed %q, not one JSON object", strings.Join(args, " "), l)
				}
			}
		}
	}
}

// runToFiles runs signet as c would, with stdout and stderr files, and
// fails the test unless it exits 0.
func runToFiles(t *testing.T, c *cli, args ...string) (stdout, stderr string) {
	t.Helper()
	dir := t.TempDir()
	out, _ := os.Create(filepath.Join(dir, "stdout"))
	errOut, _ := os.Create(filepath.Join(dir, "stderr"))
	defer out.Close()
	defer errOut.Close()
	sys := System{Stdin: strings.NewReader(""), Stdout: out, Stderr: errOut, Getenv: func(k string) string { return c.env[k] }}
	code := Main(context.Background(), args, sys)
	o, _ := os.ReadFile(out.Name())
	e, _ := os.ReadFile(errOut.Name())
	if code != ExitOK {
		t.Fatalf("signet %s = exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, o, e)
	}
	return string(o), string(e)
}
