package ledger_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/signet-ledger/signet"
	"github.com/signet-ledger/signet/internal/memstore"
	"github.com/signet-ledger/signet/internal/signettest"
	"github.com/signet-ledger/signet/keys"
	"github.com/signet-ledger/signet/ledger"
	"golang.org/x/mod/sumdb/note"
)

// TestWitnessingNeverBlocksAppends: with the only witness hanging on its
// first request, appends still answer at once, the witness never has more
// than one request in flight, and once it answers 422 the alarm is raised.
func TestWitnessingNeverBlocksAppends(t *testing.T) {
	release := make(chan struct{})
	var inflight, most, requests atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inflight.Add(1)
		defer inflight.Add(-1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		requests.Add(1)
		select {
		case <-release:
		case <-r.Context().Done():
			return
		}
		http.Error(w, "inconsistent", http.StatusUnprocessableEntity)
	}))
	defer srv.Close()
	_, vkey, err := note.GenerateKey(rand.Reader, "witness.test/w")
	if err != nil {
		t.Fatal(err)
	}
	pol, err := signet.ParsePolicy(fmt.Appendf(nil, "witness w %s %s\nquorum w\n", vkey, srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	m := signettest.NewMem(t, func(c *ledger.Config) {
		c.Witnesses, c.WitnessTimeout, c.WitnessBackoff = pol, time.Minute, 10*time.Millisecond
	})
	ctx := context.Background()
	alice, _ := keys.GenerateKey()
	if _, err := m.Log.Register(ctx, memSign(t, m, alice, signet.SignersPath, []byte(`{"signer":"alice"}`))); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for i := range 30 {
		if _, err := m.Log.AppendEntry(ctx, memSign(t, m, alice, signet.EntriesPath, fmt.Appendf(nil, `{"n":%d}`, i))); err != nil {
			t.Fatal(err)
		}
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("30 appends beside a hanging witness took %v; want well under the 1m witness timeout", d)
	}
	for deadline := time.Now().Add(10 * time.Second); requests.Load() == 0 && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	if n := requests.Load(); n != 1 {
		t.Errorf("the hanging witness got %d requests; want 1 (the heads after it coalesced)", n)
	}
	if _, err := m.Log.WitnessedCheckpoint(ctx); err == nil || !strings.Contains(err.Error(), "quorum") {
		t.Errorf("WitnessedCheckpoint() with no cosignature = %v; want ErrNotWitnessed", err)
	}
	close(release)
	deadline := time.Now().Add(20 * time.Second)
	for m.Log.Witnesses()[0].Alarm == "" && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if st := m.Log.Witnesses()[0]; !strings.Contains(st.Alarm, "422") || !strings.Contains(st.Alarm, `answered "inconsistent"`) || st.CosignedSize != 0 {
		t.Errorf("witness status after a 422 = %+v; want an alarm naming the 422 and quoting the witness's answer", st)
	}
	if most.Load() != 1 {
		t.Errorf("the witness had up to %d requests in flight; want 1", most.Load())
	}
}

// TestWitnessPolicyMustNameThisLog: a policy whose log line is another
// log's key, or a witness without a URL, is refused at Open.
func TestWitnessPolicyMustNameThisLog(t *testing.T) {
	_, other, _ := note.GenerateKey(rand.Reader, "signet.test/mem")
	_, wkey, _ := note.GenerateKey(rand.Reader, "witness.test/w")
	for name, text := range map[string]string{
		"OtherLogsKey": fmt.Sprintf("log %s\nwitness w %s http://127.0.0.1:1\nquorum w\n", other, wkey),
		"NoURL":        fmt.Sprintf("witness w %s\nquorum w\n", wkey),
	} {
		t.Run(name, func(t *testing.T) {
			pol, err := signet.ParsePolicy([]byte(text))
			if err != nil {
				t.Fatal(err)
			}
			skey, vkey, _ := note.GenerateKey(rand.Reader, "signet.test/mem")
			signer, _ := note.NewSigner(skey)
			verifier, _ := note.NewVerifier(vkey)
			_, err = ledger.Open(context.Background(), ledger.Config{Store: memstore.New(), Signer: signer, Verifier: verifier,
				Origin: "signet.test/mem", Witnesses: pol})
			if _, ok := err.(*ledger.WitnessPolicyError); !ok {
				t.Errorf("Open(%q) = %v; want a *WitnessPolicyError", text, err)
			}
		})
	}
}
