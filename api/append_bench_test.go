package api_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/signet-ledger/signet/api"
	"github.com/signet-ledger/signet/internal/signettest"
	"github.com/signet-ledger/signet/keys"
	"github.com/signet-ledger/signet/ledger"
)

// BenchmarkAppendPath is POST /v1/entries through the whole handler (gin,
// request log discarded, parse, decode, verify, group commit, answer) on
// the in-memory store, with 32 × GOMAXPROCS clients in parallel: the server's
// own CPU per append without PostgreSQL, the network or a client. Its CPU
// profile (-cpuprofile) gives each part's share; docs/PERFORMANCE.md has
// the command.
func BenchmarkAppendPath(b *testing.B) {
	m := signettest.NewMem(b, nil)
	s, err := api.New(api.Config{Log: m.Log, AdminToken: "t", LogKey: "k"})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	var signers []keys.PrivateKey
	for i := range 8 {
		k, err := keys.GenerateKey()
		if err != nil {
			b.Fatal(err)
		}
		pub := k.Public()
		j, err := k.Sign(keys.Header{JWK: &pub, Nonce: m.Log.NewNonce(), URL: "http://bench" + "/v1/signers"},
			[]byte(fmt.Sprintf(`{"signer":"bench-%d"}`, i)))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := m.Log.Register(ctx, ledger.Signed{JWS: j, Path: "/v1/signers"}); err != nil {
			b.Fatal(err)
		}
		signers = append(signers, k)
	}
	payload := []byte(`{"memo":"` + strings.Repeat("x", 289) + `"}`)
	bodies := make([][]byte, b.N+1000)
	for i := range bodies {
		k := signers[i%len(signers)]
		j, err := k.Sign(keys.Header{Kid: k.Public().Thumbprint(), Nonce: m.Log.NewNonce(), URL: "http://bench/v1/entries"}, payload)
		if err != nil {
			b.Fatal(err)
		}
		bodies[i] = j.Flattened()
	}
	var next atomic.Int64
	b.ReportAllocs()
	b.SetParallelism(32) // 64 clients on 2 cores, as the 64-client run
	cpu0 := processCPU(b)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req := httptest.NewRequest(http.MethodPost, "/v1/entries", bytes.NewReader(bodies[next.Add(1)-1]))
			req.Header.Set("Content-Type", "application/jose+json")
			req.RemoteAddr = "127.0.0.1:40000"
			w := httptest.NewRecorder()
			s.ServeHTTP(w, req)
			if w.Code != http.StatusCreated {
				b.Fatalf("POST /v1/entries = %d %s", w.Code, w.Body)
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64((processCPU(b)-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/op")
}

// processCPU is the CPU time this process has used, user and system: on a
// shared machine a benchmark's wall time stretches with other load, its
// CPU time much less.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
