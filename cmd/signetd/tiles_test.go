package main

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/signet-ledger/signet/internal/signettest"
	"github.com/signet-ledger/signet/internal/vectors"
	"github.com/signet-ledger/signet/ledger"
	"golang.org/x/mod/sumdb/tlog"
)

// tilesLogSize is the size of the log the tile tests serve: enough for a
// partial tile at level 2 (65,536 records and more), and partial ones at
// levels 0 and 1 (70,000 = 273·256 + 112 = 256·256 + 17·256 + 112).
const tilesLogSize = 70000

// TestTilesProcess runs the real signetd, on SQLite and on PostgreSQL,
// on a log of 70,000 records loaded with "signetd import", reads behind
// a token, and checks its c2sp.org/tlog-tiles API with tools no one here
// wrote:
//
//   - Tessera's auditor, fsck, re-derives the checkpoint's root from
//     every entry bundle and every tile, partial ones included, and
//     passes;
//   - x/mod's tlog.TileHashReader, reading tiles over HTTP, proves the
//     roots of trees of several sizes (partial tiles at levels 0, 1 and
//     2) and gives the inclusion and consistency proofs /v1/proof gives;
//   - fsck fails once one stored hash of the tree is changed in the
//     database, and, separately, once one record's hash is.
func TestTilesProcess(t *testing.T) {
	fsck := signettest.Tool(t, "SIGNET_FSCK")
	bin := buildSignetd(t)
	b := signettest.NewBulk(t, tilesLogSize)
	dir := t.TempDir()
	export, keyFile, vkeyFile := filepath.Join(dir, "log.ndjson"), filepath.Join(dir, "log.key"), filepath.Join(dir, "log.vkey")
	for _, f := range []struct {
		name string
		data []byte
	}{{export, b.Export}, {keyFile, []byte(vectors.LogPrivateKey() + "\n")}, {vkeyFile, []byte(vectors.LogKey() + "\n")}} {
		if err := os.WriteFile(f.name, f.data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, kind := range []string{"sqlite", "postgres"} {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			dbURL := "sqlite:" + filepath.Join(t.TempDir(), "signet.db")
			if kind == "postgres" {
				dbURL = signettest.Schema(t)
			}
			env := []string{"DATABASE_URL=" + dbURL, "SIGNET_DATA_DIR=" + t.TempDir(), "SIGNET_LOG_KEY_FILE=" + keyFile,
				"SIGNET_ADMIN_TOKEN=admin", "SIGNET_READER_TOKEN=reader", "SIGNET_READ_ACCESS=token"}
			if out, err := runCmd(bin, env, "import", export); err != nil || !strings.Contains(out, fmt.Sprintf("imported %d records", tilesLogSize)) {
				t.Fatalf("signetd import = %v\n%s", err, out)
			}
			p := start(t, bin, env)
			want := fmt.Sprintf("Successfully fsck'd log with size %d and root %s", tilesLogSize, base64.StdEncoding.EncodeToString(b.Checkpoint.Root[:]))
			if out, ok := runFsck(t, fsck, p.addr, vkeyFile); !ok || !strings.Contains(out, want) {
				t.Fatalf("fsck of the log did not pass; want %q:\n%s", want, out)
			}
			checkTileReader(t, p.addr, b)

			leaf, leafHash := tlog.StoredHashIndex(0, 1000), ledger.LeafHash(b.Records[1000].Hash)
			p = restart(t, p, bin, env, func() { setHash(t, dbURL, "tree_hashes", leaf, flip(leafHash)) })
			if out, ok := runFsck(t, fsck, p.addr, vkeyFile); ok || !names(out, 3) {
				t.Errorf("fsck with stored hash %d (leaf 1000) changed: passed %v; want it to fail naming tile/0/003:\n%s", leaf, ok, out)
			}
			p = restart(t, p, bin, env, func() {
				setHash(t, dbURL, "tree_hashes", leaf, leafHash)
				setHash(t, dbURL, "records", 2000, flip(b.Records[2000].Hash))
			})
			if out, ok := runFsck(t, fsck, p.addr, vkeyFile); ok || !names(out, 7) {
				t.Errorf("fsck with the hash of record 2000 changed: passed %v; want it to fail naming tile/0/007:\n%s", ok, out)
			}
		})
	}
}

// runFsck runs Tessera's fsck on the log at addr, reading with the reader
// token, and returns its output and whether it reported success. fsck
// may hang once it finds a bad tile, printing nothing unless -v=1 makes
// it print its ranges each second, the bad one marked Invalid: runFsck
// stops it as soon as it reports a failure that way or as "fsck failed",
// and after a minute in any case.
func runFsck(t *testing.T, fsck, addr, vkeyFile string) (string, bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, fsck, "--storage_url="+addr+"/tlog/", "--public_key="+vkeyFile,
		"--origin="+vectors.Origin, "--bearer_token=reader", "--ui=false", "-v=1", "-N=2")
	cmd.WaitDelay = time.Second
	r, w := io.Pipe()
	cmd.Stdout, cmd.Stderr = w, w
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { w.CloseWithError(cmd.Wait()) }()
	var out strings.Builder
	ok := false
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		if len(line) > 300 { // "log has: <the whole tile in hex>"
			line = line[:150] + " ... " + line[len(line)-150:]
		}
		out.WriteString(line + "\n")
		if strings.Contains(line, "Successfully fsck'd log") {
			ok = true
		}
		if strings.Contains(line, "fsck failed") || strings.Contains(line, "Invalid") {
			cmd.Process.Kill()
		}
	}
	if ctx.Err() != nil {
		out.WriteString("(stopped after a minute)\n")
	}
	t.Logf("fsck:\n%s", out.String())
	return out.String(), ok
}

