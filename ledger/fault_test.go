package ledger_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/signet-ledger/signet/client"
	"github.com/signet-ledger/signet/internal/signettest"
	"github.com/signet-ledger/signet/keys"
	"github.com/signet-ledger/signet/ledger"
	"golang.org/x/mod/sumdb/tlog"
)

// faultStore is the real PostgreSQL store with a failure hook: while
// write is set, every batch's Tx.Write goes through it.
type faultStore struct {
	ledger.Store
	mu      sync.Mutex
	write   func(ctx context.Context, tx ledger.Tx, b *ledger.Batch) error
	batches []int // the sizes of the batches written through write
}

func (s *faultStore) setWrite(w func(context.Context, ledger.Tx, *ledger.Batch) error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.write, s.batches = w, nil
}

// Sequence is the real one; while a fault is set, it first waits a little,
// so that a burst of requests queues up into one batch.
func (s *faultStore) Sequence(ctx context.Context, f func(context.Context, ledger.Tx) error) error {
	s.mu.Lock()
	w := s.write
	s.mu.Unlock()
	if w == nil {
		return s.Store.Sequence(ctx, f)
	}
	time.Sleep(50 * time.Millisecond)
	return s.Store.Sequence(ctx, func(ctx context.Context, tx ledger.Tx) error {
		return f(ctx, &faultTx{Tx: tx, s: s, write: w})
	})
}

type faultTx struct {
	ledger.Tx
	s     *faultStore
	write func(context.Context, ledger.Tx, *ledger.Batch) error
}

func (t *faultTx) Write(ctx context.Context, b *ledger.Batch) error {
	t.s.mu.Lock()
	t.s.batches = append(t.s.batches, len(b.Records))
	t.s.mu.Unlock()
	return t.write(ctx, t.Tx, b)
}

// passThrough writes the batch: the fault, if any, is in the database.
func passThrough(ctx context.Context, tx ledger.Tx, b *ledger.Batch) error { return tx.Write(ctx, b) }

// raiseDiskFull is a trigger function failing as PostgreSQL does when it
// cannot extend a file.
const raiseDiskFull = `CREATE FUNCTION fault_disk_full() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'could not extend file: No space left on device' USING ERRCODE = 'disk_full';
END $$;`

var faultTests = []struct {
	name    string
	write   func(context.Context, ledger.Tx, *ledger.Batch) error
	install string // SQL run while the fault is on
	remove  string // SQL run to clear it
	status  int
	problem string
}{
	{
		name:   "WriteFails",
		write:  func(context.Context, ledger.Tx, *ledger.Batch) error { return errors.New("fault: write failed") },
		status: http.StatusInternalServerError, problem: "internal",
	},
	{
		// The real Write succeeds, then the transaction fails and the
		// real store rolls it back, as a failed commit would.
		name: "RolledBackAfterWrite",
		write: func(ctx context.Context, tx ledger.Tx, b *ledger.Batch) error {
			if err := tx.Write(ctx, b); err != nil {
				return err
			}
			return errors.New("fault: commit failed")
		},
		status: http.StatusInternalServerError, problem: "internal",
	},
	{
		name: "WriteUnavailable",
		write: func(context.Context, ledger.Tx, *ledger.Batch) error {
			return fmt.Errorf("%w: fault: connection lost", ledger.ErrUnavailable)
		},
		status: http.StatusServiceUnavailable, problem: "unavailable",
	},
	{
		// PostgreSQL fails the INSERT with SQLSTATE 53100.
		name: "DiskFullOnInsert", write: passThrough,
		install: raiseDiskFull + `CREATE TRIGGER fault_disk_full BEFORE INSERT ON records
			FOR EACH STATEMENT EXECUTE FUNCTION fault_disk_full()`,
		remove: `DROP TRIGGER fault_disk_full ON records; DROP FUNCTION fault_disk_full()`,
		status: http.StatusServiceUnavailable, problem: "unavailable",
	},
	{
		// PostgreSQL fails the COMMIT itself with SQLSTATE 53100: a
		// deferred constraint trigger runs at commit.
		name: "DiskFullAtCommit", write: passThrough,
		install: raiseDiskFull + `CREATE CONSTRAINT TRIGGER fault_disk_full AFTER INSERT ON records
			DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION fault_disk_full()`,
		remove: `DROP TRIGGER fault_disk_full ON records; DROP FUNCTION fault_disk_full()`,
		status: http.StatusServiceUnavailable, problem: "unavailable",
	},
}

