package main

import (
	"runtime"
	"slices"
	"time"
)

// latencies are request durations.
type latencies []time.Duration

// quantile returns the q-quantile (0 < q <= 1) by the nearest-rank method,
// or 0 for no samples. It sorts l.
func (l latencies) quantile(q float64) time.Duration {
	if len(l) == 0 {
		return 0
	}
	slices.Sort(l)
	i := int(q*float64(len(l))+0.999999) - 1
	return l[max(0, min(i, len(l)-1))]
}

// median returns the median of xs (the lower middle for an even count), or
// 0 for none. It does not modify xs.
func median[T int64 | float64 | time.Duration](xs []T) T {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[(len(s)-1)/2]
}

// ms formats d in milliseconds with two decimals.
func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func maxProcs() int { return runtime.GOMAXPROCS(0) }
