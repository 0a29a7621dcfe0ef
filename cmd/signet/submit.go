package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/signet-ledger/signet"
	"github.com/signet-ledger/signet/client"
	"github.com/signet-ledger/signet/keys"

	"github.com/signet-ledger/signet/internal/progress"
)

var submitCmd = &command{
	name:     "submit",
	synopsis: "[--ndjson] [--concurrency N] [FILE|-]",
	short:    "sign and submit one JSON entry, or many with --ndjson",
	long: "Sign journal entries with --key and submit them: one JSON object from FILE (default: standard input), " +
		"or with --ndjson one per line, several at a time, with a progress bar on a terminal. " +
		"Prints each record's index and hash, and checks the signed checkpoint and inclusion proof " +
		"of each answer as signet checkpoint does: the log key pinned (on first use, the server's), " +
		"consistency with the last checkpoint seen, which a newer one replaces. " +
		"With --witnessed (one entry only), it then waits, up to --timeout, until the server serves a checkpoint covering the entry " +
		"that meets its witness policy's quorum (/v1/checkpoint?witnessed=1), checks it the same way and the entry's inclusion in it, " +
		"and prints that cosigned checkpoint.",
	run: runSubmit,
}

func runSubmit(ctx context.Context, cmd *command, e *env, args []string) error {
	fs := cmd.flagSet(e)
	ndjson := fs.Bool("ndjson", false, "the input has one JSON object per line, each an entry")
	conc := fs.Int("concurrency", 8, "with --ndjson, submit at most `N` entries at a time")
	witnessed := fs.Bool("witnessed", false, "wait until a checkpoint covering the entry meets the server's witness quorum, and print it")
	timeout := fs.Duration("timeout", 60*time.Second, "with --witnessed, wait at most this long")
	pos, err := cmd.parse(e, fs, args)
	if err != nil {
		return err
	}
	if err := cmd.wantArgs(pos, 0, 1); err != nil {
		return err
	}
	if *conc < 1 {
		return usagef("submit: --concurrency must be at least 1")
	}
	if *witnessed && (*ndjson || *timeout <= 0) {
		return usagef("submit: --witnessed takes one entry (not --ndjson) and a positive --timeout")
	}
	src := "-"
	if len(pos) == 1 {
		src = pos[0]
	}
	k, err := e.loadKey()
	if err != nil {
		return err
	}
	in, size, err := e.open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	s := &submitter{e: e, c: e.client(), key: k}
	if *ndjson {
		return s.many(ctx, in, size, *conc)
	}
	if *witnessed {
		s.witnessed = *timeout
	}
	return s.one(ctx, in)
}

// open opens FILE, or standard input for "-", and returns its size if known.
func (e *env) open(src string) (io.ReadCloser, int64, error) {
	if src == "-" {
		return io.NopCloser(e.sys.Stdin), 0, nil
	}
	f, err := os.Open(src)
	if err != nil {
		return nil, 0, err
	}
	var size int64
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
		size = st.Size()
	}
	return f, size, nil
}

// submitter signs and submits entries with one key.
type submitter struct {
	e   *env
	c   *client.Client
	key keys.PrivateKey
	// witnessed, if not 0, is how long one submits waits for a witnessed
	// checkpoint covering its entry.
	witnessed time.Duration
}

// submitted is one entry's outcome, as --json prints it.
type submitted struct {
	Line    int    `json:"line,omitempty"`
	Index   *int64 `json:"index,omitempty"`
	Hash    string `json:"hash,omitempty"`
	Promise string `json:"promise,omitempty"` // "checked", or why not
	// Witnessed is the cosigned checkpoint of --witnessed.
	Witnessed string `json:"witnessed_checkpoint,omitempty"`
	Error     string `json:"error,omitempty"`
	err       error
	rec       *signet.Record
}

func (s *submitter) one(ctx context.Context, in io.Reader) error {
	b, err := io.ReadAll(io.LimitReader(in, 64<<20))
	if err != nil {
		return err
	}
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return usagef("submit: the input is empty; give one JSON object")
	}
	r := s.submit(ctx, 0, b)
	if r.err != nil {
		return r.err
	}
	if s.witnessed > 0 {
		msg, err := s.waitWitnessed(ctx, r.rec)
		if err != nil {
			return fmt.Errorf("record %d was appended, but: %w", *r.Index, err)
		}
		r.Witnessed = string(msg)
	}
	return s.e.emit(r, func(w io.Writer) {
		fmt.Fprintf(w, "index %d\nhash  %s\npromise %s\n", *r.Index, safe(r.Hash), safe(r.Promise))
		if r.Witnessed != "" {
			fmt.Fprintf(w, "witnessed checkpoint:\n%s", safe(r.Witnessed))
		}
	})
}

// submit signs and submits one entry and checks the answer's promise.
func (s *submitter) submit(ctx context.Context, line int, payload []byte) submitted {
	r := submitted{Line: line}
	a, j, err := s.post(ctx, payload)
	if err == nil {
		r.Index, r.Hash = &a.Index, a.Hash
		if r.Promise, r.rec, err = s.e.checkPromise(ctx, s.c, a, j); err != nil {
			err = fmt.Errorf("record %d was appended, but the answer does not check out: %w", a.Index, err)
		}
	}
	if err != nil {
		r.err, r.Error = err, err.Error()
	}
	return r
}

