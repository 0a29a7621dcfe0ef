package ledger_test

import (
	"bufio"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/signet-ledger/signet/internal/signettest"
	"github.com/signet-ledger/signet/keys"
	"github.com/signet-ledger/signet/ledger"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// docFields parses a block of "name: value" lines.
func docFields(t *testing.T, name string) map[string]string {
	m := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(signettest.ProtocolBlock(t, name)))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ": ")
		if ok {
			m[k] = v
		}
	}
	return m
}

// TestProtocolRecordExample recomputes the worked record example of
// docs/PROTOCOL.md from its inputs.
func TestProtocolRecordExample(t *testing.T) {
	f := docFields(t, "example-record")
	idx, _ := strconv.ParseInt(f["index"], 10, 64)
	us, _ := strconv.ParseInt(f["integrated_us"], 10, 64)
	tm, err := time.Parse(time.RFC3339Nano, f["integrated_time"])
	if err != nil || tm.UnixMicro() != us {
		t.Fatalf("integrated_time %q = %d µs, want %d", f["integrated_time"], tm.UnixMicro(), us)
	}
	prev, err := ledger.ParseHash(f["prev_hash"])
	if err != nil {
		t.Fatal(err)
	}
	r := &ledger.Record{Index: idx, Kind: ledger.Kind(f["kind"]), PrevHash: prev, Signer: f["signer"], KID: f["kid"],
		IntegratedTime: time.UnixMicro(us), Protected: f["protected"], Payload: f["payload"], Signature: f["signature"]}
	if got := ledger.RecordHash(r).String(); got != f["hash"] {
		t.Errorf("RecordHash(example) = %s, want %s", got, f["hash"])
	}
	if got := ledger.LeafHash(ledger.RecordHash(r)).String(); got != f["leaf_hash"] {
		t.Errorf("LeafHash(example) = %s, want %s", got, f["leaf_hash"])
	}
	j, err := r.JWS()
	if err != nil {
		t.Fatal(err)
	}
	pub, err := keys.ParseJWK([]byte(`{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}`))
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Verify(pub); err != nil || j.Header.Kid != pub.Thumbprint() || pub.Thumbprint() != f["kid"] {
		t.Errorf("example JWS: Verify = %v, kid %q, thumbprint %q", err, j.Header.Kid, pub.Thumbprint())
	}
}

// TestProtocolTreeExample checks the worked tree, proof and checkpoint
// examples of docs/PROTOCOL.md.
func TestProtocolTreeExample(t *testing.T) {
	f := docFields(t, "example-tree")
	hashes := map[int64]tlog.Hash{}
	read := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			out[i] = hashes[x]
		}
		return out, nil
	})
	for i := int64(0); i < 3; i++ {
		h, err := ledger.ParseHash(f["record_hash "+strconv.FormatInt(i, 10)])
		if err != nil {
			t.Fatal(err)
		}
		leaf := ledger.LeafHash(h)
		if leaf.String() != f["leaf_hash "+strconv.FormatInt(i, 10)] {
			t.Errorf("LeafHash(record %d) = %s, want %s", i, leaf, f["leaf_hash "+strconv.FormatInt(i, 10)])
		}
		sh, err := tlog.StoredHashesForRecordHash(i, leaf, read)
		if err != nil {
			t.Fatal(err)
		}
		for k, x := range sh {
			hashes[tlog.StoredHashIndex(0, i)+int64(k)] = x
		}
	}
	root2, _ := tlog.TreeHash(2, read)
	root3, _ := tlog.TreeHash(3, read)
	if root2.String() != f["root 2"] || root3.String() != f["root 3"] {
		t.Errorf("roots = %s, %s; want %s, %s", root2, root3, f["root 2"], f["root 3"])
	}
	incl := parseHashes(t, f["inclusion 1 in 3"])
	leaf1, _ := tlog.ParseHash(f["leaf_hash 1"])
	if err := tlog.CheckRecord(incl, 3, root3, 1, leaf1); err != nil {
		t.Errorf("CheckRecord(example inclusion) = %v", err)
	}
	cons := parseHashes(t, f["consistency 2 to 3"])
	if err := tlog.CheckTree(cons, 3, root3, 2, root2); err != nil {
		t.Errorf("CheckTree(example consistency) = %v", err)
	}
	v, err := note.NewVerifier(f["verifier_key"])
	if err != nil {
		t.Fatal(err)
	}
	cp, err := ledger.OpenCheckpoint([]byte(strings.TrimLeft(signettest.ProtocolBlock(t, "example-checkpoint"), "\n")), "signet.example/log", v)
	if err != nil {
		t.Fatalf("OpenCheckpoint(example) = %v", err)
	}
	if cp.Size != 3 || cp.Root != root3 {
		t.Errorf("example checkpoint = size %d root %s, want 3 %s", cp.Size, cp.Root, root3)
	}
}

func parseHashes(t *testing.T, s string) []tlog.Hash {
	var out []tlog.Hash
	for _, w := range strings.Fields(s) {
		h, err := tlog.ParseHash(w)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, h)
	}
	return out
}
