package ledger

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"sync"
	"sync/atomic"
	"time"

	"github.com/signet-ledger/signet"
	"github.com/signet-ledger/signet/registry"
	"golang.org/x/mod/sumdb/tlog"
)

// pending is one request waiting in the sequencer's queue.
type pending struct {
	rec   Record // Index, IntegratedTime, PrevHash and Hash are set by the sequencer
	event *signet.Event
	done  chan result
}

// result answers one pending request.
type result struct {
	rec      *Record
	existing bool // rec was already in the log (an identical resubmission)
	tree     *committedTree
	err      error
}

// committedTree is the tree a batch committed: its checkpoint and the hashes
// it wrote, kept so that inclusion proofs of the batch's records need few reads.
type committedTree struct {
	size       int64
	root       tlog.Hash
	checkpoint []byte
	hashes     map[int64]tlog.Hash
	// from is the head the batch was appended to, and reg the registry
	// of the batch's signers after it.
	from int64
	reg  *registry.State
}

// sequencerConfig bounds batching. Every field but OnCommit is required.
type sequencerConfig struct {
	// Naive commits every request in its own transaction from the
	// request's goroutine, the head locked through each commit: the
	// baseline that group commit is measured against. Never for production.
	Naive    bool
	MaxBatch int           // a batch closes at this many records
	MaxDelay time.Duration // ... or this long after its first request, whichever first
	Queue    int           // requests waiting beyond this are refused with ErrUnavailable
	Timeout  time.Duration // the longest one batch's transaction may take
	// NonceTTL is how long a nonce is valid: spent nonces are kept that
	// long, plus the clock skew nonces allow.
	NonceTTL time.Duration
	// OnCommit, if not nil, is called after each commit that moved the
	// head, from the committing goroutine: it must return at once.
	OnCommit func()
	// Observer is told of every transaction.
	Observer Observer
}

// sequencer assigns indexes. It is the only writer of its log in this
// process; across processes the store's lock serialises writers.
type sequencer struct {
	cfg   sequencerConfig
	store Store
	reg   *logRegistry
	sign  func(size int64, root tlog.Hash) ([]byte, error)
	// open verifies a stored checkpoint with the log's key.
	open     func(note []byte) (*Checkpoint, error)
	now      func() time.Time
	queue    chan *pending
	inflight atomic.Int64 // requests being verified that will soon be queued
	stop     chan struct{}
	stopped  chan struct{}
	// naive bounds the naive commits in progress at once: each holds a
	// pool connection while it waits for the head's lock, and the one
	// holding the lock may need another (a registry catch-up reads through
	// the store), so with as many waiters as connections it would wait
	// for its own waiters until the transaction timed out.
	naive chan struct{}

	// frontier caches the stored hashes of the last tree this process
	// committed, as a guess of what the next batch needs; the guess is
	// checked against the head read under the lock.
	frontierSize atomic.Int64

	// signed is the last checkpoint this process signed and committed, so
	// that checkHead need not verify its own signature again (an Ed25519
	// check per batch): a head holding exactly those bytes says exactly
	// that size and root. Any other bytes are verified.
	signed atomic.Pointer[signedHead]
}

// signedHead is a checkpoint's bytes and the tree they sign.
type signedHead struct {
	note []byte
	size int64
	root tlog.Hash
}

func newSequencer(cfg sequencerConfig, store Store, reg *logRegistry, sign func(int64, tlog.Hash) ([]byte, error), open func([]byte) (*Checkpoint, error)) *sequencer {
	s := &sequencer{
		cfg: cfg, store: store, reg: reg, sign: sign, open: open, now: time.Now,
		queue: make(chan *pending, cfg.Queue), stop: make(chan struct{}), stopped: make(chan struct{}),
	}
	s.frontierSize.Store(-1)
	if cfg.Naive {
		s.naive = make(chan struct{}, naiveCommits)
	}
	go s.run()
	return s
}

// naiveCommits is how many naive commits may wait for the head's lock at
// once: half of a PostgreSQL store's default pool of 16 connections.
const naiveCommits = 8

