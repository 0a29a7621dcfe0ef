package main

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// cluster is a private PostgreSQL cluster, run by scripts/pg.sh, for tests
// that stop and start the database under a running signetd. Durability is
// left on (fsync, synchronous_commit): an immediate shutdown must not lose
// a commit the server was told about.
type cluster struct {
	dir  string // the cluster's folder, as pg_start takes it
	port string
	URL  string // DATABASE_URL of its signet database
}

// pgScript is scripts/pg.sh, seen from this package's folder.
var pgScript = filepath.Join("..", "..", "scripts", "pg.sh")

// pgStopMode stops a cluster with pg_ctl's shutdown mode $2, as the user
// pg.sh runs the server as. (pg_stop always uses "fast".)
const pgStopMode = `pg_find_bin >/dev/null || exit 1
user=$(_pg_runas "$1") || exit 1
_pg_as "$user" "$PG_BIN/pg_ctl" stop -D "$1/data" -m "$2" -w -s`

// newCluster creates and starts a cluster in a fresh folder; it is stopped
// and deleted when the test ends. Missing PostgreSQL binaries fail the
// test: scripts/test.sh guarantees them.
func newCluster(t *testing.T) *cluster {
	root, err := os.MkdirTemp("", "signet-faults-")
	if err != nil {
		t.Fatal(err)
	}
	// As root, the server runs as the postgres user, which must reach DIR.
	if err := os.Chmod(root, 0o711); err != nil {
		t.Fatal(err)
	}
	c := &cluster{dir: filepath.Join(root, "pg"), port: freePort(t)}
	t.Cleanup(func() {
		pgBash(t, `pg_stop "$1"`, c.dir)
		os.RemoveAll(root)
	})
	c.start(t)
	c.URL = strings.TrimSpace(pgBash(t, `pg_url "$1" "$2"`, c.dir, c.port))
	return c
}

// start starts the cluster (initialising it the first time) and waits
// until it accepts connections.
func (c *cluster) start(t *testing.T) {
	t.Helper()
	pgBash(t, `pg_start "$1" "$2"`, c.dir, c.port)
}

// stop stops the cluster with pg_ctl's shutdown mode: "fast" or "immediate".
func (c *cluster) stop(t *testing.T, mode string) {
	t.Helper()
	pgBash(t, pgStopMode, c.dir, mode)
}

// pgBash runs script with pg.sh sourced and args as $1..., and returns its
// standard output; any failure fails the test.
func pgBash(t *testing.T, script string, args ...string) string {
	t.Helper()
	abs, err := filepath.Abs(pgScript)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("bash", append([]string{"-c", `source "$PG_SH" || exit 1` + "\n" + script, "pg.sh"}, args...)...)
	cmd.Env = append(os.Environ(), "PG_SH="+abs)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("scripts/pg.sh: %s %q: %v\n%s", script, args, err, stderr.String())
	}
	return string(out)
}

// freePort returns a TCP port nobody listens on now; the cluster only uses
// it to name its socket.
func freePort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
}
