package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/signet-ledger/signet/client"
	"github.com/signet-ledger/signet/keys"
	"github.com/signet-ledger/signet/ledger"
)

// maxBatchBody is signetd's limit on a batch request's body.
const maxBatchBody = 32 << 20

// memStep is the server's resident memory around one step of the memory
// phase.
type memStep struct {
	name                string
	requests            int
	bodyBytes           int64 // of the largest request
	took                time.Duration
	before, peak, after int64 // bytes
	answers             attackCount
}

// memory restarts signetd, so that its memory starts from an idle
// server's, then measures its RSS around each attack on memory.
func (f *flood) memory(ctx context.Context) error {
	t := f.victim
	if err := t.daemon.restart(ctx, nil); err != nil {
		return err
	}
	t.pid = t.daemon.pid()
	t.hc.CloseIdleConnections()
	time.Sleep(time.Second)
	steps := []struct {
		name string
		run  func(ctx context.Context, s *memStep) error
	}{
		{fmt.Sprintf("%d batches of %d distinct %d-character kids", f.cfg.LongKids, f.cfg.BatchSize, f.cfg.KidLength), f.longKids},
		{fmt.Sprintf("%d addresses, one forged entry each", f.cfg.ManyAddrs), f.manyAddresses},
		{"1 largest batch: 1000 valid entries", f.largestBatch},
	}
	for _, st := range steps {
		s := memStep{name: st.name, answers: attackCount{entries: map[string]int{}, whole: map[string]int{}}}
		s.before, _ = statusKB(t.pid, "VmRSS")
		m := startMeter(t.pid, 0)
		t0 := time.Now()
		err := st.run(ctx, &s)
		s.took = time.Since(t0)
		s.peak = m.end().peakRSS
		if err != nil {
			return err
		}
		time.Sleep(2 * time.Second)
		s.after, _ = statusKB(t.pid, "VmRSS")
		s.before, s.after = s.before*1024, s.after*1024
		f.bench.logf("memory, %s: RSS %s, peak %s, 2 s later %s; answers %s", s.name, mib(s.before), mib(s.peak), mib(s.after), s.answers)
		f.mem = append(f.mem, s)
	}
	return nil
}

// longKids sends LongKids batches, each from its own address, of entries
// whose kids are all distinct and KidLength characters long.
func (f *flood) longKids(ctx context.Context, s *memStep) error {
	r := rand.New(rand.NewPCG(1, uint64(time.Now().UnixNano())))
	var buf bytes.Buffer
	for i := range f.cfg.LongKids {
		kids := make([]string, f.cfg.BatchSize)
		for k := range kids {
			kids[k] = hex.EncodeToString(randomBytes(r, (f.cfg.KidLength+1)/2))[:f.cfg.KidLength]
		}
		body := f.rawBatch(kids, r)
		s.bodyBytes = max(s.bodyBytes, int64(len(body)))
		status, err := post(f.victim.hc, f.victim.base+"/v1/entries:batch", "application/json", xffAddr(172, i), body, &buf)
		s.requests++
		s.answers.count(status, err, buf.Bytes())
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	return nil
}

// manyAddresses sends one forged entry from each of ManyAddrs distinct
// addresses, from 8 connections: every address gets a bucket in the
// per-address and the failure limiters.
func (f *flood) manyAddresses(ctx context.Context, s *memStep) error {
	other, err := keys.GenerateKey()
	if err != nil {
		return err
	}
	es, err := f.forgedEntries(ctx, other, 1)
	if err != nil {
		return err
	}
	var next atomic.Int64
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf bytes.Buffer
			n := attackCount{entries: map[string]int{}, whole: map[string]int{}}
			for k := next.Add(1) - 1; k < int64(f.cfg.ManyAddrs) && ctx.Err() == nil; k = next.Add(1) - 1 {
				status, err := post(f.victim.hc, f.victim.base+"/v1/entries", "application/jose+json", xffAddr(10, int(k)), es[0].body, &buf)
				n.count(status, err, buf.Bytes())
			}
			mu.Lock()
			s.answers = s.answers.plus(n)
			mu.Unlock()
		}()
	}
	wg.Wait()
	s.requests, s.bodyBytes = s.answers.batches, int64(len(es[0].body))
	return ctx.Err()
}

// largestBatch appends one batch of 1000 valid entries whose body is as
// close to the batch limit as whole payload bytes allow: what one request
// can make the server hold.
func (f *flood) largestBatch(ctx context.Context, s *memStep) error {
	t := f.victim
	nonces, err := t.fetchNonces(ctx, ledger.MaxEntriesPerBatch)
	if err != nil {
		return err
	}
	es := make([]entry, len(nonces))
	v := t.signers[0]
	size := (maxBatchBody/len(nonces)-400)*3/4 - 10
	for i, n := range nonces {
		j, err := t.cl.Sign(client.Signer{Key: v.key}, "/v1/entries", n, benchPayload(v.id, 1<<40+int64(i), size))
		if err != nil {
			return err
		}
		es[i] = entry{body: j.Flattened()}
	}
	body := batchBody(es)
	if len(body) > maxBatchBody {
		return fmt.Errorf("the largest batch came out at %d bytes, over the limit of %d", len(body), maxBatchBody)
	}
	var buf bytes.Buffer
	status, err := post(t.hc, t.base+"/v1/entries:batch", "application/json", "", body, &buf)
	s.requests, s.bodyBytes = 1, int64(len(body))
	s.answers.count(status, err, buf.Bytes())
	if s.answers.entries["201"] != len(es) {
		return fmt.Errorf("the largest batch was answered %s, want %d × 201", s.answers, len(es))
	}
	return nil
}

// reportMemory prints the memory steps.
func (f *flood) reportMemory(w io.Writer) {
	if len(f.mem) == 0 {
		return
	}
	fmt.Fprintf(w, "\nserver memory (signetd restarted first; RSS from /proc: before, peak during, 2 s after):\n\n")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "step\trequests\tlargest body\ttook\tRSS before\tpeak\tafter\tpeak-before\tanswers\t\n")
	for _, s := range f.mem {
		fmt.Fprintf(tw, "%s\t%d\t%.1f MiB\t%.1f s\t%s\t%s\t%s\t%s\t%s\t\n", s.name, s.requests, float64(s.bodyBytes)/(1<<20),
			s.took.Seconds(), mib(s.before), mib(s.peak), mib(s.after), mib(s.peak-s.before), s.answers)
	}
	tw.Flush()
}
