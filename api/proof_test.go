package api_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/signet-ledger/signet/client"
	"github.com/signet-ledger/signet/internal/signettest"
	"github.com/signet-ledger/signet/ledger"
	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"golang.org/x/mod/sumdb/tlog"
)

// proofClient is a client whose transport keeps enough idle connections
// for the parallel proof fetchers.
func proofClient(e *signettest.Env) *client.Client {
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 32}}
	return client.New(e.URL, client.WithHTTPClient(hc), client.WithAdminToken(e.AdminToken))
}

func hashSlices(p []tlog.Hash) [][]byte {
	out := make([][]byte, len(p))
	for i := range p {
		out[i] = p[i][:]
	}
	return out
}

// leafOf is the RFC 6962 leaf hash of the record whose hash is hexHash,
// computed here rather than by the ledger: SHA-256(0x00 || record hash).
func leafOf(t *testing.T, hexHash string) tlog.Hash {
	t.Helper()
	b, err := hex.DecodeString(hexHash)
	if err != nil || len(b) != 32 {
		t.Fatalf("record hash %q is not 32 bytes of hex", hexHash)
	}
	return sha256.Sum256(append([]byte{0}, b...))
}

// failures collects errors from worker goroutines and reports the first few.
type failures struct {
	n    atomic.Int64
	mu   sync.Mutex
	msgs []string
}

func (f *failures) add(format string, args ...any) {
	if f.n.Add(1) <= 10 {
		f.mu.Lock()
		f.msgs = append(f.msgs, fmt.Sprintf(format, args...))
		f.mu.Unlock()
	}
}

func (f *failures) report(t *testing.T, what string) {
	t.Helper()
	if n := f.n.Load(); n > 0 {
		t.Errorf("%d of the %s failed; the first:\n%s", n, what, strings.Join(f.msgs, "\n"))
	}
}

// parallel runs do(job) for every job with workers goroutines.
func parallel[J any](jobs []J, workers int, do func(J)) {
	ch := make(chan J)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for j := range ch {
				do(j)
			}
		})
	}
	for _, j := range jobs {
		ch <- j
	}
	close(ch)
	wg.Wait()
}

// checkpoints remembers the verified checkpoint of every tree size an
// append answer carried.
type checkpoints struct {
	e      *signettest.Env
	bySize map[int64]*ledger.Checkpoint
	leaf   map[int64]tlog.Hash // leaf hash each append answer's proof named
}

// add checks one append answer: its checkpoint verifies with the log key,
// its inclusion proof names its index and the checkpoint's size and
// verifies against the checkpoint's root with the merkle library.
func (c *checkpoints) add(t *testing.T, note string, p client.InclusionProof, index int64) {
	t.Helper()
	cp, err := ledger.OpenCheckpoint([]byte(note), c.e.Origin, c.e.Verifier)
	if err != nil {
		t.Fatalf("append of %d: OpenCheckpoint = %v", index, err)
	}
	if old := c.bySize[cp.Size]; old != nil && old.Root != cp.Root {
		t.Fatalf("two checkpoints of size %d have different roots", cp.Size)
	}
	c.bySize[cp.Size] = cp
	if p.LogIndex != index || p.TreeSize != cp.Size || index >= cp.Size {
		t.Fatalf("append of %d: inclusion_proof for index %d in tree %d, checkpoint size %d", index, p.LogIndex, p.TreeSize, cp.Size)
	}
	if err := proof.VerifyInclusion(rfc6962.DefaultHasher, uint64(index), uint64(cp.Size), p.LeafHash[:], hashSlices(p.Hashes), cp.Root[:]); err != nil {
		t.Errorf("append of %d: its inclusion proof does not verify against its own checkpoint: %v", index, err)
	}
	c.leaf[index] = p.LeafHash
}

