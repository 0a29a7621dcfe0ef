package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"testing"
	"time"

	"github.com/signet-ledger/signet"
	"github.com/signet-ledger/signet/keys"
	"github.com/signet-ledger/signet/ledger"
	"golang.org/x/mod/sumdb/tlog"
)

func TestRunUsage(t *testing.T) {
	var out, errw bytes.Buffer
	if err := Run(context.Background(), nil, &out, &errw); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("Run() = %v, want flag.ErrHelp", err)
	}
	if err := Run(context.Background(), []string{"fly"}, &out, &errw); err == nil {
		t.Errorf("Run(fly) = nil, want an error")
	}
	if err := Run(context.Background(), []string{"run", "--levels", "0"}, &out, &errw); err == nil {
		t.Errorf("Run(run --levels 0) = nil, want an error")
	}
}

func TestQuantile(t *testing.T) {
	var l latencies
	for i := 100; i >= 1; i-- {
		l = append(l, time.Duration(i)*time.Millisecond)
	}
	for _, c := range []struct {
		q    float64
		want time.Duration
	}{{0.5, 50 * time.Millisecond}, {0.95, 95 * time.Millisecond}, {0.99, 99 * time.Millisecond}, {1, 100 * time.Millisecond}} {
		if got := l.quantile(c.q); got != c.want {
			t.Errorf("quantile(%v) = %v, want %v", c.q, got, c.want)
		}
	}
	if got := median([]float64{3, 1, 2, 10}); got != 2 {
		t.Errorf("median = %v, want 2", got)
	}
}

func TestBenchPayload(t *testing.T) {
	for _, size := range []int{60, 300, 1000} {
		p := benchPayload("bench-x-1-abcdef", 123456789, size)
		if len(p) != size || !json.Valid(p) {
			t.Errorf("benchPayload(%d) = %d bytes, valid %v", size, len(p), json.Valid(p))
		}
		if err := signet.CheckEntryPayload(p); err != nil {
			t.Errorf("benchPayload(%d) is refused: %v", size, err)
		}
	}
}

func TestBatchCreated(t *testing.T) {
	ok := `{"results":[{"status":201,"entry":{}},{"status":201,"entry":{}}]}`
	if n, err := batchCreated([]byte(ok), 2); n != 2 || err != nil {
		t.Errorf("batchCreated(two created) = %d, %v", n, err)
	}
	mixed := `{"results":[{"status":201,"entry":{}},{"status":400,"problem":{"type":"x"}}]}`
	n, err := batchCreated([]byte(mixed), 2)
	var h *httpError
	if n != 1 || !errors.As(err, &h) || h.status != 400 {
		t.Errorf("batchCreated(one refused) = %d, %v", n, err)
	}
}

// TestLoaderTree checks the loader's in-memory frontier against tlog: the
// root it computes after appending in chunks is the root of all records.
func TestLoaderTree(t *testing.T) {
	l := &loadedLog{hashes: map[int64]tlog.Hash{}}
	all := map[int64]tlog.Hash{}
	var leaves []tlog.Hash
	reader := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			out[i] = all[x]
		}
		return out, nil
	})
	n := int64(0)
	for _, chunk := range []int{1, 2, 5, 100, 37} {
		for range chunk {
			h := tlog.RecordHash([]byte(fmt.Sprint(n)))
			leaves = append(leaves, h)
			sh, err := tlog.StoredHashesForRecordHash(n, h, l)
			if err != nil {
				t.Fatalf("StoredHashesForRecordHash(%d) = %v", n, err)
			}
			for k, x := range sh {
				i := tlog.StoredHashIndex(0, n) + int64(k)
				l.hashes[i], all[i] = x, x
			}
			n++
		}
		got, err := tlog.TreeHash(n, l)
		want, _ := tlog.TreeHash(n, reader)
		if err != nil || got != want {
			t.Fatalf("TreeHash(%d) = %v, %v, want %v", n, got, err, want)
		}
		keep := map[int64]tlog.Hash{}
		for _, i := range ledger.Frontier(n) {
			keep[i] = l.hashes[i]
		}
		l.hashes = keep
	}
}

// TestLoadedEntryVerifies checks that a loaded entry is what the server
// would accept: its JWS parses and verifies with the signer's key.
func TestLoadedEntryVerifies(t *testing.T) {
	k, err := keys.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	m := newEntryMaker([]benchSigner{{id: "bench-1", key: k}}, 300)
	recs := m.sign(0, 3)
	seen := map[string]bool{}
	for _, r := range recs {
		j, err := r.JWS()
		if err != nil {
			t.Fatalf("JWS() = %v", err)
		}
		if err := j.Verify(k.Public()); err != nil {
			t.Errorf("Verify = %v", err)
		}
		if j.Header.Nonce != r.Nonce || seen[r.Nonce] || r.KID != k.Public().Thumbprint() {
			t.Errorf("record %+v: nonce or kid wrong", r)
		}
		seen[r.Nonce] = true
	}
}

