package api

import (
	"fmt"
	"math"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"
	"golang.org/x/time/rate"
)

// RateLimit bounds request rates with token buckets. A zero rate turns
// that limit off.
//
// Every request costs its client address one token, and a batch one more
// for each entry after its first. A signed request costs its kid a token
// only once its signature verified, so that no one can spend a signer's
// budget with requests the signer did not sign. A signed request (or batch
// entry) refused before its signature verified costs its address one
// failure token; once an address has none left, its signed requests are
// refused before any key lookup or signature check, so a flood of invalid
// requests costs little more than reading them.
type RateLimit struct {
	PerAddr float64 // requests per second per client address
	PerKID  float64 // verified signed requests per second per kid
	// Failures is the rate of signed requests per client address that may
	// fail their checks.
	Failures float64
	// Burst is the bucket size of every limit. Optional, default twice
	// each limit's rate.
	Burst int
}

// rateLimitedError carries the wait the client should honour.
type rateLimitedError struct {
	wait time.Duration
	why  string
}

func (e *rateLimitedError) Error() string {
	return fmt.Sprintf("api: %s; retry in %s", e.why, e.wait.Round(time.Millisecond))
}

func (e *rateLimitedError) Unwrap() error { return errRateLimited }

// maxBuckets bounds each limiter's memory: about 200 bytes a bucket, so
// some 13 MiB at most whatever keys clients choose.
const maxBuckets = 1 << 16

// limiters holds one token bucket per key, evicting buckets idle for
// longer than idleAfter, so that memory follows recent clients. At
// maxBuckets keys, new keys share one overflow bucket until buckets free
// up: memory stays bounded, and a client who makes many addresses only
// limits the others who overflow with it.
type limiters struct {
	rate     rate.Limit
	burst    int
	mu       sync.Mutex
	m        map[string]*limiter
	overflow *limiter
	swept    time.Time
	refused  atomic.Int64 // requests refused for want of a token
}

type limiter struct {
	*rate.Limiter
	last time.Time
}

const idleAfter = 5 * time.Minute

func newLimiters(r float64, burst int) *limiters {
	if r <= 0 {
		return nil
	}
	if burst <= 0 {
		burst = int(math.Max(1, 2*r))
	}
	l := &limiters{rate: rate.Limit(r), burst: burst, m: map[string]*limiter{}, swept: time.Now()}
	l.overflow = &limiter{Limiter: rate.NewLimiter(l.rate, l.burst)}
	return l
}

// bucket returns key's bucket. The caller holds l.mu.
func (l *limiters) bucket(key string, now time.Time) *limiter {
	if now.Sub(l.swept) > idleAfter || len(l.m) >= maxBuckets && now.Sub(l.swept) > time.Second {
		for k, v := range l.m {
			if now.Sub(v.last) > idleAfter || v.TokensAt(now) >= float64(l.burst) {
				delete(l.m, k) // a full bucket is the same as a new one
			}
		}
		l.swept = now
	}
	lim, ok := l.m[key]
	if !ok {
		if len(l.m) >= maxBuckets {
			return l.overflow
		}
		lim = &limiter{Limiter: rate.NewLimiter(l.rate, l.burst)}
		l.m[key] = lim
	}
	lim.last = now
	return lim
}

// refuse counts n requests refused by l.
func (l *limiters) refuse(n int) {
	if l != nil && n > 0 {
		l.refused.Add(int64(n))
	}
}

// count is the number of requests l refused.
func (l *limiters) count() int64 {
	if l == nil {
		return 0
	}
	return l.refused.Load()
}

// RateLimited counts the requests each limit of [RateLimit] refused, a
// batch's entries one by one.
type RateLimited struct {
	Addr, KID, Failures int64
}

// RateLimited returns the requests each limit refused since the server
// started.
func (s *Server) RateLimited() RateLimited {
	return RateLimited{Addr: s.byAddr.count(), KID: s.byKID.count(), Failures: s.failures.count()}
}

// allow takes a token for key, or reports how long to wait for one.
func (l *limiters) allow(key string, now time.Time) (time.Duration, bool) {
	n, wait := l.tokens(key, 1, now)
	return wait, n == 1
}

// take takes up to n tokens for key and returns how many it took; if
// fewer than n, also how long to wait for the next one. The caller refuses
// the requests it took no token for: they are counted refused.
func (l *limiters) take(key string, n int, now time.Time) (int, time.Duration) {
	got, wait := l.tokens(key, n, now)
	l.refuse(n - got)
	return got, wait
}

// tokens takes up to n tokens for key and returns how many it took; if
// fewer than n, also how long to wait for the next one.
func (l *limiters) tokens(key string, n int, now time.Time) (int, time.Duration) {
	if l == nil || n <= 0 {
		return n, 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	lim := l.bucket(key, now)
	got := min(n, int(math.Floor(lim.TokensAt(now))))
	if got > 0 {
		lim.AllowN(now, got)
	}
	if got == n {
		return n, 0
	}
	r := lim.ReserveN(now, 1)
	wait := r.DelayFrom(now)
	r.CancelAt(now)
	return max(got, 0), wait
}

// peek reports whether key has a token, without taking it, and if not,
// how long until it has one.
func (l *limiters) peek(key string, now time.Time) (time.Duration, bool) {
	if l == nil {
		return 0, true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	lim, ok := l.m[key]
	if !ok {
		if len(l.m) < maxBuckets {
			return 0, true
		}
		lim = l.overflow
	}
	if t := lim.TokensAt(now); t < 1 {
		return time.Duration((1 - t) / float64(l.rate) * float64(time.Second)), false
	}
	return 0, true
}

// size is the number of buckets held, for tests.
func (l *limiters) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.m)
}

// limitAddr applies the per-address limit to every request.
func (s *Server) limitAddr(c *gin.Context) {
	if wait, ok := s.byAddr.allow(c.ClientIP(), time.Now()); !ok {
		s.byAddr.refuse(1)
		s.fail(c, &rateLimitedError{wait, "too many requests from this address"})
	}
}

// gate is the [ledger.Gate] of one signed request from one address.
type gate struct {
	s    *Server
	addr string
}

func (s *Server) gate(c *gin.Context) gate { return gate{s, c.ClientIP()} }

// Check refuses the request if its address has no failures left.
func (g gate) Check() error {
	if wait, ok := g.s.failures.peek(g.addr, time.Now()); !ok {
		g.s.failures.refuse(1)
		return &rateLimitedError{wait, "too many signed requests from this address failed their checks"}
	}
	return nil
}

// Verified charges the request to its key.
func (g gate) Verified(kid string) error {
	if wait, ok := g.s.byKID.allow(kid, time.Now()); !ok {
		g.s.byKID.refuse(1)
		return &rateLimitedError{wait, "too many requests signed by this key"}
	}
	return nil
}

// Failed charges a failure to the request's address.
func (g gate) Failed() { g.s.failures.allow(g.addr, time.Now()) }

// retryAfter is the Retry-After header value for a wait.
func retryAfter(wait time.Duration) string {
	return strconv.Itoa(int(math.Max(1, math.Ceil(wait.Seconds()))))
}
