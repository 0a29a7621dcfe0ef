package api

import (
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