// submit queues p and waits for its result. It fails fast with
// ErrUnavailable when the queue is full.
func (s *sequencer) submit(ctx context.Context, p *pending) result {
	p.done = make(chan result, 1)
	if s.cfg.Naive {
		select {
		case s.naive <- struct{}{}:
		case <-ctx.Done():
			return result{err: ctx.Err()}
		}
		defer func() { <-s.naive }()
		s.commit([]*pending{p})
		return <-p.done
	}
	select {
	case s.queue <- p:
	default:
		return result{err: fmt.Errorf("%w: the append queue is full", ErrUnavailable)}
	}
	select {
	case r := <-p.done:
		return r
	case <-ctx.Done():
		return result{err: ctx.Err()}
	}
}

// close stops the sequencer after the requests already queued are answered.
func (s *sequencer) close() {
	close(s.stop)
	<-s.stopped
}

func (s *sequencer) run() {
	defer close(s.stopped)
	for {
		var first *pending
		select {
		case first = <-s.queue:
		case <-s.stop:
			for {
				select {
				case p := <-s.queue:
					s.commit(s.collect(p))
				default:
					return
				}
			}
		}
		s.commit(s.collect(first))
	}
}

// collect gathers a batch starting with first. It takes what is queued, and
// waits for more only while requests are still being verified, up to
// MaxDelay: a lone client never waits for a deadline.
func (s *sequencer) collect(first *pending) []*pending {
	batch := []*pending{first}
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for len(batch) < s.cfg.MaxBatch {
		select {
		case p := <-s.queue:
			batch = append(batch, p)
			continue
		default:
		}
		if s.inflight.Load() == 0 {
			return batch
		}
		if timer == nil {
			timer = time.NewTimer(s.cfg.MaxDelay)
		}
		select {
		case p := <-s.queue:
			batch = append(batch, p)
		case <-timer.C:
			return batch
		}
	}
	return batch
}

// commit sequences batch in one transaction and answers every request in it.
func (s *sequencer) commit(batch []*pending) {
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.Timeout)
	defer cancel()
	res := make([]result, len(batch))
	var tree *committedTree
	start := time.Now()
	err := s.store.Sequence(ctx, func(ctx context.Context, tx Tx) error {
		var err error
		tree, err = s.sequence(ctx, tx, batch, res)
		return err
	})
	s.observe(len(batch), tree, time.Since(start), err)
	if err != nil {
		s.frontierSize.Store(-1)
		if !errors.Is(err, ErrUnavailable) {
			err = fmt.Errorf("ledger: committing a batch of %d: %w", len(batch), err)
		}
	} else if tree != nil {
		s.frontierSize.Store(tree.size)
		s.signed.Store(&signedHead{note: tree.checkpoint, size: tree.size, root: tree.root})
		s.reg.committed(tree.from, tree.size, tree.reg)
		if s.cfg.OnCommit != nil {
			s.cfg.OnCommit()
		}
	}
	for i, p := range batch {
		r := res[i]
		switch {
		case err != nil:
			r = result{err: err}
		case r.err == nil && !r.existing:
			r.tree = tree
		}
		p.done <- r
	}
}

// observe tells the Observer of one transaction.
func (s *sequencer) observe(requests int, tree *committedTree, d time.Duration, err error) {
	records := 0
	if err == nil && tree != nil {
		records = int(tree.size - tree.from)
	}
	s.cfg.Observer.Committed(requests, records, d, err)
}

