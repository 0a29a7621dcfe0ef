package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/signet-ledger/signet/client"
	"github.com/signet-ledger/signet/internal/signettest"
)

// TestSQLiteDefaultThenImportIntoPostgres: with no database URL signetd
// keeps the log in <data-dir>/signet.db and says so; "signetd import"
// moves an export of it into PostgreSQL, after verifying it, and the log
// carries on there with the same checkpoint.
func TestSQLiteDefaultThenImportIntoPostgres(t *testing.T) {
	bin := buildSignetd(t)
	dir := t.TempDir()
	env := []string{"DATABASE_URL=", "SIGNET_DATA_DIR=" + dir, "SIGNET_ADMIN_TOKEN=admin", "SIGNET_READ_ACCESS=public"}
	p := start(t, bin, env)
	if _, err := os.Stat(filepath.Join(dir, "signet.db")); err != nil {
		t.Fatalf("no SQLite store in the data dir: %v", err)
	}
	if !strings.Contains(p.all.String(), `"kind":"sqlite"`) {
		t.Errorf("start-up log does not say the store is SQLite:\n%s", p.all.String())
	}
	ctx := context.Background()
	c := client.New(p.addr, client.WithAdminToken("admin"))
	k := mustKey(t)
	if _, err := c.Register(ctx, "alice", k, nil); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 30; i++ {
		if _, err := c.Submit(ctx, k, []byte(fmt.Sprintf(`{"n":%d}`, i))); err != nil {
			t.Fatal(err)
		}
	}
	var export bytes.Buffer
	if _, err := c.Export(ctx, 0, 0, &export); err != nil {
		t.Fatal(err)
	}
	before, _ := c.Checkpoint(ctx)
	p.cmd.Process.Signal(syscall.SIGTERM)
	<-p.done
	file := filepath.Join(t.TempDir(), "log.ndjson")
	os.WriteFile(file, export.Bytes(), 0o600)

	pg := signettest.Schema(t)
	pgEnv := []string{"DATABASE_URL=" + pg, "SIGNET_DATA_DIR=" + dir, "SIGNET_ADMIN_TOKEN=admin", "SIGNET_READ_ACCESS=public"}

	// A damaged export is refused and writes nothing.
	bad := filepath.Join(t.TempDir(), "bad.ndjson")
	os.WriteFile(bad, bytes.Replace(export.Bytes(), []byte(`"n":7`), []byte(`"n":8`), 1), 0o600)
	if out, err := runCmd(bin, pgEnv, "import", bad); err == nil {
		t.Fatalf("signetd import of a damaged export succeeded:\n%s", out)
	}

	// Off a terminal (here a pipe) the import draws no progress.
	if out, err := runCmd(bin, pgEnv, "import", file); err != nil || !strings.Contains(out, "imported 31 records") || strings.ContainsAny(out, "\r\x1b") {
		t.Fatalf("signetd import = %v\n%q", err, out)
	}
	q := start(t, bin, pgEnv)
	c2 := client.New(q.addr, client.WithAdminToken("admin"))
	after, err := c2.Checkpoint(ctx)
	if err != nil || !bytes.Equal(before, after) {
		t.Fatalf("checkpoint after import = %q, %v; want the SQLite log's %q", after, err, before)
	}
	for i := int64(0); i < 31; i++ {
		if v, err := c2.Verify(ctx, i); err != nil || !v.Verified {
			t.Fatalf("Verify(%d) after import = %+v, %v", i, v, err)
		}
	}
	if a, err := c2.Submit(ctx, k, []byte(`{"after":"import"}`)); err != nil || a.Index != 31 {
		t.Fatalf("Submit after import = %+v, %v; want index 31", a, err)
	}
	if out, err := runCmd(bin, pgEnv, "import", file); err == nil {
		t.Errorf("a second import into a non-empty store succeeded:\n%s", out)
	}
}

func runCmd(bin string, env []string, args ...string) (string, error) {
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}