// TestProofsVerifyWithMerkleLibraryForEverySizeTo300 appends 300 records one
// at a time through HTTP, keeping the checkpoint of every size 1..300 from
// the append answers, and checks with github.com/transparency-dev/merkle,
// an implementation independent of the tlog code the server uses:
//   - every checkpoint's root equals the root merkle computes from the
//     leaves SHA-256(0x00 || record hash) of GET /v1/entries/{i};
//   - every append answer's inclusion proof verifies against its own
//     checkpoint;
//   - all 45,150 inclusion proofs (i < t <= 300) and all 45,150
//     consistency proofs (1 <= m <= n <= 300) from Log.ProveInclusion and
//     Log.ProveConsistency on the PostgreSQL store, the code behind the
//     proof endpoints;
//   - for every size t, inclusion proofs of the first, the last and a
//     random leaf from GET /v1/proof/inclusion, and consistency proofs
//     from 1, from t and from a random size from GET /v1/proof/consistency.
func TestProofsVerifyWithMerkleLibraryForEverySizeTo300(t *testing.T) {
	const n = 300
	e := signettest.New(t, signettest.Options{})
	ctx := context.Background()
	c := proofClient(e)
	cps := &checkpoints{e: e, bySize: map[int64]*ledger.Checkpoint{}, leaf: map[int64]tlog.Hash{}}

	start := time.Now()
	key := signettest.Key(t)
	ev, err := c.Register(ctx, "prover", key, nil)
	if err != nil {
		t.Fatal(err)
	}
	cps.add(t, ev.Checkpoint, ev.InclusionProof, ev.LogIndex)
	// Sequential appends: each is its own batch, so every size 1..n has a
	// checkpoint.
	for i := int64(1); i < n; i++ {
		a, err := c.Submit(ctx, key, fmt.Appendf(nil, `{"n":%d}`, i))
		if err != nil {
			t.Fatalf("Submit %d = %v", i, err)
		}
		if a.Index != i {
			t.Fatalf("Submit %d: index %d", i, a.Index)
		}
		if got := leafOf(t, a.Hash); got != a.InclusionProof.LeafHash {
			t.Errorf("Submit %d: inclusion_proof.leaf_hash = %x, SHA-256(0x00||hash) = %x", i, a.InclusionProof.LeafHash, got)
		}
		cps.add(t, a.Checkpoint, a.InclusionProof, a.Index)
	}
	t.Logf("appended %d records in %v", n, time.Since(start))
	for s := int64(1); s <= n; s++ {
		if cps.bySize[s] == nil {
			t.Fatalf("no append answer carried a checkpoint of size %d", s)
		}
	}

	// Leaves from the records themselves; roots from the merkle library.
	leaves := make([]tlog.Hash, n)
	rf := &compact.RangeFactory{Hash: rfc6962.DefaultHasher.HashChildren}
	cr := rf.NewEmptyRange(0)
	for i := range int64(n) {
		r, err := c.Entry(ctx, i)
		if err != nil {
			t.Fatalf("Entry(%d) = %v", i, err)
		}
		leaves[i] = leafOf(t, r.Hash)
		if leaves[i] != cps.leaf[i] {
			t.Errorf("record %d: SHA-256(0x00||hash) = %x, its append answer said %x", i, leaves[i], cps.leaf[i])
		}
		cr.Append(leaves[i][:], nil)
		root, err := cr.GetRootHash(nil)
		if err != nil {
			t.Fatal(err)
		}
		if cp := cps.bySize[i+1]; string(root) != string(cp.Root[:]) {
			t.Errorf("checkpoint of size %d: root %x, merkle computes %x from the records", i+1, cp.Root, root)
		}
	}
	latest, err := c.Checkpoint(ctx)
	if err != nil || string(latest) != string(cps.bySize[n].Note) {
		t.Errorf("GET /v1/checkpoint = %q, %v; want the checkpoint of size %d", latest, err, n)
	}

	// Every pair through the ledger's proof code on the real store, and
	// for every tree size a sample through HTTP: 90,300 proofs over HTTP
	// take too long on a loaded machine.
	type pair struct{ a, b int64 }
	var incl, cons, inclHTTP, consHTTP []pair
	rnd := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	for size := int64(1); size <= n; size++ {
		for i := range size {
			incl = append(incl, pair{i, size})
			cons = append(cons, pair{i + 1, size})
		}
		inclHTTP = append(inclHTTP, pair{0, size}, pair{size - 1, size}, pair{rnd.Int64N(size), size})
		consHTTP = append(consHTTP, pair{1, size}, pair{size, size}, pair{1 + rnd.Int64N(size), size})
	}
	var fails failures
	checkInclusion := func(src string, i, size int64, leaf tlog.Hash, hashes []tlog.Hash) {
		if leaf != leaves[i] {
			fails.add("%s(%d, %d): leaf hash %x, want SHA-256(0x00||hash) = %x", src, i, size, leaf, leaves[i])
		}
		root := cps.bySize[size].Root
		if err := proof.VerifyInclusion(rfc6962.DefaultHasher, uint64(i), uint64(size), leaves[i][:], hashSlices(hashes), root[:]); err != nil {
			fails.add("%s(%d, %d) does not verify: %v", src, i, size, err)
		}
	}
	checkConsistency := func(src string, from, to int64, hashes []tlog.Hash) {
		r1, r2 := cps.bySize[from].Root, cps.bySize[to].Root
		if err := proof.VerifyConsistency(rfc6962.DefaultHasher, uint64(from), uint64(to), hashSlices(hashes), r1[:], r2[:]); err != nil {
			fails.add("%s(%d, %d) does not verify: %v", src, from, to, err)
		}
	}

	start = time.Now()
	parallel(incl, 4, func(p pair) {
		ip, err := e.Log.ProveInclusion(ctx, p.a, p.b)
		if err != nil {
			fails.add("Log.ProveInclusion(%d, %d) = %v", p.a, p.b, err)
			return
		}
		if ip.Index != p.a || ip.TreeSize != p.b {
			fails.add("Log.ProveInclusion(%d, %d) = index %d size %d", p.a, p.b, ip.Index, ip.TreeSize)
		}
		checkInclusion("Log.ProveInclusion", p.a, p.b, ip.LeafHash, ip.Proof)
	})
	parallel(cons, 4, func(p pair) {
		cp, err := e.Log.ProveConsistency(ctx, p.a, p.b)
		if err != nil {
			fails.add("Log.ProveConsistency(%d, %d) = %v", p.a, p.b, err)
			return
		}
		if cp.From != p.a || cp.To != p.b {
			fails.add("Log.ProveConsistency(%d, %d) = from %d to %d", p.a, p.b, cp.From, cp.To)
		}
		checkConsistency("Log.ProveConsistency", p.a, p.b, cp.Proof)
	})
	fails.report(t, fmt.Sprintf("%d inclusion and %d consistency proofs of the ledger", len(incl), len(cons)))
	t.Logf("checked %d inclusion and %d consistency proofs of the ledger in %v", len(incl), len(cons), time.Since(start))

	start = time.Now()
	fails = failures{}
	parallel(inclHTTP, 4, func(p pair) {
		i, size := p.a, p.b
		ip, err := c.InclusionProof(ctx, i, size)
		if err != nil {
			fails.add("GET inclusion(%d, %d) = %v", i, size, err)
			return
		}
		if ip.LogIndex != i || ip.TreeSize != size {
			fails.add("GET inclusion(%d, %d) = index %d size %d", i, size, ip.LogIndex, ip.TreeSize)
		}
		if (size == n) != (ip.Checkpoint != "") || size == n && ip.Checkpoint != string(cps.bySize[n].Note) {
			fails.add("GET inclusion(%d, %d).checkpoint = %q", i, size, ip.Checkpoint)
		}
		checkInclusion("GET inclusion", i, size, ip.LeafHash, ip.Hashes)
	})
	parallel(consHTTP, 4, func(p pair) {
		from, to := p.a, p.b
		cp, err := c.ConsistencyProof(ctx, from, to)
		if err != nil {
			fails.add("GET consistency(%d, %d) = %v", from, to, err)
			return
		}
		if cp.From != from || cp.To != to {
			fails.add("GET consistency(%d, %d) = from %d to %d", from, to, cp.From, cp.To)
		}
		if (to == n) != (cp.Checkpoint != "") || to == n && cp.Checkpoint != string(cps.bySize[n].Note) {
			fails.add("GET consistency(%d, %d).checkpoint = %q", from, to, cp.Checkpoint)
		}
		checkConsistency("GET consistency", from, to, cp.Hashes)
	})
	fails.report(t, fmt.Sprintf("%d inclusion and %d consistency proofs over HTTP", len(inclHTTP), len(consHTTP)))
	t.Logf("checked %d inclusion and %d consistency proofs over HTTP in %v", len(inclHTTP), len(consHTTP), time.Since(start))
}

