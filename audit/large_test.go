package audit_test

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/signet-ledger/signet/audit"
	"github.com/signet-ledger/signet/keys"
)

// TestAuditLargeConstantMemory audits a generated log of 100,000 records
// and checks that the heap stays bounded while it does: the audit keeps
// O(log n) tree hashes and a bounded pipeline, never the records.
func TestAuditLargeConstantMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("generates and audits 100,000 records")
	}
	const n = 100_000
	const limit = 64 << 20
	path := filepath.Join(t.TempDir(), "export.ndjson")
	logKey, size := writeLargeExport(t, path, n)
	runtime.GC()

	var peak atomic.Uint64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			if m.HeapInuse > peak.Load() {
				peak.Store(m.HeapInuse)
			}
			select {
			case <-stop:
				return
			case <-time.After(10 * time.Millisecond):
			}
		}
	}()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s, err := audit.Audit(context.Background(), f, audit.Options{LogKey: logKey})
	close(stop)
	<-sampled
	if err != nil {
		t.Fatalf("Audit = %v", err)
	}
	if s.Records != n || s.Signers != 2 || s.Keys != 3 || s.Revoked != 1 {
		t.Errorf("Audit = %d records, %d signers, %d keys (%d revoked); want %d, 2, 3 (1)", s.Records, s.Signers, s.Keys, s.Revoked, n)
	}
	t.Logf("audited %d records (%.0f MiB) in %v with %d workers: %.0f records/s; peak heap in use %.1f MiB",
		s.Records, float64(size)/(1<<20), s.Elapsed.Round(time.Millisecond), runtime.GOMAXPROCS(0), s.Rate(), float64(peak.Load())/(1<<20))
	if p := peak.Load(); p > limit {
		t.Errorf("peak HeapInuse = %.1f MiB, want < %d MiB", float64(p)/(1<<20), limit>>20)
	}
}

// writeLargeExport writes a valid export of n records to path: two
// signers, a key rotation half way, and entries. It returns the log key
// and the file's size.
func writeLargeExport(t testing.TB, path string, n int) (string, int64) {
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	g := newGen(t, f)
	alice, bob := g.register("alice"), g.register("bob")
	g.entries("alice", alice, n/2-2)
	alice2, _ := keys.GenerateKey()
	g.addKey("alice", alice, alice2)
	g.revoke("alice", alice2, alice.Public().Thumbprint())
	g.entries("bob", bob, n/4)
	g.entries("alice", alice2, n-int(g.n))
	g.close()
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	return g.logKey, st.Size()
}

// TestWriteCraftedExport writes, when SIGNET_CRAFTED_EXPORT names a file,
// a valid export of 200 entries with payloads of about 4 MiB each (lines
// of about 9.5 MiB), and the log key beside it (".key"): the input of the
// memory measurement in docs/PERFORMANCE.md. It is not run otherwise.
func TestWriteCraftedExport(t *testing.T) {
	path := os.Getenv("SIGNET_CRAFTED_EXPORT")
	if path == "" {
		t.Skip("set SIGNET_CRAFTED_EXPORT=FILE to write the crafted export")
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	g := newGen(t, f)
	k := g.register("alice")
	blob := strings.Repeat("x", 4<<20)
	for range 200 {
		g.entry("alice", k, `{"blob":"`+blob+`"}`)
	}
	g.close()
	if err := os.WriteFile(path+".key", []byte(g.logKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
}
