package audit_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/signet-ledger/signet/audit"
)

// BenchmarkAudit audits one generated export of 50,000 records per
// iteration (as "signet audit FILE" does, on every core) and reports
// records/s. The export is written once, outside the timer.
func BenchmarkAudit(b *testing.B) {
	const n = 50_000
	path := filepath.Join(b.TempDir(), "export.ndjson")
	logKey, _ := writeLargeExport(b, path, n)
	b.ResetTimer()
	var records int64
	for b.Loop() {
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		s, err := audit.Audit(context.Background(), f, audit.Options{LogKey: logKey})
		f.Close()
		if err != nil || s.Records != n {
			b.Fatalf("Audit = %v, %d records", err, s.Records)
		}
		records += s.Records
	}
	b.ReportMetric(float64(records)/b.Elapsed().Seconds(), "records/s")
}