// TestFailedCommitAnswersWholeBatch fails batches of concurrent appends in
// the store or in PostgreSQL: every request of a failed batch gets the
// same error, none a 201, and the head does not move. Once the fault is
// cleared, the very same signed requests are appended and the log
// re-verifies.
func TestFailedCommitAnswersWholeBatch(t *testing.T) {
	for _, tt := range faultTests {
		t.Run(tt.name, func(t *testing.T) {
			fs := &faultStore{}
			e := signettest.New(t, signettest.Options{Ledger: func(c *ledger.Config) {
				fs.Store = c.Store
				c.Store = fs
			}})
			ctx := context.Background()
			key := e.Register(t, "alice")
			for i := range 3 {
				if _, err := e.Client.Submit(ctx, key, fmt.Appendf(nil, `{"before":%d}`, i)); err != nil {
					t.Fatal(err)
				}
			}
			before, err := e.Store.Head(ctx)
			if err != nil {
				t.Fatal(err)
			}
			burst := signBurst(t, e, key, 24)

			if tt.install != "" {
				if _, err := e.DB.Exec(ctx, tt.install); err != nil {
					t.Fatal(err)
				}
			}
			fs.setWrite(tt.write)
			want := fmt.Sprintf("%d %s", tt.status, tt.problem)
			if got := burstOutcomes(submitBurst(e, burst)); got[want] != len(burst) {
				t.Errorf("answers to a burst of %d while failing = %v, want all %s", len(burst), got, want)
			}
			fs.mu.Lock()
			batches := fs.batches
			fs.mu.Unlock()
			if len(batches) == 0 || slices.Max(batches) < 2 {
				t.Errorf("failed batches had sizes %v: none held more than one request", batches)
			}
			checkHeadUnchanged(t, e, before)

			fs.setWrite(nil)
			if tt.remove != "" {
				if _, err := e.DB.Exec(ctx, tt.remove); err != nil {
					t.Fatal(err)
				}
			}
			if got := burstOutcomes(submitBurst(e, burst)); got["201"] != len(burst) {
				t.Errorf("the same %d requests after the fault = %v, want all 201", len(burst), got)
			}
			checkFaultLog(t, e, before)
			t.Logf("failed batches of %v requests: %s", batches, tt.problem)
		})
	}
}

// signBurst signs n entries, each with its own nonce, without sending them.
func signBurst(t *testing.T, e *signettest.Env, key keys.PrivateKey, n int) []*keys.JWS {
	var out []*keys.JWS
	for i := range n {
		j, err := e.Client.SignEntry(context.Background(), key, fmt.Appendf(nil, `{"burst":%d}`, i))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, j)
	}
	return out
}

type burstResult struct {
	a   *client.Appended
	err error
}

// submitBurst posts every JWS at once and returns the answers in order.
func submitBurst(e *signettest.Env, burst []*keys.JWS) []burstResult {
	out := make([]burstResult, len(burst))
	var wg sync.WaitGroup
	for i, j := range burst {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			out[i].a, out[i].err = e.Client.SubmitJWS(ctx, j.Flattened())
		})
	}
	wg.Wait()
	return out
}

// burstOutcomes counts the answers by status and problem name; a 503
// without Retry-After counts apart.
func burstOutcomes(rs []burstResult) map[string]int {
	out := map[string]int{}
	for _, r := range rs {
		var p *client.Problem
		switch {
		case r.err == nil && r.a.Existing:
			out["200"]++
		case r.err == nil:
			out["201"]++
		case !errors.As(r.err, &p):
			out[r.err.Error()]++
		case p.Status == http.StatusServiceUnavailable && p.RetryAfter == "":
			out["503 without Retry-After"]++
		default:
			out[fmt.Sprintf("%d %s", p.Status, p.Name())]++
		}
	}
	return out
}

// checkHeadUnchanged checks that the head, and the rows behind it, are
// still before.
func checkHeadUnchanged(t *testing.T, e *signettest.Env, before ledger.Head) {
	t.Helper()
	ctx := context.Background()
	h, err := e.Store.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if h.Size != before.Size || h.Hash != before.Hash || !bytes.Equal(h.Checkpoint, before.Checkpoint) {
		t.Errorf("head after the failed batches = %d %s, want it unchanged: %d %s", h.Size, h.Hash, before.Size, before.Hash)
	}
	var records, hashes int64
	err = e.DB.QueryRow(ctx, `SELECT (SELECT count(*) FROM records), (SELECT count(*) FROM tree_hashes)`).Scan(&records, &hashes)
	if err != nil {
		t.Fatal(err)
	}
	if records != before.Size || hashes != tlog.StoredHashCount(before.Size) {
		t.Errorf("after the failed batches: %d records and %d tree hashes, want %d and %d",
			records, hashes, before.Size, tlog.StoredHashCount(before.Size))
	}
}

// checkFaultLog re-verifies every record of e's log and proves the tree of
// the head before the fault a prefix of the latest.
func checkFaultLog(t *testing.T, e *signettest.Env, before ledger.Head) {
	t.Helper()
	ctx := context.Background()
	h, err := e.Store.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i := range h.Size {
		if v, err := e.Client.Verify(ctx, i); err != nil || !v.Verified {
			t.Errorf("Verify(%d) = %+v, %v", i, v, err)
		}
	}
	old, err := ledger.OpenCheckpoint(before.Checkpoint, e.Origin, e.Verifier)
	if err != nil {
		t.Fatal(err)
	}
	cur, err := ledger.OpenCheckpoint(h.Checkpoint, e.Origin, e.Verifier)
	if err != nil {
		t.Fatal(err)
	}
	p, err := e.Client.ConsistencyProof(ctx, old.Size, cur.Size)
	if err != nil {
		t.Fatal(err)
	}
	if err := tlog.CheckTree(p.Hashes, cur.Size, cur.Root, old.Size, old.Root); err != nil {
		t.Errorf("checkpoint %d before the fault is not consistent with %d after: %v", old.Size, cur.Size, err)
	}
}
