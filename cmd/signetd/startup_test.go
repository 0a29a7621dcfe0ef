package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/signet-ledger/signet/client"
	"github.com/signet-ledger/signet/internal/signettest"
)

// stopProc stops a signetd started by start and waits for it.
func stopProc(t *testing.T, p *proc) {
	t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		t.Fatal("signetd did not exit after SIGTERM")
	}
}

// mustFail runs signetd, which must exit with an error at start-up, and
// returns what it printed.
func mustFail(t *testing.T, bin string, env []string, args ...string) string {
	t.Helper()
	out, err := runCmd(bin, env, append([]string{"--addr", "127.0.0.1:0"}, args...)...)
	if err == nil {
		t.Fatalf("signetd %v started; want a start-up error\n%s", args, out)
	}
	return out
}

// TestStartWithAnotherLogsKey: a server given a key that did not sign the
// log's checkpoints (another data folder, another --log-key-file) refuses
// to start, naming the key the log was signed with and the flag that fixes
// it, instead of answering 500 to every append; so does an --origin that
// is not the key's name. With the log's key it starts, on both stores.
func TestStartWithAnotherLogsKey(t *testing.T) {
	bin := buildSignetd(t)
	for _, store := range []string{"postgres", "sqlite"} {
		t.Run(store, func(t *testing.T) {
			db := "sqlite:" + filepath.Join(t.TempDir(), "log.db")
			if store == "postgres" {
				db = signettest.Schema(t)
			}
			dir1, dir2 := t.TempDir(), t.TempDir()
			env := func(dir string) []string {
				return []string{"DATABASE_URL=" + db, "SIGNET_DATA_DIR=" + dir, "SIGNET_ADMIN_TOKEN=admin", "SIGNET_READ_ACCESS=public"}
			}
			p := start(t, bin, env(dir1), "--origin", "log.example.com/"+store)
			c := client.New(p.addr, client.WithAdminToken("admin"))
			if _, err := c.Register(context.Background(), "alice", mustKey(t), nil); err != nil {
				t.Fatal(err)
			}
			stopProc(t, p)
			vkey, _ := os.ReadFile(filepath.Join(dir1, "log.key"))
			if !strings.Contains(string(vkey), "+log.example.com/"+store+"+") {
				t.Fatalf("the generated key is not named after --origin: %s", vkey)
			}

			out := mustFail(t, bin, env(dir2))
			for _, want := range []string{"signed by key log.example.com/" + store + "+", "--log-key-file", "signet.invalid/log-"} {
				if !strings.Contains(out, want) {
					t.Errorf("start-up error with another key does not say %q:\n%s", want, out)
				}
			}
			out = mustFail(t, bin, env(dir1), "--origin", "other.example.com/log")
			if !strings.Contains(out, `--origin "other.example.com/log" is not the name of the log key`) {
				t.Errorf("start-up error with another origin:\n%s", out)
			}
			// With its own key the log goes on, and its origin comes from
			// the key, not from the host.
			p = start(t, bin, env(dir1))
			cp, err := client.New(p.addr).Checkpoint(context.Background())
			if err != nil || !strings.HasPrefix(string(cp), "log.example.com/"+store+"\n") {
				t.Fatalf("checkpoint after restart = %q, %v", cp, err)
			}
			stopProc(t, p)
		})
	}
}

// TestEnvironmentValuesThatDoNotParse: a value that does not parse is a
// start-up error naming the variable and the accepted form, never the
// default in disguise; so are values out of range.
func TestEnvironmentValuesThatDoNotParse(t *testing.T) {
	bin := buildSignetd(t)
	base := []string{"DATABASE_URL=", "SIGNET_DATA_DIR=" + t.TempDir(), "SIGNET_ADMIN_TOKEN=admin"}
	for _, tc := range []struct{ env, want string }{
		{"SIGNET_NONCE_TTL=600", `SIGNET_NONCE_TTL="600" is not a duration such as 90s, 10m or 1h`},
		{"SIGNET_RATE_LIMIT_KID=off", `SIGNET_RATE_LIMIT_KID="off" is not a number`},
		{"SIGNET_RATE_LIMIT_ADDR=NaN", `SIGNET_RATE_LIMIT_ADDR="NaN" is not a number`},
		{"SIGNET_MAX_PAYLOAD=64k", `SIGNET_MAX_PAYLOAD="64k" is not a decimal integer`},
		{"SIGNET_NAIVE_COMMIT=yes", `SIGNET_NAIVE_COMMIT="yes" is not a boolean`},
		{"SIGNET_QUEUE=0", "--queue must be a positive number"},
		{"SIGNET_TILE_CACHE=-1", "--tile-cache must be 0 (none) or a positive number of bytes"},
		{"SIGNET_NONCE_TTL=-1m", "--nonce-ttl must be a positive duration"},
		{"SIGNET_LOG_FORMAT=xml", "--log-format must be json or text"},
		{"SIGNET_ORIGIN=my log", "cannot name a log key"},
	} {
		t.Run(tc.env, func(t *testing.T) {
			out := mustFail(t, bin, append(base, tc.env))
			if !strings.Contains(out, tc.want) {
				t.Errorf("start-up error does not say %q:\n%s", tc.want, out)
			}
		})
	}
	t.Run("--rate-limit-kid=-5", func(t *testing.T) {
		if out := mustFail(t, bin, base, "--rate-limit-kid", "-5"); !strings.Contains(out, "--rate-limit-kid must be 0 (off) or a positive rate") {
			t.Errorf("--rate-limit-kid -5:\n%s", out)
		}
	})
}

// TestFilePermissions: the data folder is made 0700 and every file in it
// 0600, the SQLite database and its WAL included, whatever the umask; a
// log key or token file that others may read is refused, as ssh refuses
// such a private key, with the command that fixes it.
func TestFilePermissions(t *testing.T) {
	bin := buildSignetd(t)
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	dir := filepath.Join(t.TempDir(), "data")
	env := []string{"DATABASE_URL=", "SIGNET_DATA_DIR=" + dir, "SIGNET_ADMIN_TOKEN="}
	p := start(t, bin, env)
	tok, err := os.ReadFile(filepath.Join(dir, "admin.token"))
	if err != nil {
		t.Fatal(err)
	}
	c := client.New(p.addr, client.WithAdminToken(strings.TrimSpace(string(tok))))
	if _, err := c.Register(context.Background(), "alice", mustKey(t), nil); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(dir); err != nil || st.Mode().Perm() != 0o700 {
		t.Errorf("data folder: %v, mode %v; want 0700", err, st.Mode())
	}
	files, _ := os.ReadDir(dir)
	var names []string
	for _, f := range files {
		names = append(names, f.Name())
		st, err := os.Stat(filepath.Join(dir, f.Name()))
		if err != nil || st.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v, mode %v; want 0600", f.Name(), err, st.Mode())
		}
	}
	if !strings.Contains(strings.Join(names, " "), "signet.db-wal") {
		t.Errorf("no WAL file was checked: %v", names)
	}
	stopProc(t, p)

	for _, name := range []string{"log.key", "admin.token", "reader.token"} {
		t.Run(name, func(t *testing.T) {
			file := filepath.Join(dir, name)
			os.Chmod(file, 0o644)
			defer os.Chmod(file, 0o600)
			out := mustFail(t, bin, env)
			if !strings.Contains(out, "chmod 600 "+file) {
				t.Errorf("%s readable by others: start-up error does not say how to fix it:\n%s", name, out)
			}
		})
	}
	stopProc(t, start(t, bin, env))
}
