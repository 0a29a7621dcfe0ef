package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/signet-ledger/signet/keys"
)

// An attack is Attackers goroutines sending batches back to back (or at
// AttackRate in all, as far as they keep up), each batch from the next of
// Addresses X-Forwarded-For addresses, each goroutine waiting for its
// answer before sending the next.
type attack struct {
	f       *flood
	body    func(k int64) []byte // the k-th batch
	hc      *http.Client
	next    atomic.Int64
	stopped atomic.Bool
	wg      sync.WaitGroup
	start   time.Time
	counts  []attackCount // one per goroutine
}

// attackCount is what the answers to an attack's requests said.
type attackCount struct {
	batches int
	took    time.Duration
	entries map[string]int // status of each entry of a batch answered 200
	whole   map[string]int // status of requests not answered 200, or "transport"
}

func (f *flood) startAttack(body func(k int64) []byte) *attack {
	a := &attack{f: f, body: body, start: time.Now(), counts: make([]attackCount, f.cfg.Attackers),
		hc: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64, DisableCompression: true}}}
	for i := range a.counts {
		a.counts[i] = attackCount{entries: map[string]int{}, whole: map[string]int{}}
		a.wg.Add(1)
		go a.run(&a.counts[i])
	}
	return a
}

func (a *attack) run(n *attackCount) {
	defer a.wg.Done()
	var buf bytes.Buffer
	for !a.stopped.Load() {
		k := a.next.Add(1) - 1
		if r := a.f.cfg.AttackRate; r > 0 {
			time.Sleep(time.Until(a.start.Add(time.Duration(float64(k) / r * float64(time.Second)))))
		}
		addr := xffAddr(198, int(k%int64(a.f.cfg.Addresses)))
		status, err := post(a.hc, a.f.victim.base+"/v1/entries:batch", "application/json", addr, a.body(k), &buf)
		n.count(status, err, buf.Bytes())
	}
}

// stop lets every goroutine finish its request and returns the counts.
func (a *attack) stop() attackCount {
	a.stopped.Store(true)
	a.wg.Wait()
	a.hc.CloseIdleConnections()
	sum := attackCount{took: time.Since(a.start)}
	for _, n := range a.counts {
		sum = sum.plus(n)
	}
	return sum
}

// plus adds m's counts to n's; took is the longer.
func (n attackCount) plus(m attackCount) attackCount {
	out := attackCount{batches: n.batches + m.batches, took: max(n.took, m.took),
		entries: map[string]int{}, whole: map[string]int{}}
	for _, src := range []attackCount{n, m} {
		for k, v := range src.entries {
			out.entries[k] += v
		}
		for k, v := range src.whole {
			out.whole[k] += v
		}
	}
	return out
}

// count adds one answer to n: a batch answer's results to its entries,
// any other answer to its whole requests, by status and problem type.
func (n *attackCount) count(status int, err error, body []byte) {
	n.batches++
	switch {
	case err != nil:
		n.whole["transport"]++
	case status == http.StatusOK && bytes.HasPrefix(body, []byte(`{"results":`)):
		countEntries(body, n.entries)
	default:
		key := strconv.Itoa(status)
		if t := problemType(body, ""); t != "" {
			key += " " + t
		}
		n.whole[key]++
	}
}

type statusCount struct {
	key string
	n   int
}

// sortedCounts lists m most frequent first.
func sortedCounts(m map[string]int) []statusCount {
	var out []statusCount
	for k, v := range m {
		out = append(out, statusCount{k, v})
	}
	slices.SortFunc(out, func(a, b statusCount) int {
		if a.n != b.n {
			return b.n - a.n
		}
		return strings.Compare(a.key, b.key)
	})
	return out
}

// countEntries counts the answers of a batch answer,
// {"results":[{"status":429,"problem":{"type":"urn:signet:error:rateLimited",...}},...]},
// by status and problem type without decoding it: a result is the only
// object whose first member is "status".
func countEntries(body []byte, into map[string]int) {
	marker := []byte(`{"status":`)
	for {
		i := bytes.Index(body, marker)
		if i < 0 || len(body) < i+len(marker)+3 {
			return
		}
		body = body[i+len(marker):]
		key := string(body[:3])
		if t := problemType(body[3:], `,"problem":`); t != "" {
			key += " " + t
		}
		into[key]++
	}
}

