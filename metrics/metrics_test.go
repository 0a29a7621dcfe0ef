package metrics_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/signet-ledger/signet/internal/memstore"
	"github.com/signet-ledger/signet/internal/signettest"
	"github.com/signet-ledger/signet/ledger"
	"github.com/signet-ledger/signet/metrics"
)

// scrape GETs the metrics from srv and returns the value of the series of
// name with exactly labels, and whether there is one.
func scrape(t *testing.T, srv *httptest.Server, name string, labels map[string]string) (float64, bool) {
	t.Helper()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	f := fams[name]
	if f == nil {
		return 0, false
	}
	for _, m := range f.Metric {
		if sameLabels(m.Label, labels) {
			return m.GetCounter().GetValue() + m.GetGauge().GetValue(), true
		}
	}
	return 0, false
}

func sameLabels(have []*dto.LabelPair, want map[string]string) bool {
	if len(have) != len(want) {
		return false
	}
	for _, l := range have {
		if want[l.GetName()] != l.GetValue() {
			return false
		}
	}
	return true
}

// TestStoreFailures: a store read that fails is counted by method and
// kind of error, one that finds nothing is not, and a scrape whose read of
// the head fails reports signet_store_up 0, and 1 again once the store
// answers.
func TestStoreFailures(t *testing.T) {
	m := metrics.New()
	mem := signettest.NewMem(t, func(c *ledger.Config) { c.Observer = m })
	m.WatchLog(mem.Log)
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	ctx := context.Background()
	down := fmt.Errorf("%w: the test's database is down", ledger.ErrUnavailable)
	head := map[string]string{"op": "Head", "error": "unavailable"}

	mem.Store.Faults.Fail(memstore.OpRead, 1, down)
	if _, err := mem.Log.Head(ctx); err == nil {
		t.Fatal("Head with the store down succeeded")
	}
	if _, err := mem.Log.Record(ctx, 7); err == nil {
		t.Fatal("Record(7) of an empty log succeeded")
	}
	if v, _ := scrape(t, srv, "signet_store_errors_total", head); v != 1 {
		t.Errorf("signet_store_errors_total%v = %v, want 1", head, v)
	}
	if _, ok := scrape(t, srv, "signet_store_errors_total", map[string]string{"op": "Record", "error": "other"}); ok {
		t.Error("a record not found was counted as a store error")
	}

	mem.Store.Faults.Fail(memstore.OpRead, 1, down) // the scrape's own read of the head
	if v, ok := scrape(t, srv, "signet_store_up", nil); !ok || v != 0 {
		t.Errorf("signet_store_up with the store down = %v, %v; want 0", v, ok)
	}
	if v, ok := scrape(t, srv, "signet_store_up", nil); !ok || v != 1 {
		t.Errorf("signet_store_up with the store back = %v, %v; want 1", v, ok)
	}
	if v, _ := scrape(t, srv, "signet_store_errors_total", head); v != 2 {
		t.Errorf("signet_store_errors_total%v = %v after the failed scrape, want 2", head, v)
	}
}

// BenchmarkAppendHooks is what the hooks cost one append on the request
// path: its answer, its outcome, and its share of a batch's commit.
func BenchmarkAppendHooks(b *testing.B) {
	m := metrics.New()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			m.Answered("POST", "/v1/entries", 201, time.Millisecond)
			m.Appended(ledger.KindEntry, "appended")
			m.Committed(1, 1, time.Millisecond, nil)
		}
	})
}