// sequence decides every request of batch under the lock, filling res, and
// writes the accepted ones. It returns the new tree, or nil if nothing was
// appended.
func (s *sequencer) sequence(ctx context.Context, tx Tx, batch []*pending, res []result) (*committedTree, error) {
	q := s.query(batch)
	snap, err := tx.Snapshot(ctx, q)
	if err != nil {
		return nil, err
	}
	hashes, err := s.frontier(ctx, tx, snap)
	if err != nil {
		return nil, err
	}
	read := memReader(hashes, tx, ctx)
	if err := s.checkHead(snap.Head, read); err != nil {
		return nil, err
	}
	if err := s.reg.catchUp(ctx, snap.Head.Size); err != nil {
		return nil, err
	}
	st := s.reg.subset(q.Signers, q.KIDs)
	drift := tableDrift(st, snap.Registry)
	b := &Batch{}
	next, prev, now := snap.Head.Size, snap.Head.Hash, Time(s.now())
	used := map[string]*Record{}
	for n, r := range snap.ByNonce {
		used[n] = r
	}
	spent := map[string]bool{}
	for n := range snap.Spent {
		spent[n] = true
	}
	for i, p := range batch {
		if ex := used[p.rec.Nonce]; p.rec.Nonce != "" && ex != nil {
			res[i] = resubmission(ex, &p.rec)
			continue
		}
		if p.rec.Nonce != "" && spent[p.rec.Nonce] {
			res[i] = result{err: badNonce("the nonce was already used by a request the log refused")}
			continue
		}
		if err := drift[p.event.Signer]; err != nil {
			res[i] = result{err: err}
			continue
		}
		rec := p.rec
		rec.Index, rec.IntegratedTime, rec.PrevHash = next, now, prev
		ch, err := apply(st, p.event, &rec)
		if err != nil {
			res[i] = result{err: err}
			// The log decided on a genuine request: its nonce is used up,
			// as if it had been accepted.
			if p.rec.Nonce != "" && !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrUnavailable) {
				spent[p.rec.Nonce] = true
				b.Spent = append(b.Spent, p.rec.Nonce)
			}
			continue
		}
		b.add(ch)
		rec.Hash = RecordHash(&rec)
		sh, err := tlog.StoredHashesForRecordHash(next, LeafHash(rec.Hash), read)
		if err != nil {
			return nil, err
		}
		for k, h := range sh {
			idx := tlog.StoredHashIndex(0, next) + int64(k)
			hashes[idx] = h
			b.Hashes = append(b.Hashes, StoredHash{idx, h})
		}
		b.Records = append(b.Records, &rec)
		res[i] = result{rec: &rec}
		if p.rec.Nonce != "" {
			used[p.rec.Nonce] = &rec
		}
		next, prev = next+1, rec.Hash
	}
	if len(b.Spent) > 0 {
		b.SpentTime = s.now()
		b.ForgetBefore = b.SpentTime.Add(-s.cfg.NonceTTL - spentSkew)
	}
	if len(b.Records) == 0 {
		if len(b.Spent) > 0 {
			return nil, tx.Write(ctx, b)
		}
		return nil, nil
	}
	root, err := tlog.TreeHash(next, read)
	if err != nil {
		return nil, err
	}
	note, err := s.sign(next, root)
	if err != nil {
		return nil, err
	}
	b.Head = Head{Size: next, Hash: prev, Checkpoint: note}
	if err := tx.Write(ctx, b); err != nil {
		return nil, err
	}
	return &committedTree{size: next, root: root, checkpoint: note, hashes: hashes, from: snap.Head.Size, reg: st}, nil
}

// spentSkew is how much longer than the nonce lifetime a spent nonce is
// kept: nonces issued up to a minute ahead are accepted, and servers
// sharing a database may disagree on the time a little.
const spentSkew = 5 * time.Minute

// checkHead refuses to extend a tree that is not the one the last
// checkpoint signed: if someone rewrote the stored records and tree, the
// log's key must not sign over the rewrite.
func (s *sequencer) checkHead(h Head, read tlog.HashReader) error {
	if h.Size == 0 {
		return nil
	}
	root, err := tlog.TreeHash(h.Size, read)
	if err != nil {
		return err
	}
	if sh := s.signed.Load(); sh != nil && bytes.Equal(sh.note, h.Checkpoint) {
		if sh.size != h.Size || sh.root != root {
			return fmt.Errorf("%w: the stored tree of %d records does not match the last signed checkpoint; refusing to sign over it", ErrCorrupt, h.Size)
		}
		return nil
	}
	cp, err := s.open(h.Checkpoint)
	if err != nil || cp.Size != h.Size || cp.Root != root {
		return fmt.Errorf("%w: the stored tree of %d records does not match the last signed checkpoint; refusing to sign over it", ErrCorrupt, h.Size)
	}
	return nil
}

