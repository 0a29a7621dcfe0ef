package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/signet-ledger/signet/internal/signettest"
)

// buildSignet builds this command into a temporary folder, for the tests
// that need a process of its own: signals, and a stderr that is a pipe.
func buildSignet(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "signet")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// process is signet running as c would run it, its output read line by
// line.
type process struct {
	cmd            *exec.Cmd
	stdout, stderr chan string
	errOut         bytes.Buffer // all of stderr, once done
	done           chan struct{}
}

func startSignet(t *testing.T, bin string, c *cli, args ...string) *process {
	t.Helper()
	p := &process{cmd: exec.Command(bin, args...), stdout: make(chan string, 100), stderr: make(chan string, 100), done: make(chan struct{})}
	for k, v := range c.env {
		p.cmd.Env = append(p.cmd.Env, k+"="+v)
	}
	out, _ := p.cmd.StdoutPipe()
	errPipe, _ := p.cmd.StderrPipe()
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.cmd.Process.Kill() })
	lines := func(r io.Reader, ch chan string, keep *bytes.Buffer) {
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			if keep != nil {
				keep.WriteString(sc.Text() + "\n")
			}
			ch <- sc.Text()
		}
		close(ch)
	}
	go lines(out, p.stdout, nil)
	go func() { lines(errPipe, p.stderr, &p.errOut); close(p.done) }()
	return p
}

// next returns the next line of ch, failing the test if none comes
// within a bound far beyond what the step needs.
func next(t *testing.T, ch chan string, what string) string {
	t.Helper()
	select {
	case l, ok := <-ch:
		if !ok {
			t.Fatalf("%s: the output ended", what)
		}
		return l
	case <-time.After(60 * time.Second):
		t.Fatalf("%s: no line within a minute", what)
	}
	return ""
}

// stop sends sig and returns the exit code.
func (p *process) stop(t *testing.T, sig os.Signal) int {
	t.Helper()
	p.cmd.Process.Signal(sig)
	for range p.stdout {
	}
	for range p.stderr {
	}
	<-p.done
	p.cmd.Wait()
	return p.cmd.ProcessState.ExitCode()
}

// TestWatchFollow: without --once, watch follows the log, printing each
// new record of the signer as it comes; SIGTERM stops it with exit 0 and
// the position saved; stderr, a pipe, has no progress drawn on it.
func TestWatchFollow(t *testing.T) {
	bin := buildSignet(t)
	e := signettest.New(t, signettest.Options{})
	c := newCLI(t, e)
	c.env["SIGNET_KEY"] = c.path("alice.jwk")
	c.ok("keygen")
	c.ok("register", "--signer", "alice")
	c.stdin = `{"journal_id":"JE1"}`
	c.ok("submit")

	p := startSignet(t, bin, c, "watch", "--signer", "alice", "--expect-local", "--json", "--interval", "50ms")
	for want := range int64(2) {
		var v watchedRecord
		if l := next(t, p.stdout, "watch catching up"); json.Unmarshal([]byte(l), &v) != nil || v.Index != want || v.Flagged {
			t.Fatalf("watch printed %q, want record %d, unflagged", l, want)
		}
	}
	c.stdin = `{"journal_id":"JE2"}`
	c.ok("submit")
	var v watchedRecord
	if l := next(t, p.stdout, "watch following"); json.Unmarshal([]byte(l), &v) != nil || v.Index != 2 || string(v.Payload) != `{"journal_id":"JE2"}` {
		t.Fatalf("watch printed %q, want the new record 2", l)
	}
	if code := p.stop(t, syscall.SIGTERM); code != 0 {
		t.Errorf("watch after SIGTERM = exit %d, want 0; stderr:\n%s", code, p.errOut.String())
	}
	if strings.ContainsAny(p.errOut.String(), "\r\x1b") {
		t.Errorf("watch drew progress on a pipe: %q", p.errOut.String())
	}
	if out := c.ok("watch", "--signer", "alice", "--once"); out != "" {
		t.Errorf("watch --once after the follower = %q, want nothing new", out)
	}
}

// TestWatchBackoff: while the server cannot be reached, watch says so
// and waits longer each time, up to --max-backoff; SIGINT stops it.
func TestWatchBackoff(t *testing.T) {
	bin := buildSignet(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := "http://" + l.Addr().String()
	l.Close()
	c := newCLI(t, signettest.New(t, signettest.Options{}))
	c.env["SIGNET_SERVER"] = down
	p := startSignet(t, bin, c, "watch", "--signer", "alice", "--interval", "10ms", "--max-backoff", "40ms")
	for _, wait := range []string{"20ms", "40ms", "40ms"} {
		if l := next(t, p.stderr, "watch of a server that is down"); !strings.HasSuffix(l, "trying again in "+wait) {
			t.Fatalf("watch said %q, want it to try again in %s", l, wait)
		}
	}
	if code := p.stop(t, os.Interrupt); code != 0 {
		t.Errorf("watch after SIGINT = exit %d, want 0", code)
	}
}