// problemType is the name in the problem type that begins b after
// prefix, or "".
func problemType(b []byte, prefix string) string {
	rest, ok := bytes.CutPrefix(b, []byte(prefix+`{"type":"urn:signet:error:`))
	if !ok {
		return ""
	}
	name, _, _ := bytes.Cut(rest, []byte(`"`))
	return string(name)
}

// post sends body to url as from addr (if not empty) and reads the
// answer into buf.
func post(hc *http.Client, url, ctype, addr string, body []byte, buf *bytes.Buffer) (int, error) {
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", ctype)
	if addr != "" {
		req.Header.Set("X-Forwarded-For", addr)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	buf.Reset()
	_, err = buf.ReadFrom(resp.Body)
	return resp.StatusCode, err
}

// xffAddr is the i-th IPv4 address under the /8 first.
func xffAddr(first byte, i int) string {
	return fmt.Sprintf("%d.%d.%d.%d", first, byte(i>>16), byte(i>>8), byte(i))
}

// forgedBatches makes n batch bodies of entries that name the victim's
// kid but are signed by another key: well-formed, with a nonce the server
// issued, and a signature that does not verify.
func (f *flood) forgedBatches(ctx context.Context, n int) ([][]byte, error) {
	other, err := keys.GenerateKey()
	if err != nil {
		return nil, err
	}
	es, err := f.forgedEntries(ctx, other, n*f.cfg.BatchSize)
	if err != nil {
		return nil, err
	}
	var out [][]byte
	for i := range n {
		out = append(out, batchBody(es[i*f.cfg.BatchSize:(i+1)*f.cfg.BatchSize]))
	}
	return out, nil
}

// forgedEntries signs n entries with key under the victim's kid.
func (f *flood) forgedEntries(ctx context.Context, key keys.PrivateKey, n int) ([]entry, error) {
	nonce, err := f.victim.headNonce(ctx)
	if err != nil {
		return nil, err
	}
	return forge(key, f.victim.signers[0], nonce, f.victim.base+"/v1/entries", n)
}

// forge signs n entries with key under victim's kid, for url with nonce:
// well-formed entries whose signature does not verify.
func forge(key keys.PrivateKey, victim benchSigner, nonce, url string, n int) ([]entry, error) {
	h := keys.Header{Kid: victim.key.Public().Thumbprint(), Nonce: nonce, URL: url}
	out := make([]entry, n)
	for i := range out {
		j, err := key.Sign(h, benchPayload(victim.id, int64(i), 300))
		if err != nil {
			return nil, err
		}
		out[i] = entry{body: j.Flattened()}
	}
	return out, nil
}

// unknownKidBatch is a batch of entries under fresh random kids of the
// thumbprint form, which no key has: the signature is never reached, so
// it is random too.
func (f *flood) unknownKidBatch(k int64) []byte {
	r := rand.New(rand.NewPCG(uint64(k), uint64(time.Now().UnixNano())))
	kids := make([]string, f.cfg.BatchSize)
	for i := range kids {
		kids[i] = base64.RawURLEncoding.EncodeToString(randomBytes(r, 32))
	}
	return f.rawBatch(kids, r)
}

// rawBatch is a batch with one entry per kid, built as text: a header
// with kid, alg, a nonce and the url, a 300-byte payload and a random
// signature.
func (f *flood) rawBatch(kids []string, r *rand.Rand) []byte {
	b64 := base64.RawURLEncoding.EncodeToString
	payload := b64(benchPayload(f.victim.signers[0].id, 0, 300))
	sig := b64(randomBytes(r, 64))
	var b strings.Builder
	b.WriteString(`{"entries":[`)
	for i, kid := range kids {
		if i > 0 {
			b.WriteByte(',')
		}
		h := fmt.Sprintf(`{"alg":"EdDSA","kid":%q,"nonce":%q,"url":%q}`, kid, f.nonce, f.victim.base+"/v1/entries")
		fmt.Fprintf(&b, `{"protected":%q,"payload":%q,"signature":%q}`, b64([]byte(h)), payload, sig)
	}
	b.WriteString(`]}`)
	return []byte(b.String())
}

func randomBytes(r *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}
