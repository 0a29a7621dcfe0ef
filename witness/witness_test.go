package witness_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/signet-ledger/signet"
	"github.com/signet-ledger/signet/audit"
	"github.com/signet-ledger/signet/internal/signettest"
	"github.com/signet-ledger/signet/ledger"
	"github.com/signet-ledger/signet/postgres"
	"github.com/signet-ledger/signet/witness"
)

// auditCopy audits the witness's copy of the log in dir with the log key
// and returns the summary.
func auditCopy(t *testing.T, dir, vkey string) *audit.Summary {
	t.Helper()
	c, err := witness.OpenLogCopy(dir, origin)
	if err != nil {
		t.Fatal(err)
	}
	r, err := c.Export()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	s, err := audit.Audit(context.Background(), r, audit.Options{LogKey: vkey})
	if err != nil {
		t.Fatalf("auditing the witness's copy: %v", err)
	}
	return s
}

func TestWitnessEndToEnd(t *testing.T) {
	k := newLogKey(t)
	e := server(t, k)
	grow(t, e, "alice", 10)
	dir := t.TempDir()
	x := startWitness(t, witnessKey(t), dir, logConfig(e, k))

	body, cp := request(t, e, 0)
	x.cosigned(x.post(body), cp)
	first := checkpointSize(t, cp)

	grow(t, e, "bob", 25) // several fetches of 7 records
	body, cp = request(t, e, first)
	cosignedNote := x.cosigned(x.post(body), cp)
	size := checkpointSize(t, cp)

	// The same checkpoint again, old = its size: cosigned again.
	again, _ := request(t, e, size)
	x.cosigned(x.post(again), cp)

	// The monitoring endpoint serves it with both signatures.
	sum := sha256.Sum256([]byte(origin))
	resp, err := http.Get(x.srv.URL + "/" + hex.EncodeToString(sum[:]) + "/checkpoint")
	if err != nil {
		t.Fatal(err)
	}
	mon, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !bytes.HasPrefix(mon, cp[:bytes.Index(cp, []byte("\n\n"))]) || !bytes.Contains(mon, []byte("— witness.test/w1 ")) {
		t.Errorf("GET /<origin hash>/checkpoint = %d %q, want the cosigned checkpoint", resp.StatusCode, mon)
	}
	_ = cosignedNote

	// The copy audits clean and restores the log: same checkpoint.
	s := auditCopy(t, dir, k.vkey)
	if s.Records != size || s.Checkpoint.Size != size {
		t.Errorf("audit of the copy: %d records, checkpoint %d; want %d", s.Records, s.Checkpoint.Size, size)
	}
	restored := importCopy(t, dir)
	if !bytes.Equal(restored, cp) {
		t.Errorf("the restored log's checkpoint is\n%s\nwant\n%s", restored, cp)
	}
}

