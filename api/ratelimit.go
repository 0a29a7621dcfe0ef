package api

import (
	"fmt"
	"math"
	"strconv"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"golang.org/x/time/rate"
)

// RateLimit bounds request rates with token buckets. A zero rate turns
// that limit off.
type RateLimit struct {
	PerAddr float64 // requests per second per client address
	PerKID  float64 // signed requests per second per kid
	Burst   int     // bucket size of both; Optional, default 2x the rate
}

// rateLimitedError carries the wait the client should honour.
type rateLimitedError struct{ wait time.Duration }

func (e *rateLimitedError) Error() string {
	return fmt.Sprintf("api: too many requests; retry in %s", e.wait.Round(time.Millisecond))
}

func (e *rateLimitedError) Unwrap() error { return errRateLimited }

// limiters holds one token bucket per key, evicting buckets idle for
// longer than idleAfter so that memory stays bounded by recent clients.
type limiters struct {
	rate  rate.Limit
	burst int
	mu    sync.Mutex
	m     map[string]*limiter
	swept time.Time
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
	return &limiters{rate: rate.Limit(r), burst: burst, m: map[string]*limiter{}, swept: time.Now()}
}

// allow takes a token for key, or reports how long to wait for one.
func (l *limiters) allow(key string, now time.Time) (time.Duration, bool) {
	if l == nil {
		return 0, true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.swept) > idleAfter {
		for k, v := range l.m {
			if now.Sub(v.last) > idleAfter {
				delete(l.m, k)
			}
		}
		l.swept = now
	}
	lim, ok := l.m[key]
	if !ok {
		lim = &limiter{Limiter: rate.NewLimiter(l.rate, l.burst)}
		l.m[key] = lim
	}
	lim.last = now
	r := lim.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return d, false
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
		s.fail(c, &rateLimitedError{wait})
	}
}

// limitKID applies the per-kid limit to a signed request.
func (s *Server) limitKID(kid string) error {
	if wait, ok := s.byKID.allow(kid, time.Now()); !ok {
		return &rateLimitedError{wait}
	}
	return nil
}

// retryAfter is the Retry-After header value for a wait.
func retryAfter(wait time.Duration) string {
	return strconv.Itoa(int(math.Max(1, math.Ceil(wait.Seconds()))))
}
