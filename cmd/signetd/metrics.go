package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"

	"github.com/signet-ledger/signet/api"
	"github.com/signet-ledger/signet/ledger"
	"github.com/signet-ledger/signet/metrics"
)

// metricsServer serves the Prometheus metrics at /metrics on a listener
// of its own (--metrics-addr). A nil *metricsServer is no metrics: every
// method does nothing.
type metricsServer struct {
	m   *metrics.Metrics
	srv *http.Server
	ln  net.Listener
}

// listenMetrics listens on addr; an address that cannot be listened on is
// a start-up error naming the flag. With no addr it returns nil.
func listenMetrics(addr string) (*metricsServer, error) {
	if addr == "" {
		return nil, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--metrics-addr: %w", err)
	}
	m := metrics.New()
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.Handler())
	return &metricsServer{m: m, srv: newHTTPServer(mux, defaultTimeouts), ln: ln}, nil
}

// ledgerObserver is the log's Observer: nil without metrics.
func (s *metricsServer) ledgerObserver() ledger.Observer {
	if s == nil {
		return nil
	}
	return s.m
}

// apiObserver is the HTTP layer's Observer: nil without metrics.
func (s *metricsServer) apiObserver() api.Observer {
	if s == nil {
		return nil
	}
	return s.m
}

// watch adds the metrics read from the log, the server and the store when
// scraped.
func (s *metricsServer) watch(l *ledger.Log, h *api.Server, store ledger.Store) {
	if s == nil {
		return
	}
	s.m.WatchLog(l)
	s.m.WatchServer(h)
	s.m.WatchStore(store)
}

// addr is the address listened on, for the start-up log line.
func (s *metricsServer) addr() string {
	if s == nil {
		return ""
	}
	return s.ln.Addr().String()
}

// serve serves until shutdown. Its failure is logged, not fatal: the log
// goes on without metrics.
func (s *metricsServer) serve(log *slog.Logger) {
	if s == nil {
		return
	}
	if err := s.srv.Serve(s.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Error("metrics listener stopped", "err", err)
	}
}

// shutdown stops the listener, letting scrapes in flight finish within ctx.
func (s *metricsServer) shutdown(ctx context.Context) {
	if s != nil {
		s.srv.Shutdown(ctx)
	}
}

// close stops the listener at once.
func (s *metricsServer) close() {
	if s != nil {
		s.srv.Close()
		s.ln.Close()
	}
}
