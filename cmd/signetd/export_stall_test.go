package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/signet-ledger/signet/internal/signettest"
)

// slowReader reads at most n bytes per call, sleeping between calls: a
// client on a slow link.
type slowReader struct {
	r     io.Reader
	n     int
	pause time.Duration
}

func (s *slowReader) Read(p []byte) (int, error) {
	time.Sleep(s.pause)
	return s.r.Read(p[:min(len(p), s.n)])
}

// TestSlowReaderGetsWholeExport: the server's write timeout bounds one
// stretch of writing, not the whole export, so a client that keeps reading
// gets every record and the end line however long it takes. Before, the
// write timeout (60 s in production, 300 ms here) cut exports off.
func TestSlowReaderGetsWholeExport(t *testing.T) {
	e := signettest.New(t, signettest.Options{})
	k := e.Register(t, "alice")
	ctx := context.Background()
	const n = 3000
	pad := strings.Repeat("x", 1500)
	for b := 0; b < n/1000; b++ {
		var entries [][]byte
		for i := range 1000 {
			j, err := e.Client.SignEntry(ctx, k, fmt.Appendf(nil, `{"n":%d,"pad":%q}`, b*1000+i, pad))
			if err != nil {
				t.Fatal(err)
			}
			entries = append(entries, j.Flattened())
		}
		if _, err := e.Client.SubmitBatch(ctx, entries); err != nil {
			t.Fatal(err)
		}
	}
	srv := newHTTPServer(e.Server.Config.Handler, timeouts{readHeader: 5 * time.Second, read: 5 * time.Second,
		write: 300 * time.Millisecond, idle: 5 * time.Second})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })

	// Small socket buffers on both sides, so the server cannot hand the
	// whole export to the kernel and finish before the client reads it.
	dialer := &net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
		return c.Control(func(fd uintptr) { syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 16<<10) })
	}}
	hc := &http.Client{Transport: &http.Transport{DialContext: dialer.DialContext}}
	start := time.Now()
	resp, err := hc.Get("http://" + ln.Addr().String() + "/v1/log/export")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(&slowReader{r: resp.Body, n: 32 << 10, pause: 5 * time.Millisecond})
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	lines, bytes, last := 0, 0, ""
	for sc.Scan() {
		lines++
		bytes += len(sc.Bytes()) + 1
		last = sc.Text()
	}
	took := time.Since(start)
	var end struct {
		TreeSize *int64 `json:"tree_size"`
	}
	json.Unmarshal([]byte(last), &end)
	if err := sc.Err(); err != nil || lines != n+2 || end.TreeSize == nil || *end.TreeSize != n+1 {
		t.Fatalf("slow export: %d lines (%d bytes) in %s, err %v, last line %.80q; want %d records and the end line",
			lines, bytes, took, sc.Err(), last, n+1)
	}
	if took < time.Second {
		t.Fatalf("the export of %d bytes took %s: too fast to show that the 300 ms write timeout no longer applies", bytes, took)
	}
	t.Logf("%d bytes read in %s against a 300 ms write timeout", bytes, took)
}
