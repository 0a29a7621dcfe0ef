package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// daemon is a signetd process this tool started.
type daemon struct {
	cfg     daemonConfig
	port    int
	base    string // http://127.0.0.1:port
	admin   string
	logPath string
	cmd     *exec.Cmd
	exited  chan error
}

// daemonConfig says how to start signetd.
type daemonConfig struct {
	Bin      string // the signetd binary. Required.
	DBURL    string // the database, with search_path naming the schema. Required.
	DataDir  string // its --data-dir (the log key lives there). Required.
	Origin   string // its --origin. Required.
	NonceTTL time.Duration
	Extra    []string // more flags, e.g. --naive-commit
	// Limits keeps signetd's own rate limits. Optional; by default the
	// per-address and per-kid limits are off.
	Limits bool
	// Port is the loopback port to listen on. Optional; default a free one.
	Port int
}

// startDaemon starts signetd on a free loopback port and waits until it is
// ready. Its log goes to <DataDir>/signetd.log.
func startDaemon(ctx context.Context, c daemonConfig) (*daemon, error) {
	if err := os.MkdirAll(c.DataDir, 0o700); err != nil {
		return nil, err
	}
	port := c.Port
	if port == 0 {
		var err error
		if port, err = freePort(); err != nil {
			return nil, err
		}
	}
	d := &daemon{cfg: c, port: port, base: fmt.Sprintf("http://127.0.0.1:%d", port), admin: randomHex(16),
		logPath: filepath.Join(c.DataDir, "signetd.log")}
	return d, d.start(ctx, nil)
}

// start starts the process with d's configuration and more flags.
func (d *daemon) start(ctx context.Context, more []string) error {
	c := d.cfg
	d.exited = make(chan error, 1)
	args := []string{"--addr", fmt.Sprintf("127.0.0.1:%d", d.port), "--database-url", c.DBURL,
		"--admin-token", d.admin, "--data-dir", c.DataDir, "--origin", c.Origin,
		"--nonce-ttl", c.NonceTTL.String()}
	if !c.Limits {
		// Every client of a benchmark comes from 127.0.0.1 and there are
		// only a few kids: the per-address and per-kid limits would be
		// what is measured.
		args = append(args, "--rate-limit-addr", "0", "--rate-limit-kid", "0")
	}
	args = append(append(args, c.Extra...), more...)
	logf, err := os.OpenFile(d.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer logf.Close()
	d.cmd = exec.Command(c.Bin, args...)
	d.cmd.Stdout, d.cmd.Stderr = logf, logf
	d.cmd.Env = cleanEnv()
	if err := d.cmd.Start(); err != nil {
		return fmt.Errorf("starting %s: %w", c.Bin, err)
	}
	go func() { d.exited <- d.cmd.Wait() }()
	if err := d.waitReady(ctx); err != nil {
		d.stop()
		return err
	}
	return nil
}

// restart stops the process and starts it again on the same port with
// more flags: nonces it issued stay valid, since their key is in the
// database.
func (d *daemon) restart(ctx context.Context, more []string) error {
	if err := d.stop(); err != nil {
		return fmt.Errorf("stopping signetd: %w; see %s", err, d.logPath)
	}
	return d.start(ctx, more)
}

// cleanEnv is this process's environment without the variables signetd
// reads, so that only the flags configure it.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SIGNET_") && !strings.HasPrefix(kv, "DATABASE_URL=") {
			env = append(env, kv)
		}
	}
	return env
}

func (d *daemon) pid() int { return d.cmd.Process.Pid }

func (d *daemon) waitReady(ctx context.Context) error {
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-d.exited:
			return fmt.Errorf("signetd exited during start-up (%v); see %s", err, d.logPath)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		resp, err := http.Get(d.base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
	}
	return fmt.Errorf("signetd did not become ready within 60s; see %s", d.logPath)
}

// stop sends SIGTERM and waits for the process to exit.
func (d *daemon) stop() error {
	d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-d.exited:
		return err
	case <-time.After(60 * time.Second):
		d.cmd.Process.Kill()
		return <-d.exited
	}
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// schemaURL returns base with search_path set to schema.
func schemaURL(base, schema string) (string, error) {
	u, err := url.Parse(base)
	if err != nil {
		return "", fmt.Errorf("parsing the database URL: %w", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// createSchema creates schema in the database at base if it is missing.
func createSchema(ctx context.Context, base, schema string) error {
	return withConn(ctx, base, func(c *pgx.Conn) error {
		_, err := c.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+pgx.Identifier{schema}.Sanitize())
		return err
	})
}

// dropSchema drops schema and everything in it.
func dropSchema(ctx context.Context, base, schema string) error {
	return withConn(ctx, base, func(c *pgx.Conn) error {
		_, err := c.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE")
		return err
	})
}

func withConn(ctx context.Context, dbURL string, f func(*pgx.Conn) error) error {
	c, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return fmt.Errorf("connecting to PostgreSQL: %w", err)
	}
	defer c.Close(context.WithoutCancel(ctx))
	return f(c)
}

// postmasterPID returns the PID of the PostgreSQL server at dbURL if it
// runs on this machine (the parent of our backend), or 0.
func postmasterPID(ctx context.Context, dbURL string) int {
	var st procStat
	err := withConn(ctx, dbURL, func(c *pgx.Conn) error {
		var backend int
		if err := c.QueryRow(ctx, "SELECT pg_backend_pid()").Scan(&backend); err != nil {
			return err
		}
		var err error
		st, err = readStat(backend) // while the backend lives
		return err
	})
	if err != nil {
		return 0
	}
	return st.ppid
}