// resubmission answers a request whose nonce is already in the log: the
// same JWS again gets the existing record; anything else reused the nonce,
// breaking R22 as the audit names it.
func resubmission(ex, rec *Record) result {
	if ex.Protected == rec.Protected && ex.Payload == rec.Payload && ex.Signature == rec.Signature {
		return result{rec: ex, existing: true}
	}
	return result{err: &signet.RuleError{Rule: signet.RuleNonceUnique, Err: ErrBadNonce,
		Detail: fmt.Sprintf("the nonce was already used by log record %d", ex.Index)}}
}

func (s *sequencer) query(batch []*pending) SnapshotQuery {
	q := SnapshotQuery{HashesFor: s.frontierSize.Load()}
	if q.HashesFor >= 0 {
		q.Hashes = Frontier(q.HashesFor)
	}
	kids, signers := set{}, set{}
	for _, p := range batch {
		if p.rec.Nonce != "" {
			q.Nonces = append(q.Nonces, p.rec.Nonce)
		}
		e := p.event
		kids.add(&q.KIDs, e.KID)
		signers.add(&q.Signers, e.Signer)
		if e.NewKey != nil {
			kids.add(&q.KIDs, e.NewKey.Thumbprint())
		}
		if e.Revoke != nil {
			kids.add(&q.KIDs, e.Revoke.KID)
		}
	}
	return q
}

// set collects distinct non-empty strings in the order first seen.
type set map[string]bool

func (s set) add(list *[]string, v string) {
	if v != "" && !s[v] {
		s[v] = true
		*list = append(*list, v)
	}
}

// frontier returns the stored hashes that cover the head's tree, read in
// the snapshot if the guess was right, or now.
func (s *sequencer) frontier(ctx context.Context, tx Tx, snap *Snapshot) (map[int64]tlog.Hash, error) {
	idx := Frontier(snap.Head.Size)
	hs := snap.Hashes
	if hs == nil || len(hs) != len(idx) {
		var err error
		if hs, err = tx.ReadHashes(ctx, idx); err != nil {
			return nil, err
		}
	}
	m := make(map[int64]tlog.Hash, len(idx)+64)
	for i, x := range idx {
		m[x] = hs[i]
	}
	return m, nil
}

// Frontier lists the stored-hash indexes of the complete subtrees that
// make up a tree of n records, largest first: all that is needed to hash
// the tree and to append to it, and what the sequencer guesses in
// [SnapshotQuery.Hashes].
func Frontier(n int64) []int64 {
	var idx []int64
	start := int64(0)
	for level := 62; level >= 0; level-- {
		if n&(1<<level) != 0 {
			idx = append(idx, tlog.StoredHashIndex(level, start>>level))
			start += 1 << level
		}
	}
	return idx
}

// memReader reads stored hashes from m, falling back to tx for any missing.
func memReader(m map[int64]tlog.Hash, tx Tx, ctx context.Context) tlog.HashReader {
	return tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		return readThrough(m, idx, func(miss []int64) ([]tlog.Hash, error) { return tx.ReadHashes(ctx, miss) })
	})
}

// readThrough answers idx from m, reading the misses with read. It does not
// modify m, so m may be shared by goroutines.
func readThrough(m map[int64]tlog.Hash, idx []int64, read func([]int64) ([]tlog.Hash, error)) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(idx))
	var miss []int64
	var at []int
	for i, x := range idx {
		h, ok := m[x]
		if !ok {
			miss, at = append(miss, x), append(at, i)
			continue
		}
		out[i] = h
	}
	if len(miss) == 0 {
		return out, nil
	}
	hs, err := read(miss)
	if err != nil {
		return nil, err
	}
	for j, i := range at {
		out[i] = hs[j]
	}
	return out, nil
}

// track counts a request as being verified until the returned func is
// called (more than once is fine); collect waits for such requests.
func (s *sequencer) track() func() {
	s.inflight.Add(1)
	var once sync.Once
	return func() { once.Do(func() { s.inflight.Add(-1) }) }
}