// names reports whether fsck's output names level-0 tile n as bad: in
// its error, or as the Invalid one of its ranges.
func names(out string, n int) bool {
	return strings.Contains(out, fmt.Sprintf("fsck failed: failed: tile/0/%03d:", n)) ||
		strings.Contains(out, fmt.Sprintf("[%d, %d):Invalid", n, n+1))
}

// restart stops p, runs change on its stopped database and starts
// signetd again, with an empty tile cache.
func restart(t *testing.T, p *proc, bin string, env []string, change func()) *proc {
	t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	<-p.done
	change()
	return start(t, bin, env)
}

// flip returns h with one bit changed.
func flip(h [32]byte) [32]byte {
	h[0] ^= 1
	return h
}

// setHash sets the hash of row idx of table, as a database administrator
// with the database's password could.
func setHash(t *testing.T, dbURL, table string, idx int64, hash [32]byte) {
	t.Helper()
	ctx := context.Background()
	q := fmt.Sprintf("UPDATE %s SET hash = %%s WHERE idx = %d", table, idx)
	var n int64
	if file, ok := strings.CutPrefix(dbURL, "sqlite:"); ok {
		db, err := sql.Open("sqlite", file)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		res, err := db.ExecContext(ctx, fmt.Sprintf(q, "X'"+hex.EncodeToString(hash[:])+"'"))
		if err != nil {
			t.Fatal(err)
		}
		n, _ = res.RowsAffected()
	} else {
		db, err := pgx.Connect(ctx, dbURL)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close(ctx)
		tag, err := db.Exec(ctx, fmt.Sprintf(q, "decode('"+hex.EncodeToString(hash[:])+"', 'hex')"))
		if err != nil {
			t.Fatal(err)
		}
		n = tag.RowsAffected()
	}
	if n != 1 {
		t.Fatalf("%s: %d rows changed, want 1", q, n)
	}
}

// checkTileReader reads the log at addr through x/mod's TileHashReader,
// which checks every tile it fetches against the tree's root, for trees
// of several sizes: it must prove each root, and give for each the
// inclusion and consistency proofs that /v1/proof gives. Together the
// sizes make it fetch partial tiles at levels 0, 1 and 2.
func checkTileReader(t *testing.T, addr string, b *signettest.Bulk) {
	fetched := map[string]bool{}
	tiles := signettest.TileReader(func(path string) ([]byte, error) {
		fetched[path] = true
		return readBody(addr+"/tlog/"+path, 200)
	})
	for _, size := range []int64{1, 256, 257, 65535, 65536, 65537, 69999, tilesLogSize} {
		tree := b.Tree(t, size)
		r := tlog.TileHashReader(tree, tiles)
		if h, err := tlog.TreeHash(size, r); err != nil || h != tree.Hash {
			t.Fatalf("TreeHash(%d) through the tiles = %v, %v; want %v", size, h, err, tree.Hash)
		}
		for _, i := range []int64{0, size / 3, size - 1} {
			p, err := tlog.ProveRecord(size, i, r)
			if err != nil {
				t.Fatal(err)
			}
			var got struct{ Hashes []tlog.Hash }
			readJSON(t, fmt.Sprintf("%s/v1/proof/inclusion?index=%d&tree_size=%d", addr, i, size), &got)
			if !sameHashes(p, got.Hashes) {
				t.Errorf("inclusion of %d in %d: the tiles give %v, /v1/proof/inclusion %v", i, size, p, got.Hashes)
			}
		}
		for _, from := range []int64{1, size / 2, size} {
			if from < 1 {
				continue
			}
			p, err := tlog.ProveTree(size, from, r)
			if err != nil {
				t.Fatal(err)
			}
			var got struct{ Hashes []tlog.Hash }
			readJSON(t, fmt.Sprintf("%s/v1/proof/consistency?from=%d&to=%d", addr, from, size), &got)
			if !sameHashes(p, got.Hashes) {
				t.Errorf("consistency of %d with %d: the tiles give %v, /v1/proof/consistency %v", from, size, p, got.Hashes)
			}
		}
	}
	for _, want := range []string{"tile/0/273.p/112", "tile/1/001.p/17", "tile/2/000.p/1", "tile/0/256.p/1", "tile/0/001.p/1"} {
		if !fetched[want] {
			t.Errorf("TileHashReader never fetched %s; it fetched %v", want, fetched)
		}
	}
}

func sameHashes(a, b []tlog.Hash) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// readBody GETs url with the reader token and returns the body if the
// status is want.
func readBody(url string, want int) ([]byte, error) {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer reader")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err == nil && resp.StatusCode != want {
		err = fmt.Errorf("GET %s = %d %s", url, resp.StatusCode, b)
	}
	return b, err
}

func readJSON(t *testing.T, url string, v any) {
	t.Helper()
	b, err := readBody(url, 200)
	if err == nil {
		err = json.Unmarshal(b, v)
	}
	if err != nil {
		t.Fatal(err)
	}
}
