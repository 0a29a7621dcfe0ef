package api

import (
	"strconv"
	"testing"
	"time"
)

// TestLimitersEvictIdle: buckets idle longer than idleAfter are dropped,
// so memory follows recent clients only.
func TestLimitersEvictIdle(t *testing.T) {
	l := newLimiters(10, 10)
	now := time.Now()
	for _, k := range []string{"a", "b", "c"} {
		l.allow(k, now)
	}
	if l.size() != 3 {
		t.Fatalf("size = %d, want 3", l.size())
	}
	later := now.Add(idleAfter + time.Second)
	l.allow("d", later)
	if l.size() != 1 {
		t.Errorf("size after idle = %d, want 1 (only d)", l.size())
	}
	if _, ok := newLimiters(0, 0).allow("x", now); !ok {
		t.Errorf("a zero rate must not limit")
	}
}

// TestLimitersBounded: however many keys clients choose, a limiter holds
// at most maxBuckets buckets; keys beyond share the overflow bucket, and
// full (idle-equivalent) buckets make room again after a second.
func TestLimitersBounded(t *testing.T) {
	l := newLimiters(1, 2)
	now := time.Now()
	for i := range maxBuckets + 1000 {
		l.allow(strconv.Itoa(i), now)
	}
	if l.size() != maxBuckets {
		t.Fatalf("size = %d, want the bound %d", l.size(), maxBuckets)
	}
	// The overflow bucket is shared: its burst of 2 is soon spent.
	if _, ok := l.allow("new-1", now); ok {
		t.Errorf("a key beyond the bound got a token from a spent overflow bucket")
	}
	// Two seconds later every bucket has refilled: they are dropped and
	// new keys get buckets of their own.
	later := now.Add(2 * time.Second)
	if _, ok := l.allow("new-2", later); !ok || l.size() != 1 {
		t.Errorf("after refill: allowed %v, size %d; want a fresh bucket and the full ones dropped", ok, l.size())
	}
}

// TestTakeAndPeek: take grants what the bucket holds, up to n; peek looks
// without taking.
func TestTakeAndPeek(t *testing.T) {
	l := newLimiters(1, 5)
	now := time.Now()
	if n, _ := l.take("a", 3, now); n != 3 {
		t.Errorf("take(3) of 5 = %d", n)
	}
	if n, wait := l.take("a", 3, now); n != 2 || wait <= 0 {
		t.Errorf("take(3) of 2 = %d, wait %v; want 2 and a wait", n, wait)
	}
	if _, ok := l.peek("a", now); ok {
		t.Errorf("peek on an empty bucket = ok")
	}
	if _, ok := l.peek("b", now); !ok || l.size() != 1 {
		t.Errorf("peek on an unknown key must be ok and add no bucket")
	}
}