func TestFloodUsage(t *testing.T) {
	var out, errw bytes.Buffer
	for _, args := range [][]string{
		{"flood"},
		{"flood", "--signetd", "x", "--database-url", "y", "--conditions", "quiet,storm"},
		{"flood", "--signetd", "x", "--database-url", "y", "--batch-size", "1001"},
		{"flood", "--signetd", "x", "--database-url", "y", "--attackers", "0"},
	} {
		if err := Run(context.Background(), args, &out, &errw); err == nil {
			t.Errorf("Run(%q) = nil, want an error", args)
		}
	}
}

// TestForgedEntries checks that a forged entry is what the flood means
// it to be: a well-formed JWS under the victim's kid that does not verify
// with the victim's key.
func TestForgedEntries(t *testing.T) {
	victim, other := mustKey(t), mustKey(t)
	es, err := forge(other, benchSigner{id: "victim", key: victim}, "nonce", "http://127.0.0.1:1/v1/entries", 2)
	if err != nil || len(es) != 2 {
		t.Fatalf("forge = %d entries, %v", len(es), err)
	}
	for _, e := range es {
		j, err := keys.ParseFlattened(e.body)
		if err != nil {
			t.Fatalf("ParseFlattened(forged) = %v", err)
		}
		if j.Header.Kid != victim.Public().Thumbprint() {
			t.Errorf("forged kid = %q, want the victim's", j.Header.Kid)
		}
		if err := j.Verify(victim.Public()); !errors.Is(err, keys.ErrBadSignature) {
			t.Errorf("Verify(victim) = %v, want keys.ErrBadSignature", err)
		}
	}
}

// TestRawBatch checks that the batches built as text parse, entry by
// entry, with the kids asked for, thumbprint-shaped or not.
func TestRawBatch(t *testing.T) {
	f := &flood{cfg: floodConfig{BatchSize: 3}, nonce: "n0nce",
		victim: &target{base: "http://127.0.0.1:1", signers: []benchSigner{{id: "victim", key: mustKey(t)}}}}
	body := f.unknownKidBatch(7)
	var in struct{ Entries []json.RawMessage }
	if err := json.Unmarshal(body, &in); err != nil || len(in.Entries) != 3 {
		t.Fatalf("unknownKidBatch = %d entries, %v", len(in.Entries), err)
	}
	for _, raw := range in.Entries {
		j, err := keys.ParseFlattened(raw)
		if err != nil {
			t.Fatalf("ParseFlattened = %v", err)
		}
		if !keys.IsThumbprint(j.Header.Kid) || j.Header.Nonce != "n0nce" || j.Header.URL != "http://127.0.0.1:1/v1/entries" {
			t.Errorf("header = %+v, want a thumbprint-shaped kid, the nonce and the url", j.Header)
		}
	}
}

func TestCountAnswers(t *testing.T) {
	n := attackCount{entries: map[string]int{}, whole: map[string]int{}}
	batch := `{"results":[{"status":201,"entry":{"index":1}},` +
		`{"status":429,"problem":{"type":"urn:signet:error:rateLimited","title":"t","status":429}},` +
		`{"status":400,"problem":{"type":"urn:signet:error:badSignature","title":"t","status":400}}]}`
	n.count(200, nil, []byte(batch))
	n.count(429, nil, []byte(`{"type":"urn:signet:error:rateLimited","title":"t","status":429}`))
	n.count(0, errors.New("reset"), nil)
	want := "201: 1, 400 badSignature: 1, 429 rateLimited: 1, whole 429 rateLimited: 1, whole transport: 1"
	if got := n.String(); got != want || n.batches != 3 {
		t.Errorf("counts = %q after %d answers, want %q after 3", got, n.batches, want)
	}
	if got := xffAddr(10, 70000); got != "10.1.17.112" {
		t.Errorf("xffAddr(10, 70000) = %q", got)
	}
}

func mustKey(t *testing.T) keys.PrivateKey {
	k, err := keys.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestVerifyCeiling(t *testing.T) {
	if c, perCPU := verifyCeiling(50 * time.Millisecond); c <= 0 || perCPU <= 0 {
		t.Fatalf("verifyCeiling = %v, %v, want > 0", c, perCPU)
	}
	if r := ratio(10, 0); r != 0 {
		t.Errorf("ratio(10, 0) = %v, want 0", r)
	}
}