// importCopy loads the copy into an empty PostgreSQL store with
// ledger.Import, as signetd import does, and returns its head's
// checkpoint.
func importCopy(t *testing.T, dir string) []byte {
	t.Helper()
	ctx := context.Background()
	c, err := witness.OpenLogCopy(dir, origin)
	if err != nil {
		t.Fatal(err)
	}
	dbURL := signettest.Schema(t)
	if err := postgres.Migrate(ctx, dbURL, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	store, err := postgres.Open(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	r, err := c.Export()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	cp, err := signet.ParseCheckpointUnverified([]byte(c.End.Checkpoint))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ledger.Import(ctx, store, signet.NewExportReader(r, 8<<20).Next, cp); err != nil {
		t.Fatalf("ledger.Import(the copy) = %v", err)
	}
	h, err := store.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return h.Checkpoint
}

func TestWitnessRefusals(t *testing.T) {
	k := newLogKey(t)
	e := server(t, k)
	grow(t, e, "alice", 5)
	dir := t.TempDir()
	x := startWitness(t, witnessKey(t), dir, logConfig(e, k))
	body, cp := request(t, e, 0)
	x.cosigned(x.post(body), cp)
	size := checkpointSize(t, cp)
	grow(t, e, "bob", 3)

	t.Run("409StaleOld", func(t *testing.T) {
		stale, _ := request(t, e, 0)
		a := x.post(stale)
		if a.status != http.StatusConflict || a.contentType != "text/x.tlog.size" || a.body != itoa(size)+"\n" {
			t.Errorf("add-checkpoint with old 0 = %d %q %q; want 409 text/x.tlog.size %q", a.status, a.contentType, a.body, itoa(size)+"\n")
		}
	})
	t.Run("403OtherLogKey", func(t *testing.T) {
		other := server(t, newLogKey(t)) // same origin, another key
		grow(t, other, "mallory", 2)
		b, _ := request(t, other, size)
		if a := x.post(b); a.status != http.StatusForbidden {
			t.Errorf("a checkpoint signed by another key = %d %q, want 403", a.status, a.body)
		}
	})
	t.Run("404UnknownOrigin", func(t *testing.T) {
		b, _ := request(t, e, size)
		b = bytes.Replace(b, []byte(origin+"\n"), []byte("elsewhere.test/log\n"), 1)
		if a := x.post(b); a.status != http.StatusNotFound {
			t.Errorf("an unknown origin = %d %q, want 404", a.status, a.body)
		}
	})
	t.Run("400OldBeyondSize", func(t *testing.T) {
		_, cp := request(t, e, 0)
		b := (&signet.AddCheckpointRequest{OldSize: checkpointSize(t, cp) + 1, Checkpoint: cp}).Marshal()
		if a := x.post(b); a.status != http.StatusBadRequest {
			t.Errorf("old beyond the size = %d %q, want 400", a.status, a.body)
		}
	})
	t.Run("422BadProof", func(t *testing.T) {
		b, cp := request(t, e, size)
		req, err := signet.ParseAddCheckpoint(b)
		if err != nil {
			t.Fatal(err)
		}
		req.Proof[0][0] ^= 1
		if a := x.post(req.Marshal()); a.status != http.StatusUnprocessableEntity {
			t.Errorf("a bad proof = %d %q, want 422", a.status, a.body)
		}
		wantEvidence(t, dir, "proof", cp)
	})
	t.Run("422Fork", func(t *testing.T) {
		fork := server(t, k) // the same log key, another history
		grow(t, fork, "mallory", 12)
		b, cp := request(t, fork, size)
		if a := x.post(b); a.status != http.StatusUnprocessableEntity {
			t.Errorf("a fork's checkpoint = %d %q, want 422", a.status, a.body)
		}
		wantEvidence(t, dir, "proof", cp)
		// A fork of the same size as the cosigned checkpoint.
		small := server(t, k)
		grow(t, small, "mallory", int(size-1))
		b, cp = request(t, small, size)
		if a := x.post(b); a.status != http.StatusUnprocessableEntity {
			t.Errorf("a fork of equal size = %d %q, want 422", a.status, a.body)
		}
		wantEvidence(t, dir, "root", cp)
	})
	t.Run("422ForkAgainstTheCopy", func(t *testing.T) {
		// A fresh witness has cosigned nothing, so the spec's checks pass;
		// its copy of e holds the records, and their root differs.
		fresh := startWitness(t, witnessKey(t), t.TempDir(), logConfig(e, k))
		waitCopy(t, fresh, e.Size(t))
		small := server(t, k)
		grow(t, small, "mallory", 2)
		b, cp := request(t, small, 0)
		if a := fresh.post(b); a.status != http.StatusUnprocessableEntity || !strings.Contains(a.body, "fork") {
			t.Errorf("a fork's checkpoint smaller than the copy = %d %q, want 422 fork", a.status, a.body)
		}
		wantEvidence(t, fresh.dir, "fork", cp)
	})
	t.Run("400Garbage", func(t *testing.T) {
		for _, b := range []string{"", "old", "old 1\n", "\x00\xff", "old 0\n\n" + origin + "\nnot a note\n", "old 0\n\n" + origin + "\n2\nbad\n\n— x y\n", strings.Repeat("x", 70<<10)} {
			if a := x.post([]byte(b)); a.status != http.StatusBadRequest {
				t.Errorf("add-checkpoint %q = %d %q, want 400", trunc(b), a.status, a.body)
			}
		}
	})
	// The honest log still gets cosigned after all that.
	b, cp := request(t, e, size)
	x.cosigned(x.post(b), cp)
}

func trunc(s string) string { return s[:min(len(s), 40)] }

// waitCopy waits until x's copy holds size records.
func waitCopy(t *testing.T, x *wit, size int64) {
	t.Helper()
	for range 100 {
		if n, _, _, _ := x.w.Size(origin); n >= size {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("the witness's copy did not reach %d records", size)
}

func itoa(n int64) string { return strconvItoa(n) }

// wantEvidence checks that the log's evidence holds a refusal of kind
// keeping the presented checkpoint cp.
func wantEvidence(t *testing.T, dir, kind string, cp []byte) {
	t.Helper()
	dirs, _ := filepath.Glob(filepath.Join(dir, "logs", "*", "evidence", kind+"-*"))
	for _, d := range dirs {
		if b, err := os.ReadFile(filepath.Join(d, "presented.checkpoint")); err == nil && bytes.Equal(b, cp) {
			if _, err := os.Stat(filepath.Join(d, "reason.txt")); err != nil {
				t.Errorf("evidence %s has no reason.txt", d)
			}
			return
		}
	}
	t.Errorf("no %s evidence holds the presented checkpoint (found %v)", kind, dirs)
}

func TestWitnessRestart(t *testing.T) {
	k := newLogKey(t)
	e := server(t, k)
	grow(t, e, "alice", 9)
	dir, skey := t.TempDir(), witnessKey(t)
	x := startWitness(t, skey, dir, logConfig(e, k))
	body, cp := request(t, e, 0)
	x.cosigned(x.post(body), cp)
	size := checkpointSize(t, cp)

	// Two witnesses cannot share a state dir.
	if _, err := witness.New(witness.Config{Key: skey, StateDir: dir, Logs: []witness.LogConfig{logConfig(e, k)}}); err == nil || !strings.Contains(err.Error(), "another process") {
		t.Errorf("a second witness on the state dir = %v, want ErrLocked", err)
	}
	x.stop()

	// A crash mid-update: a new state written but not renamed, and
	// segment bytes that never committed.
	ldir := filepath.Join(dir, "logs", "signet.test%2Flog")
	st, err := os.ReadFile(filepath.Join(ldir, "state.json"))
	if err != nil {
		t.Fatal(err)
	}
	forged := bytes.Replace(st, []byte(`"size": `+itoa(size)), []byte(`"size": 1`), -1)
	if err := os.WriteFile(filepath.Join(ldir, "state.json.tmp-123"), forged, 0o600); err != nil {
		t.Fatal(err)
	}
	segs, _ := filepath.Glob(filepath.Join(ldir, "copy", "*.ndjson"))
	f, err := os.OpenFile(segs[len(segs)-1], os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"index":999,"half a line`)
	f.Close()

	grow(t, e, "bob", 4)
	x = startWitness(t, skey, dir, logConfig(e, k))
	stale, _ := request(t, e, 0)
	if a := x.post(stale); a.status != http.StatusConflict || a.body != itoa(size)+"\n" {
		t.Errorf("after a restart, old 0 = %d %q; want 409 %d: the cosigned size survived", a.status, a.body, size)
	}
	body, cp = request(t, e, size)
	x.cosigned(x.post(body), cp)
	if s := auditCopy(t, dir, k.vkey); s.Records != checkpointSize(t, cp) {
		t.Errorf("after a crash and restart the copy audits with %d records, want %d", s.Records, checkpointSize(t, cp))
	}
	if _, err := os.Stat(filepath.Join(ldir, "state.json.tmp-123")); err == nil {
		t.Error("the uncommitted state file is still there")
	}
}

func TestWitnessRefusesRuleBreak(t *testing.T) {
	k := newLogKey(t)
	e := server(t, k)
	alice := grow(t, e, "alice", 4)
	dir := t.TempDir()
	x := startWitness(t, witnessKey(t), dir, logConfig(e, k))
	body, cp := request(t, e, 0)
	x.cosigned(x.post(body), cp)
	size := checkpointSize(t, cp)

	writeBehindRules(t, e, k, "alice", alice)
	e2 := e.Second(t) // a server that reads the rewritten head afresh
	body, cp = request(t, e2, size)
	a := x.post(body)
	if a.status != http.StatusUnprocessableEntity {
		t.Fatalf("a checkpoint over a record that breaks R18 = %d %q, want 422", a.status, a.body)
	}
	if !strings.Contains(a.body, "R18") {
		t.Errorf("the refusal %q does not name R18", a.body)
	}
	wantEvidence(t, dir, "records", cp)
	ev, _ := filepath.Glob(filepath.Join(dir, "logs", "*", "evidence", "records-*", "records.ndjson"))
	if len(ev) == 0 {
		t.Fatal("no records.ndjson in the evidence")
	}
	if b, _ := os.ReadFile(ev[0]); !bytes.Contains(b, []byte("999999.00")) {
		t.Errorf("the evidence's records do not hold the bad record:\n%s", b)
	}
	// The refusal is for good, across a restart; the copy stays clean.
	x.stop()
	x = startWitness(t, witnessKey(t), dir, witness.LogConfig{VerifierKey: k.vkey, URL: e2.URL})
	if a := x.post(body); a.status != http.StatusUnprocessableEntity {
		t.Errorf("after a restart, the refused log = %d %q, want 422", a.status, a.body)
	}
	auditCopy(t, dir, k.vkey)
	time.Sleep(0)
}
