package main

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/signet-ledger/signet/client"
	"github.com/signet-ledger/signet/internal/signettest"
	"github.com/signet-ledger/signet/keys"
)

// buildSignetd builds the real binary once per test.
func buildSignetd(t *testing.T) string {
	bin := filepath.Join(t.TempDir(), "signetd")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// proc is a running signetd and its log lines.
type proc struct {
	cmd  *exec.Cmd
	addr string
	logs chan string
	all  *strings.Builder
	done chan error
}

func start(t *testing.T, bin string, env []string, args ...string) *proc {
	cmd := exec.Command(bin, append([]string{"--addr", "127.0.0.1:0"}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd, logs: make(chan string, 1000), all: &strings.Builder{}, done: make(chan error, 1)}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			p.all.WriteString(line + "\n")
			var m map[string]any
			if json.Unmarshal([]byte(line), &m) == nil && m["msg"] == "listening" {
				addr <- m["addr"].(string)
			}
		}
		p.done <- cmd.Wait()
	}()
	t.Cleanup(func() { cmd.Process.Kill() })
	select {
	case a := <-addr:
		p.addr = "http://" + a
	case err := <-p.done:
		t.Fatalf("signetd exited before listening: %v\n%s", err, p.all.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("signetd did not start:\n%s", p.all.String())
	}
	return p
}

func TestHelpDocumentsEveryFlag(t *testing.T) {
	out, _ := exec.Command(buildSignetd(t), "--help").CombinedOutput()
	for _, f := range []string{"-addr", "SIGNET_ADDR", "-database-url", "DATABASE_URL", "-admin-token",
		"SIGNET_ADMIN_TOKEN", "-data-dir", "SIGNET_DATA_DIR", "-log-key-file", "-origin", "migrate"} {
		if !strings.Contains(string(out), f) {
			t.Errorf("signetd --help does not mention %s:\n%s", f, out)
		}
	}
}

// TestServeProcess runs the real binary: generated secrets, health,
// an append, and graceful shutdown on SIGTERM.
func TestServeProcess(t *testing.T) {
	bin := buildSignetd(t)
	dbURL := signettest.Schema(t)
	dir := t.TempDir()
	env := []string{"DATABASE_URL=" + dbURL, "SIGNET_DATA_DIR=" + dir, "SIGNET_ADMIN_TOKEN="}
	p := start(t, bin, env)

	tokFile := filepath.Join(dir, "admin.token")
	st, err := os.Stat(tokFile)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("admin token file: %v, mode %v, want 0600", err, st.Mode())
	}
	if st, err := os.Stat(filepath.Join(dir, "log.key")); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("log key file: %v, want mode 0600", err)
	}
	tok, _ := os.ReadFile(tokFile)
	token := strings.TrimSpace(string(tok))

	for _, path := range []string{"/healthz", "/readyz"} {
		resp, err := http.Get(p.addr + path)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("GET %s = %v, %v", path, resp, err)
		}
		resp.Body.Close()
	}
	ctx := context.Background()
	c := client.New(p.addr, client.WithAdminToken(token))
	k, _ := keys.GenerateKey()
	if _, err := c.Register(ctx, "alice", k, nil); err != nil {
		t.Fatal(err)
	}
	payload := `{"journal_id":"JE-secret-payload-marker"}`
	if _, err := c.Submit(ctx, k, []byte(payload)); err != nil {
		t.Fatal(err)
	}
	// A second process on the same data dir reuses the generated token.
	p2 := start(t, bin, env)
	c2 := client.New(p2.addr, client.WithAdminToken(token))
	if _, err := c2.Register(ctx, "bob", mustKey(t), nil); err != nil {
		t.Fatalf("second process with the same data dir: Register = %v", err)
	}

	for _, q := range []*proc{p, p2} {
		q.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-q.done:
			if err != nil {
				t.Errorf("signetd exit after SIGTERM = %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("signetd did not exit after SIGTERM")
		}
		logs := q.all.String()
		for _, secret := range []string{token, "JE-secret-payload-marker"} {
			if strings.Contains(logs, secret) {
				t.Errorf("logs contain a secret or payload %q", secret)
			}
		}
		if !strings.Contains(logs, `"request_id"`) || !strings.Contains(logs, tokFile) {
			t.Errorf("logs lack request ids or the token file's path:\n%s", logs)
		}
	}
}

func TestMigrateCommand(t *testing.T) {
	cmd := exec.Command(buildSignetd(t), "migrate")
	cmd.Env = append(os.Environ(), "DATABASE_URL="+signettest.Schema(t))
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "applied migration") {
		t.Fatalf("signetd migrate = %v\n%s", err, out)
	}
}

func mustKey(t *testing.T) keys.PrivateKey {
	k, err := keys.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}
