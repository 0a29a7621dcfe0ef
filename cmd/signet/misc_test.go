package main

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/signet-ledger/signet/api"
	"github.com/signet-ledger/signet/internal/signettest"
)

func TestUsage(t *testing.T) {
	c := newCLI(t, signettest.New(t, signettest.Options{}))
	for _, args := range [][]string{
		{}, {"bogus"}, {"get"}, {"get", "1", "2"}, {"get", "-1"}, {"verify", "x"}, {"list", "--nope"},
		{"register"}, {"rotate-key", "--signer", "a"}, {"revoke-key", "--signer", "a"}, {"audit"},
		{"submit", "--concurrency", "0"}, {"export", "--from", "-1"},
	} {
		errOut := c.fails(ExitUsage, args...)
		if !strings.HasPrefix(errOut, "signet: ") && len(args) > 0 || !strings.Contains(errOut, "hint:") {
			t.Errorf("signet %v: stderr = %q, want one line and a hint", args, errOut)
		}
	}
	wantContains(t, "help", c.ok("help"), "Commands:", "audit", "Exit codes:", "3  verification failed")
	wantContains(t, "help submit", c.ok("help", "submit"), "Usage: signet submit", "-ndjson", "-concurrency", "Exit codes:")
	wantContains(t, "submit -h", c.ok("submit", "-h"), "Usage: signet submit")
	c.ok("keygen", "-o", c.path("k.jwk"))
	c.stdin = "   \n"
	c.fails(ExitUsage, "submit", "--key", c.path("k.jwk"), "-")
	wantContains(t, "submit without a key", c.fails(ExitError, "submit", "--key", c.path("none.jwk")), "no key file", "signet keygen")
}

func TestSubmitNDJSONFailures(t *testing.T) {
	e := signettest.New(t, signettest.Options{})
	c := newCLI(t, e)
	c.ok("keygen", "-o", c.path("k.jwk"))
	c.env["SIGNET_KEY"] = c.path("k.jwk")
	c.ok("register", "--signer", "alice")
	in := `{"n":1}` + "\n" + `[1,2]` + "\n" + `{"n":3}` + "\n" + `{"a":1,"a":2}` + "\n" + `{"n":5}` + "\n"
	c.stdin = in
	out, errOut, code := c.run("submit", "--ndjson", "--json", "-")
	if code != ExitError {
		t.Fatalf("submit --ndjson with bad lines = exit %d\n%s%s", code, out, errOut)
	}
	wantContains(t, "stderr", errOut, "line 2: ", "malformed", "line 4: ", "2 of 5 entries failed")
	var results []submitted
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var r submitted
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatalf("submit --json line %q: %v", l, err)
		}
		results = append(results, r)
	}
	if len(results) != 5 || results[1].Error == "" || results[3].Error == "" || results[4].Index == nil {
		t.Errorf("submit --ndjson --json = %+v", results)
	}
	if got := e.Size(t); got != 4 {
		t.Errorf("log size = %d, want 4", got)
	}
}

// TestReaderToken checks that reads send the reader token.
func TestReaderToken(t *testing.T) {
	e := signettest.New(t, signettest.Options{API: func(c *api.Config) {
		c.PublicReads, c.ReaderTokens = false, []string{"reader-secret"}
	}})
	grow(t, e, "alice", 2)
	c := newCLI(t, e)
	delete(c.env, "SIGNET_ADMIN_TOKEN")
	wantContains(t, "get without a token", c.fails(ExitError, "get", "1"), "unauthorized", "--token")
	c.env["SIGNET_TOKEN"] = "reader-secret"
	c.ok("get", "1")
	c.ok("checkpoint")
	c.ok("verify", "1")
	c.ok("export", "-o", c.path("log.ndjson"))
	c.ok("audit", c.path("log.ndjson"))
}

func TestAuditDamagedExport(t *testing.T) {
	e := signettest.New(t, signettest.Options{})
	grow(t, e, "alice", 6)
	c := newCLI(t, e)
	export := c.path("log.ndjson")
	c.ok("export", "-o", export)
	b, _ := os.ReadFile(export)
	lines := strings.Split(string(b), "\n")
	trunc := c.write("trunc.ndjson", strings.Join(lines[:len(lines)-2], "\n")+"\n")
	lines[3] = strings.Replace(lines[3], `"n":3`, `"n":4`, 1) // the shown payload
	damaged := c.write("damaged.ndjson", strings.Join(lines, "\n"))
	out, errOut, code := c.run("audit", damaged, "--log-key", e.LogKey)
	if code != ExitVerify {
		t.Fatalf("audit of a damaged export = exit %d\n%s%s", code, out, errOut)
	}
	wantContains(t, "audit output", out, "audit FAILED after")
	wantContains(t, "audit stderr", errOut, "record 3 (line 4): R7 payload:", "hint:")
	var v auditView
	out, _, _ = c.run("audit", damaged, "--log-key", e.LogKey, "--json")
	if err := json.Unmarshal([]byte(out), &v); err != nil || v.OK || v.FailedIndex == nil || *v.FailedIndex != 3 || v.FailedCheck != "payload" {
		t.Errorf("audit --json = %+v, %v", v, err)
	}
	if len(v.Failures) != 1 || v.Failures[0].Rule != "R7" || v.Failures[0].Line != 4 {
		t.Errorf("audit --json failures = %+v, want one R7 on line 4", v.Failures)
	}
	// Every failure is listed, up to --max-failures.
	lines[5] = strings.Replace(lines[5], `"n":5`, `"n":6`, 1)
	twice := c.write("twice.ndjson", strings.Join(lines, "\n"))
	out, _, _ = c.run("audit", twice, "--log-key", e.LogKey)
	wantContains(t, "audit of two failures", out, "2 failures", "R7  payload       record 3 (line 4)", "R7  payload       record 5 (line 6)")
	out, _, code = c.run("audit", twice, "--log-key", e.LogKey, "--max-failures", "1")
	if code != ExitVerify || strings.Contains(out, "record 5") {
		t.Errorf("audit --max-failures 1 = exit %d\n%s", code, out)
	}
	wantContains(t, "audit --max-failures 1", out, "1 failures", "stopped after 1 failures")
	// Without a key, skipping the checkpoint signature on purpose.
	fresh := newCLI(t, e)
	fresh.fails(ExitUsage, "audit", export)
	wantContains(t, "audit --skip-checkpoint-signature", fresh.ok("audit", export, "--skip-checkpoint-signature"), "signature NOT checked")
	// Truncated by a dropped end line.
	wantContains(t, "audit of a truncated export", c.fails(ExitVerify, "audit", trunc, "--log-key", e.LogKey), "truncated")
}
