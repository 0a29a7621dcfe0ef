package api

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/gin-gonic/gin"
)

// The HTTP layer's cost per request, without the ledger: GET /healthz
// through the whole Server (gin, the request log, the address limit) with
// the request log discarded or written as signetd writes it (JSON, one
// write to a file per line), beside a bare net/http handler writing the
// same answer; and one loopback HTTP/1.1 round trip of that bare handler,
// client and server together. docs/PERFORMANCE.md has the figures.

func benchServer(b *testing.B, logger *slog.Logger) *Server {
	s, err := New(Config{AdminToken: "t", LogKey: "k", Logger: logger})
	if err != nil {
		b.Fatal(err)
	}
	return s
}

func serveLoop(b *testing.B, h http.Handler) {
	req := httptest.NewRequest(http.MethodGet, "/healthz", nil)
	req.RemoteAddr = "127.0.0.1:40000"
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatalf("GET /healthz = %d", w.Code)
		}
	}
}

func bareHealthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", jsonContentType)
	io.WriteString(w, `{"status":"ok"}`)
}

func BenchmarkHTTPLayer(b *testing.B) {
	b.Run("net/http handler", func(b *testing.B) { serveLoop(b, http.HandlerFunc(bareHealthz)) })
	b.Run("gin server, log discarded", func(b *testing.B) { serveLoop(b, benchServer(b, nil)) })
	b.Run("gin server, JSON log to a file", func(b *testing.B) {
		f, err := os.Create(filepath.Join(b.TempDir(), "log"))
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		serveLoop(b, benchServer(b, slog.New(slog.NewJSONHandler(f, nil))))
	})
}

// BenchmarkRequestLogLine is the request log middleware alone (its id,
// header and line), the line formatted by signetd's JSON handler into a
// discarding writer, or written to a file.
func BenchmarkRequestLogLine(b *testing.B) {
	f, err := os.Create(filepath.Join(b.TempDir(), "log"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	for _, out := range []struct {
		name string
		w    io.Writer
	}{{"discarded", nil}, {"formatted", io.Discard}, {"written to a file", f}} {
		b.Run(out.name, func(b *testing.B) {
			var l *slog.Logger
			if out.w != nil {
				l = slog.New(slog.NewJSONHandler(out.w, nil))
			}
			s := benchServer(b, l)
			req := httptest.NewRequest(http.MethodPost, "/v1/entries", nil)
			req.RemoteAddr = "127.0.0.1:40000"
			b.ReportAllocs()
			for b.Loop() {
				c, _ := gin.CreateTestContext(httptest.NewRecorder())
				c.Request = req
				s.requestLog(c)
			}
		})
	}
}

// BenchmarkLoopbackRoundTrip is one HTTP/1.1 request and answer over
// loopback TCP to the bare handler, client and server in this process.
func BenchmarkLoopbackRoundTrip(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(bareHealthz))
	defer srv.Close()
	c := srv.Client()
	b.ReportAllocs()
	for b.Loop() {
		resp, err := c.Get(srv.URL + "/healthz")
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}