// TestAppendProofsVerifyUnderConcurrentAppends submits from several
// goroutines at once, so that batches hold several records and an answer's
// checkpoint is larger than its index + 1. Every answer's inclusion proof
// verifies against its own checkpoint, and the checkpoints the answers
// carried are consistent with each other.
func TestAppendProofsVerifyUnderConcurrentAppends(t *testing.T) {
	const workers, each = 8, 40
	e := signettest.New(t, signettest.Options{})
	ctx := context.Background()
	c := proofClient(e)
	cps := &checkpoints{e: e, bySize: map[int64]*ledger.Checkpoint{}, leaf: map[int64]tlog.Hash{}}
	key := signettest.Key(t)
	ev, err := c.Register(ctx, "busy", key, nil)
	if err != nil {
		t.Fatal(err)
	}
	cps.add(t, ev.Checkpoint, ev.InclusionProof, ev.LogIndex)

	answers := make(chan *client.Appended, workers*each)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				a, err := c.Submit(ctx, key, fmt.Appendf(nil, `{"w":%d,"i":%d}`, w, i))
				if err != nil {
					t.Errorf("Submit = %v", err)
					return
				}
				answers <- a
			}
		})
	}
	wg.Wait()
	close(answers)
	shared := 0
	for a := range answers {
		cps.add(t, a.Checkpoint, a.InclusionProof, a.Index)
		if a.InclusionProof.TreeSize > a.Index+1 {
			shared++
		}
	}
	t.Logf("%d of %d answers carried a checkpoint beyond their own record; %d distinct checkpoints", shared, workers*each, len(cps.bySize))

	sizes := make([]int64, 0, len(cps.bySize))
	for s := range cps.bySize {
		sizes = append(sizes, s)
	}
	slices.Sort(sizes)
	for i := 1; i < len(sizes); i++ {
		from, to := cps.bySize[sizes[i-1]], cps.bySize[sizes[i]]
		p, err := c.ConsistencyProof(ctx, from.Size, to.Size)
		if err != nil {
			t.Fatalf("ConsistencyProof(%d, %d) = %v", from.Size, to.Size, err)
		}
		if err := proof.VerifyConsistency(rfc6962.DefaultHasher, uint64(from.Size), uint64(to.Size), hashSlices(p.Hashes), from.Root[:], to.Root[:]); err != nil {
			t.Errorf("checkpoints %d and %d are not consistent: %v", from.Size, to.Size, err)
		}
	}
	if want := int64(1 + workers*each); sizes[len(sizes)-1] != want {
		t.Errorf("largest checkpoint has size %d, want %d", sizes[len(sizes)-1], want)
	}
}

