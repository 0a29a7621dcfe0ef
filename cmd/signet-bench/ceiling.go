package main

import (
	"crypto/ed25519"
	"crypto/rand"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// ceilingMessage is shaped like the signing input of a benchmark entry: a
// protected header of 232 base64url characters, a dot, and the 400
// characters of a 300-byte payload.
var ceilingMessage = []byte(strings.Repeat("h", 232) + "." + strings.Repeat("p", 400))

// verifyCeiling measures C, the machine's stdlib Ed25519 verification
// ceiling: one goroutine per core (GOMAXPROCS) calling ed25519.Verify on
// one signature back to back for d, the total per second. Every target of
// issue 13 is a ratio to C measured in the same run, because the host's
// speed drifts from week to week and minute to minute.
//
// perCPU is the same count per second of this process's CPU time: on a
// machine that others share, C falls with the share of the cores they
// take, while perCPU does not.
func verifyCeiling(d time.Duration) (c, perCPU float64) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		panic(err) // crypto/rand does not fail
	}
	sig := ed25519.Sign(priv, ceilingMessage)
	var n atomic.Int64
	var wg sync.WaitGroup
	cpu0 := selfCPU()
	start := time.Now()
	stop := start.Add(d)
	for range maxProcs() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var k int64
			for time.Now().Before(stop) {
				if !ed25519.Verify(pub, ceilingMessage, sig) {
					panic("signet-bench: the ceiling's signature does not verify")
				}
				k++
			}
			n.Add(k)
		}()
	}
	wg.Wait()
	wall, cpu := time.Since(start), selfCPU()-cpu0
	return float64(n.Load()) / wall.Seconds(), float64(n.Load()) / max(cpu, time.Millisecond).Seconds()
}

// ratio is rate/c, or 0 without a C.
func ratio(rate, c float64) float64 {
	if c <= 0 {
		return 0
	}
	return rate / c
}
