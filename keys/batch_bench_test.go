//go:build linux

package keys

import (
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"os"
	"runtime"
	"slices"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"filippo.io/edwards25519"
	"github.com/hdevalence/ed25519consensus"
	voi "github.com/oasisprotocol/curve25519-voi/primitives/ed25519"
)

// The batch verifiers measured beside crypto/ed25519 and VerifyBatch.
// ed25519consensus and curve25519-voi check the cofactored equation, so
// they are here only to be measured: their verdicts are not
// crypto/ed25519's (see VerifyBatch).

// benchSet is n signatures over 300-byte messages, under n keys or one.
type benchSet struct {
	pubs  []ed25519.PublicKey
	msgs  [][]byte
	sigs  [][]byte
	bkeys []*BatchKey
	voiEx []*voi.ExpandedPublicKey
}

func newBenchSet(tb testing.TB, n int, oneKey bool) *benchSet {
	s := &benchSet{}
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	for i := range n {
		if !oneKey && i > 0 {
			pub, priv, _ = ed25519.GenerateKey(rand.Reader)
		}
		msg := make([]byte, 300)
		rand.Read(msg)
		s.pubs = append(s.pubs, pub)
		s.msgs = append(s.msgs, msg)
		s.sigs = append(s.sigs, ed25519.Sign(priv, msg))
		if oneKey && i > 0 {
			s.bkeys = append(s.bkeys, s.bkeys[0])
			s.voiEx = append(s.voiEx, s.voiEx[0])
			continue
		}
		s.bkeys = append(s.bkeys, NewBatchKey(PublicKey(pub)))
		ex, err := voi.NewExpandedPublicKey(voi.PublicKey(pub))
		if err != nil {
			tb.Fatal(err)
		}
		s.voiEx = append(s.voiEx, ex)
	}
	return s
}

// verifiers are the ways measured of checking a benchSet; each fails the
// benchmark if a valid signature is refused.
var verifiers = []struct {
	name string
	run  func(b *testing.B, s *benchSet)
}{
	{"crypto/ed25519", func(b *testing.B, s *benchSet) {
		for i := range s.sigs {
			if !ed25519.Verify(s.pubs[i], s.msgs[i], s.sigs[i]) {
				b.Fatal("refused")
			}
		}
	}},
	{"ed25519consensus", func(b *testing.B, s *benchSet) {
		v := ed25519consensus.NewPreallocatedBatchVerifier(len(s.sigs))
		for i := range s.sigs {
			v.Add(s.pubs[i], s.msgs[i], s.sigs[i])
		}
		if !v.Verify() {
			b.Fatal("refused")
		}
	}},
	{"voi", func(b *testing.B, s *benchSet) {
		v := voi.NewBatchVerifierWithCapacity(len(s.sigs)).ForceNoPublicKeyExpansion()
		for i := range s.sigs {
			v.Add(voi.PublicKey(s.pubs[i]), s.msgs[i], s.sigs[i])
		}
		if !v.VerifyBatchOnly(rand.Reader) {
			b.Fatal("refused")
		}
	}},
	{"voi, expanded keys", func(b *testing.B, s *benchSet) {
		v := voi.NewBatchVerifierWithCapacity(len(s.sigs))
		for i := range s.sigs {
			v.AddExpanded(s.voiEx[i], s.msgs[i], s.sigs[i])
		}
		if !v.VerifyBatchOnly(rand.Reader) {
			b.Fatal("refused")
		}
	}},
	{"keys.VerifyBatch", func(b *testing.B, s *benchSet) {
		entries := make([]BatchEntry, len(s.sigs))
		for i := range s.sigs {
			entries[i] = BatchEntry{Key: NewBatchKey(PublicKey(s.pubs[i])), Message: s.msgs[i], Signature: s.sigs[i]}
		}
		if slices.Contains(VerifyBatch(entries), false) {
			b.Fatal("refused")
		}
	}},
	{"keys.VerifyBatch, prepared keys", func(b *testing.B, s *benchSet) {
		entries := make([]BatchEntry, len(s.sigs))
		for i := range s.sigs {
			entries[i] = BatchEntry{Key: s.bkeys[i], Message: s.msgs[i], Signature: s.sigs[i]}
		}
		if slices.Contains(VerifyBatch(entries), false) {
			b.Fatal("refused")
		}
	}},
	// A batch that fails: every signature is then checked alone.
	{"keys.VerifyBatch, prepared, 1 bad", func(b *testing.B, s *benchSet) {
		entries := make([]BatchEntry, len(s.sigs))
		for i := range s.sigs {
			entries[i] = BatchEntry{Key: s.bkeys[i], Message: s.msgs[i], Signature: s.sigs[i]}
		}
		entries[0].Message = s.msgs[1]
		if got := VerifyBatch(entries); got[0] || slices.Contains(got[1:], false) {
			b.Fatal("wrong verdicts")
		}
	}},
	// The parts of keys.VerifyBatch: R's decoding and subgroup test, per
	// signature.
	{"part: decode R", func(b *testing.B, s *benchSet) {
		for _, sig := range s.sigs {
			if _, err := new(edwards25519.Point).SetBytes(sig[:32]); err != nil {
				b.Fatal(err)
			}
		}
	}},
	{"part: decode R, torsionFree(R)", func(b *testing.B, s *benchSet) {
		for _, sig := range s.sigs {
			p, _ := new(edwards25519.Point).SetBytes(sig[:32])
			if !torsionFree(p) {
				b.Fatal("not torsion-free")
			}
		}
	}},
	{"part: decode R, [L]R", func(b *testing.B, s *benchSet) {
		for _, sig := range s.sigs {
			p, _ := new(edwards25519.Point).SetBytes(sig[:32])
			if !torsionFreeByOrder(p) {
				b.Fatal("not torsion-free")
			}
		}
	}},
}

