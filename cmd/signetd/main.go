// Command signetd is the Signet ledger server: it takes JWS-signed journal
// entries, appends them to a hash-chained Merkle log in PostgreSQL, and
// serves records, verification, checkpoints and proofs over HTTP.
//
// Run "signetd --help" for its flags.
package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"github.com/signet-ledger/signet/api"
	"github.com/signet-ledger/signet/ledger"
	"github.com/signet-ledger/signet/ui"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "signetd:", err)
			os.Exit(1)
		}
	}
}

func run(ctx context.Context, args []string, getenv func(string) string) error {
	cmd := "serve"
	if len(args) > 0 && (args[0] == "migrate" || args[0] == "import") {
		cmd, args = args[0], args[1:]
	}
	var c config
	fs := c.flagSet("signetd", getenv)
	fs.Usage = func() { printUsage(os.Stderr, fs) }
	if err := fs.Parse(args); err != nil {
		return err
	}
	if want := map[string]int{"serve": 0, "migrate": 0, "import": 1}[cmd]; fs.NArg() != want {
		return fmt.Errorf("signetd %s takes %d argument(s), got %d; see signetd --help", cmd, want, fs.NArg())
	}
	if err := c.check(); err != nil {
		return err
	}
	log := newLogger(c.LogFormat)
	switch cmd {
	case "migrate":
		return migrateStore(ctx, c, log)
	case "import":
		return importLog(ctx, c, fs.Arg(0), log)
	}
	return serve(ctx, c, log)
}

func newLogger(format string) *slog.Logger {
	if format == "text" {
		return slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	return slog.New(slog.NewJSONHandler(os.Stderr, nil))
}

// serve runs the server until ctx is done, then shuts down gracefully:
// it stops accepting, lets in-flight requests (appends included) finish
// within the grace period, and stops the sequencer.
func serve(ctx context.Context, c config, log *slog.Logger) error {
	stopProfile, err := startCPUProfile(c.CPUProfile)
	if err != nil {
		return err
	}
	defer stopProfile()
	sec, err := loadSecrets(c, log)
	if err != nil {
		return err
	}
	policy, err := readWitnessPolicy(c.WitnessPolicy)
	if err != nil {
		return err
	}
	mx, err := listenMetrics(c.MetricsAddr)
	if err != nil {
		return err
	}
	defer mx.close()
	store, closeStore, err := openStore(ctx, c, log)
	if err != nil {
		return err
	}
	defer closeStore()
	tileCache := int64(c.TileCache)
	if tileCache == 0 {
		tileCache = -1 // --tile-cache 0 keeps none
	}
	l, err := ledger.Open(ctx, ledger.Config{
		Store: store, Signer: sec.signer, Verifier: sec.verifier, Origin: sec.origin,
		NonceTTL: c.NonceTTL, Payload: ledger.PayloadRules{MaxBytes: c.MaxPayload},
		MaxBatch: c.BatchSize, MaxDelay: c.BatchDelay, Queue: c.Queue, NaiveCommit: c.NaiveCommit, Logger: log,
		Witnesses: policy, WitnessInterval: c.WitnessInterval,
		TileCache: tileCache, Observer: mx.ledgerObserver(),
	})
	var policyErr *ledger.WitnessPolicyError
	if errors.As(err, &policyErr) {
		return fmt.Errorf("--witness-policy %s: %w (this log's key is %s)", c.WitnessPolicy, err, sec.verifierKey)
	}
	var mismatch *ledger.KeyMismatchError
	if errors.As(err, &mismatch) {
		return fmt.Errorf("%w\nthis server is not the log's: start it with the log's key file (--log-key-file or SIGNET_LOG_KEY_FILE, "+
			"or --data-dir on the folder that holds its log.key), the key named %s; the origin follows from the key", err, strings.Join(mismatch.Keys, " or "))
	}
	if err != nil {
		return err
	}
	defer l.Close()
	h, err := api.New(api.Config{Observer: mx.apiObserver(), Log: l, AdminToken: sec.adminToken, LogKey: sec.verifierKey,
		ReaderTokens: sec.readerTokens, PublicReads: c.ReadAccess == "public", TrustedProxies: list(c.Proxies),
		RateLimit: api.RateLimit{PerAddr: c.RateAddr, PerKID: c.RateKID, Failures: c.RateFail},
		MaxBody:   int64(c.MaxPayload)*2 + 64<<10, BatchBytesInFlight: int64(c.BatchBytes), Logger: log})
	if err != nil {
		return err
	}
	h.Mount("/ui", ui.New(ui.Config{Log: l, Server: h}))
	mx.watch(l, h, store)
	go mx.serve(log)
	srv := newHTTPServer(h, defaultTimeouts)
	ln, err := net.Listen("tcp", c.Addr)
	if err != nil {
		return err
	}
	log.Info("listening", "addr", ln.Addr().String(), "tls", c.TLSCert != "", "read_access", c.ReadAccess,
		"origin", sec.origin, "log_key", sec.verifierKey, "witnesses", witnessNames(policy), "metrics_addr", mx.addr())
	errc := make(chan error, 1)
	go func() {
		if c.TLSCert != "" {
			errc <- srv.ServeTLS(ln, c.TLSCert, c.TLSKey)
			return
		}
		errc <- srv.Serve(ln)
	}()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down", "grace", c.Grace)
	sctx, cancel := context.WithTimeout(context.Background(), c.Grace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	mx.shutdown(sctx)
	log.Info("stopped")
	return nil
}

// timeouts bound how long a client may take over each part of a request.
type timeouts struct {
	readHeader, read, write, idle time.Duration
}

var defaultTimeouts = timeouts{readHeader: 10 * time.Second, read: 30 * time.Second,
	write: 60 * time.Second, idle: 120 * time.Second}

// newHTTPServer is the server signetd runs: slow or idle clients are cut
// off, headers are at most 64 KiB, and TLS, when used, is 1.2 or later.
func newHTTPServer(h http.Handler, t timeouts) *http.Server {
	return &http.Server{Handler: h, ReadHeaderTimeout: t.readHeader, ReadTimeout: t.read,
		WriteTimeout: t.write, IdleTimeout: t.idle, MaxHeaderBytes: 64 << 10,
		TLSConfig: &tls.Config{MinVersion: tls.VersionTLS12}}
}

// startCPUProfile profiles the process into file until the returned func
// is called; an empty file does nothing.
func startCPUProfile(file string) (stop func(), err error) {
	if file == "" {
		return func() {}, nil
	}
	f, err := os.Create(file)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}