// TestProofArgumentsRefusedAsMalformed sends out-of-range, inconsistent and
// unparsable proof arguments: each is a 400 malformed naming the problem.
func TestProofArgumentsRefusedAsMalformed(t *testing.T) {
	e := signettest.New(t, signettest.Options{})
	c := e.Client
	empty := httpGet(t, c, "/v1/proof/inclusion?index=0")
	expectProblem(t, "inclusion on an empty log", empty, 400, "malformed")
	empty = httpGet(t, c, "/v1/proof/consistency?from=1")
	expectProblem(t, "consistency on an empty log", empty, 400, "malformed")

	key := e.Register(t, "args")
	for i := range 9 {
		if _, err := c.Submit(context.Background(), key, fmt.Appendf(nil, `{"i":%d}`, i)); err != nil {
			t.Fatal(err)
		}
	}
	// The log has 10 records.
	for _, tc := range []struct {
		query  string
		detail string // a fragment the detail must contain
	}{
		{"/v1/proof/inclusion?index=5&tree_size=5", "not in a tree of 5"},
		{"/v1/proof/inclusion?index=9&tree_size=3", "not in a tree of 3"},
		{"/v1/proof/inclusion?index=10", "not in a tree of 10"},
		{"/v1/proof/inclusion?index=0&tree_size=11", "beyond the log's 10"},
		{"/v1/proof/inclusion?index=-1&tree_size=5", "index must be a non-negative"},
		{"/v1/proof/inclusion?index=abc", "index must be a non-negative"},
		{"/v1/proof/inclusion?index=", "index must be a non-negative"},
		{"/v1/proof/inclusion?index=01", "index must be a non-negative"},
		{"/v1/proof/inclusion?index=%2B1", "index must be a non-negative"},
		{"/v1/proof/inclusion?index=1e1", "index must be a non-negative"},
		{"/v1/proof/inclusion?index=1.0", "index must be a non-negative"},
		{"/v1/proof/inclusion?index=99999999999999999999", "index must be a non-negative"},
		{"/v1/proof/inclusion?index=0&tree_size=-3", "tree_size must be a non-negative"},
		{"/v1/proof/inclusion?index=0&tree_size=x", "tree_size must be a non-negative"},
		{"/v1/proof/inclusion?index=0&tree_size=", "tree_size must be a non-negative"},
		{"/v1/proof/inclusion", "index is required"},
		{"/v1/proof/inclusion?tree_size=5", "index is required"},
		{"/v1/proof/consistency?from=0&to=5", "from must be between 1 and the tree size 5, got 0"},
		{"/v1/proof/consistency?from=0", "from must be between 1 and the tree size 10, got 0"},
		{"/v1/proof/consistency?from=6&to=5", "from must be between 1 and the tree size 5, got 6"},
		{"/v1/proof/consistency?from=11", "from must be between 1 and the tree size 10, got 11"},
		{"/v1/proof/consistency?from=1&to=11", "beyond the log's 10"},
		{"/v1/proof/consistency?from=-1&to=5", "from must be a non-negative"},
		{"/v1/proof/consistency?from=one&to=5", "from must be a non-negative"},
		{"/v1/proof/consistency?from=1&to=-5", "to must be a non-negative"},
		{"/v1/proof/consistency?from=1&to=five", "to must be a non-negative"},
		{"/v1/proof/consistency?to=5", "from is required"},
		{"/v1/proof/consistency", "from is required"},
	} {
		r := httpGet(t, c, tc.query)
		p := expectProblem(t, tc.query, r, 400, "malformed")
		if !strings.Contains(p.Detail, tc.detail) {
			t.Errorf("%s: detail %q does not say %q", tc.query, p.Detail, tc.detail)
		}
	}

	// tree_size and to of 0 mean the latest checkpoint.
	var ip client.InclusionProof
	decodeOK(t, "inclusion with tree_size=0", httpGet(t, c, "/v1/proof/inclusion?index=3&tree_size=0"), &ip)
	if ip.TreeSize != 10 || ip.Checkpoint == "" {
		t.Errorf("inclusion with tree_size=0: tree_size %d, checkpoint %q; want 10 and the latest", ip.TreeSize, ip.Checkpoint)
	}
	var cp client.ConsistencyProof
	decodeOK(t, "consistency with to=0", httpGet(t, c, "/v1/proof/consistency?from=4&to=0"), &cp)
	if cp.To != 10 || cp.Checkpoint == "" {
		t.Errorf("consistency with to=0: to %d, checkpoint %q; want 10 and the latest", cp.To, cp.Checkpoint)
	}
}