// BenchmarkVerifyBatch measures each verifier on batches of valid
// signatures under distinct keys; us/sig is the cost per signature.
// With -count, each rep runs every verifier in turn.
func BenchmarkVerifyBatch(b *testing.B) {
	for _, n := range []int{8, 32, 100} {
		for _, oneKey := range []bool{false, true} {
			s := newBenchSet(b, n, oneKey)
			for _, v := range verifiers {
				b.Run(fmt.Sprintf("n=%d/oneKey=%v/%s", n, oneKey, v.name), func(b *testing.B) {
					for b.Loop() {
						v.run(b, s)
					}
					b.ReportMetric(float64(b.Elapsed().Nanoseconds())/1e3/float64(b.N*n), "us/sig")
				})
			}
		}
	}
}

// TestBatchCost prints, for one run on this machine, the cost per
// signature of each verifier and its ratio to crypto/ed25519.Verify's. On
// a shared machine wall time measures the neighbours, so each measurement
// is this thread's CPU time (CLOCK_THREAD_CPUTIME_ID) over about 20 ms of
// work, the reps take the verifiers in turn (starting each rep at the next
// one) so that all share the machine's moods, and the figure is the
// median. It runs only with SIGNET_BATCH_COST set, to the number of reps:
//
//	SIGNET_BATCH_COST=21 go test -count=1 -run TestBatchCost -v ./keys/
func TestBatchCost(t *testing.T) {
	var reps int
	if _, err := fmt.Sscan(os.Getenv("SIGNET_BATCH_COST"), &reps); err != nil || reps < 1 {
		t.Skip("set SIGNET_BATCH_COST to the number of reps")
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	b := &testing.B{} // only for b.Fatal in the verifiers, never reached
	for _, n := range []int{8, 32, 100} {
		for _, oneKey := range []bool{false, true} {
			s := newBenchSet(t, n, oneKey)
			loops := make([]int, len(verifiers))
			for i, v := range verifiers {
				start := threadCPU()
				v.run(b, s)
				loops[i] = max(1, int(20*time.Millisecond/max(1, threadCPU()-start)))
			}
			costs := make([][]float64, len(verifiers))
			for rep := range reps {
				for j := range verifiers {
					i := (rep + j) % len(verifiers)
					start := threadCPU()
					for range loops[i] {
						verifiers[i].run(b, s)
					}
					d := threadCPU() - start
					costs[i] = append(costs[i], float64(d.Nanoseconds())/1e3/float64(loops[i]*n))
				}
			}
			keys := "distinct keys"
			if oneKey {
				keys = "one key"
			}
			fmt.Printf("\n%d signatures, %s, thread CPU time, median of %d reps (%s)\n", n, keys, reps, time.Now().Format(time.TimeOnly))
			std := median(costs[0])
			for i, v := range verifiers {
				m := median(costs[i])
				fmt.Printf("  %-32s %6.1f µs/sig  %5.2f × crypto/ed25519  (quartiles %s)\n", v.name, m, m/std, quartiles(costs[i]))
			}
		}
	}
}

// threadCPU returns the CPU time of the calling thread.
func threadCPU() time.Duration {
	var ts syscall.Timespec
	const clockThreadCPUTimeID = 3
	if _, _, errno := syscall.Syscall(syscall.SYS_CLOCK_GETTIME, clockThreadCPUTimeID, uintptr(unsafe.Pointer(&ts)), 0); errno != 0 {
		panic(errno)
	}
	return time.Duration(ts.Nano())
}

func median(xs []float64) float64 {
	s := slices.Sorted(slices.Values(xs))
	return s[len(s)/2]
}

func quartiles(xs []float64) string {
	s := slices.Sorted(slices.Values(xs))
	return fmt.Sprintf("%.1f–%.1f", s[len(s)/4], s[len(s)*3/4])
}
