package main

import (
	"context"
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/signet-ledger/signet/client"
	"github.com/signet-ledger/signet/keys"
)

// target is one server under test and the signed entries this tool holds
// for it.
type target struct {
	name     string
	base     string
	admin    string
	pid      int     // 0 if unknown: no CPU or RSS column
	daemon   *daemon // nil if the server was already running
	schema   string  // the schema of a started server's log
	hc       *http.Client
	cl       *client.Client
	signers  []benchSigner
	payload  int
	nonceTTL time.Duration

	nonces   []string  // unused nonces from earlier answers
	noncesAt time.Time // when the oldest of them was issued, about
	pool     []entry   // signed, not yet sent
	seq      int64     // entries signed so far, numbers the payloads
}

// benchSigner is a signer this tool registered, and its key.
type benchSigner struct {
	id  string
	key keys.PrivateKey
}

// entry is one signed entry: its flattened JWS, and about when its nonce
// was issued.
type entry struct {
	body  []byte
	nonce time.Time
}

func newTarget(name, base, admin string, pid int, payload int, ttl time.Duration) *target {
	hc := &http.Client{Transport: &http.Transport{MaxIdleConns: 2048, MaxIdleConnsPerHost: 2048,
		DisableCompression: true, IdleConnTimeout: 5 * time.Minute}}
	return &target{name: name, base: base, admin: admin, pid: pid, hc: hc, payload: payload, nonceTTL: ttl,
		cl: client.New(base, client.WithHTTPClient(hc), client.WithAdminToken(admin))}
}

// register registers n signers "bench-<name>-<i>" with new keys.
func (t *target) register(ctx context.Context, n int) error {
	for i := range n {
		k, err := keys.GenerateKey()
		if err != nil {
			return err
		}
		id := fmt.Sprintf("bench-%s-%d-%s", t.name, i, randomHex(3))
		if _, err := t.cl.Register(ctx, id, k, nil); err != nil {
			return fmt.Errorf("registering %s at %s: %w", id, t.base, err)
		}
		t.signers = append(t.signers, benchSigner{id: id, key: k})
	}
	return nil
}

// fresh reports whether a nonce issued at at is still safely usable.
func (t *target) fresh(at time.Time) bool { return time.Since(at) < t.nonceTTL/2 }

// fill makes sure at least n signed entries are in the pool.
func (t *target) fill(ctx context.Context, n int) error {
	for len(t.pool) > 0 && !t.fresh(t.pool[0].nonce) {
		t.pool = t.pool[1:]
	}
	need := n - len(t.pool)
	if need <= 0 {
		return nil
	}
	nonces, at, err := t.takeNonces(ctx, need)
	if err != nil {
		return err
	}
	t.pool = append(t.pool, t.sign(nonces, at)...)
	return nil
}

// takeNonces returns n nonces: saved ones while fresh, then new ones from
// HEAD /v1/nonce; at is when the oldest was issued.
func (t *target) takeNonces(ctx context.Context, n int) ([]string, time.Time, error) {
	at := time.Now()
	var out []string
	if len(t.nonces) > 0 && t.fresh(t.noncesAt) {
		k := min(n, len(t.nonces))
		out, t.nonces, at = t.nonces[:k:k], t.nonces[k:], t.noncesAt
	}
	more, err := t.fetchNonces(ctx, n-len(out))
	return append(out, more...), at, err
}

// fetchNonces gets n nonces with HEAD /v1/nonce from 16 connections.
func (t *target) fetchNonces(ctx context.Context, n int) ([]string, error) {
	out := make([]string, n)
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for w := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += 16 {
				nonce, err := t.headNonce(ctx)
				if err != nil {
					errs <- err
					return
				}
				out[i] = nonce
			}
		}()
	}
	wg.Wait()
	select {
	case err := <-errs:
		return nil, err
	default:
		return out, nil
	}
}

func (t *target) headNonce(ctx context.Context) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodHead, t.base+"/v1/nonce", nil)
	if err != nil {
		return "", err
	}
	resp, err := t.hc.Do(req)
	if err != nil {
		return "", err
	}
	resp.Body.Close()
	n := resp.Header.Get("Replay-Nonce")
	if resp.StatusCode != http.StatusOK || n == "" {
		return "", fmt.Errorf("HEAD /v1/nonce: %s, nonce %q", resp.Status, n)
	}
	return n, nil
}

// sign signs one entry per nonce, spreading them over the signers, on
// every core.
func (t *target) sign(nonces []string, at time.Time) []entry {
	out := make([]entry, len(nonces))
	first := t.seq
	t.seq += int64(len(nonces))
	workers := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(nonces); i += workers {
				seq := first + int64(i)
				s := t.signers[seq%int64(len(t.signers))]
				j, err := t.cl.Sign(client.Signer{Key: s.key}, "/v1/entries", nonces[i], benchPayload(s.id, seq, t.payload))
				if err != nil {
					panic(err) // a valid key and payload always sign
				}
				out[i] = entry{body: j.Flattened(), nonce: at}
			}
		}()
	}
	wg.Wait()
	return out
}

// benchPayload is a JSON object of exactly size bytes (at least 60).
func benchPayload(signer string, seq int64, size int) []byte {
	head := fmt.Sprintf(`{"signer":%q,"seq":%d,"memo":"`, signer, seq)
	pad := max(0, size-len(head)-2)
	return []byte(head + strings.Repeat("x", pad) + `"}`)
}

// take removes the first n entries from the pool.
func (t *target) take(n int) []entry {
	n = min(n, len(t.pool))
	out := t.pool[:n:n]
	t.pool = t.pool[n:]
	return out
}

// giveBack returns unsent entries to the front of the pool.
func (t *target) giveBack(es []entry) {
	t.pool = append(es[:len(es):len(es)], t.pool...)
}

// saveNonces keeps nonces from answers for later entries.
func (t *target) saveNonces(ns []string, at time.Time) {
	if len(t.nonces) == 0 {
		t.noncesAt = at
	}
	t.nonces = append(t.nonces, ns...)
}