// post signs payload with a fresh nonce and submits it; it signs again
// after a badNonce, and while the server is busy it waits and resends the
// same JWS, which the server recognises if an earlier try was appended
// after all, so a retry never appends an entry twice.
func (s *submitter) post(ctx context.Context, payload []byte) (*client.Appended, *keys.JWS, error) {
	var j *keys.JWS
	for try := 0; ; try++ {
		if j == nil {
			var err error
			if j, err = s.c.SignEntry(ctx, s.key, payload); err != nil {
				return nil, nil, err
			}
		}
		a, err := s.c.SubmitJWS(ctx, j.Flattened())
		var p *client.Problem
		switch {
		case err == nil:
			return a, j, nil
		case try < 1 && client.IsProblem(err, "badNonce"):
			j = nil
			continue
		case try < 5 && errors.As(err, &p) && (p.Name() == "unavailable" || p.Name() == "rateLimited"):
			if err := sleep(ctx, retryAfter(p)); err != nil {
				return nil, nil, err
			}
			continue
		}
		return nil, nil, err
	}
}

func retryAfter(p *client.Problem) time.Duration {
	if s, err := strconv.Atoi(p.RetryAfter); err == nil && s > 0 {
		return min(time.Duration(s)*time.Second, 10*time.Second)
	}
	return time.Second
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// checkPromise checks the answer to an append: the record the server
// made of j hashes to the hash it states, the checkpoint it signed is
// trusted ([env.trustAnswer]: pinned key, consistent with the last one
// seen, pinned if newer), and the inclusion proof holds against it. The
// record, once its hash and checkpoint check, goes into the journal.
func (e *env) checkPromise(ctx context.Context, c *client.Client, a *client.Appended, j *keys.JWS) (string, *signet.Record, error) {
	r := a.Record
	r.JWS = &client.JWS{Protected: j.Protected, Payload: j.Payload, Signature: j.Signature}
	rec, err := client.LedgerRecord(&r)
	if err != nil {
		return "", nil, verifyFailed("the server's answer: %v", err)
	}
	if err := client.CheckRecordHash(rec); err != nil {
		return "", nil, err
	}
	t, err := e.trustAnswer(ctx, c, a.Checkpoint)
	if err != nil {
		return "", nil, err
	}
	if err := e.journal(t.CP.Origin, rec); err != nil {
		return "", nil, err
	}
	if err := client.VerifyInclusion(rec, &a.InclusionProof, t.CP); err != nil {
		return "", nil, err
	}
	return fmt.Sprintf("checked: included in the signed checkpoint of size %d, %s", t.CP.Size, trustWords(t)), rec, nil
}

// many submits each line of in as an entry, at most conc at a time, and
// prints the outcomes in input order.
func (s *submitter) many(ctx context.Context, in io.Reader, size int64, conc int) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	bar := s.e.newProgress("submitting", "entries", size)
	defer bar.Done()
	order := make(chan chan submitted, conc-1)
	var readErr error
	var read atomic.Int64
	go func() {
		defer close(order)
		sc := bufio.NewScanner(in)
		sc.Buffer(make([]byte, 64<<10), 16<<20)
		for line := 1; sc.Scan() && ctx.Err() == nil; line++ {
			read.Add(int64(len(sc.Bytes()) + 1))
			payload := bytes.TrimSpace(sc.Bytes())
			if len(payload) == 0 {
				continue
			}
			ch := make(chan submitted, 1)
			order <- ch
			go func(line int, payload []byte) { ch <- s.submit(ctx, line, payload) }(line, bytes.Clone(payload))
		}
		readErr = sc.Err()
	}()
	return s.report(order, bar, &read, &readErr)
}

// report prints outcomes in order and sums up the failures.
func (s *submitter) report(order chan chan submitted, bar *progress.Bar, read *atomic.Int64, readErr *error) error {
	var n, failed, unverified int
	for ch := range order {
		r := <-ch
		n++
		bar.Set(read.Load(), int64(n))
		if r.err != nil {
			failed++
			if errors.Is(r.err, client.ErrVerification) {
				unverified++
			}
			fmt.Fprintf(s.e.sys.Stderr, "line %d: %s\n", r.Line, safe(r.err.Error()))
			if s.e.g.JSON {
				s.e.emit(r, nil)
			}
			continue
		}
		s.e.emit(r, func(w io.Writer) { fmt.Fprintf(w, "line %d: index %d hash %s\n", r.Line, *r.Index, safe(r.Hash)) })
	}
	switch {
	case *readErr != nil:
		return fmt.Errorf("reading the entries: %w", *readErr)
	case unverified > 0:
		return verifyFailed("%d of %d answers did not check out locally", unverified, n)
	case failed > 0:
		return fmt.Errorf("%d of %d entries failed", failed, n)
	}
	s.e.note("submitted %d entries", n)
	return nil
}
