// Package api is Signet's HTTP interface: it reads requests, calls the
// ledger, and writes JSON or RFC 9457 problem answers. It decides nothing:
// every outcome comes from the ledger, and every error's status from one
// table (see [Problem]).
package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/signet-ledger/signet/ledger"
	"golang.org/x/sync/semaphore"
)

// Config configures a [Server].
type Config struct {
	Log *ledger.Log // Required.
	// AdminToken authorises registration and operator revocation, and
	// reads. Required.
	AdminToken string
	// ReaderTokens authorise reads. Optional.
	ReaderTokens []string
	// PublicReads opens every read endpoint to anyone, for transparency
	// deployments. Optional. Default false: reads need a reader or admin
	// token. Health, nonce and log key endpoints are always open.
	PublicReads bool
	// TrustedProxies are the addresses or CIDRs whose X-Forwarded-For the
	// server believes for the client address. Optional. Default none.
	TrustedProxies []string
	// RateLimit bounds requests per client address and per kid. Optional.
	// The zero value disables both limits.
	RateLimit RateLimit
	// LogKey is the log's verifier key in signed-note form, served at
	// /v1/log/key. Required.
	LogKey string
	// MaxBody bounds request bodies. Optional. Default 256 KiB.
	MaxBody int64
	// MaxBatchBody bounds the body of a batch of entries. Optional.
	// Default 32 MiB.
	MaxBatchBody int64
	// BatchBytesInFlight bounds the bytes of batch bodies the server holds
	// at once, all clients together: a batch is charged its
	// Content-Length (MaxBatchBody when it has none) before its body is
	// read, and one that does not fit is answered 503 unavailable with
	// Retry-After, unread, its nonces left usable. A batch's peak memory is
	// a small multiple of its body (docs/SECURITY.md), so this bounds what
	// concurrent large batches can take. Optional. Default 2 ×
	// MaxBatchBody; it is raised to MaxBatchBody if smaller, so that one
	// largest batch always fits.
	BatchBytesInFlight int64
	// StreamStall is how long a streamed answer (an export) may wait on
	// one write: the deadline is renewed as the stream goes, so the
	// server's write timeout does not cut off a long export. Optional.
	// Default 60 seconds.
	StreamStall time.Duration
	// Logger gets one line per request. Optional.
	Logger *slog.Logger
}

// Server is Signet's HTTP handler.
type Server struct {
	log          *slog.Logger
	ledger       *ledger.Log
	adminTokens  tokens
	readerTokens tokens
	publicReads  bool
	byAddr       *limiters
	byKID        *limiters
	failures     *limiters // signed requests that failed their checks, per address
	logKey       string
	maxBody      int64
	maxBatchBody int64
	batchBytes   *semaphore.Weighted
	streamStall  time.Duration
	engine       *gin.Engine
}

// New returns the handler for cfg.
func New(cfg Config) (*Server, error) {
	if cfg.MaxBody == 0 {
		cfg.MaxBody = 256 << 10
	}
	if cfg.MaxBatchBody == 0 {
		cfg.MaxBatchBody = 32 << 20
	}
	if cfg.BatchBytesInFlight == 0 {
		cfg.BatchBytesInFlight = 2 * cfg.MaxBatchBody
	}
	cfg.BatchBytesInFlight = max(cfg.BatchBytesInFlight, cfg.MaxBatchBody)
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.StreamStall == 0 {
		cfg.StreamStall = 60 * time.Second
	}
	s := &Server{streamStall: cfg.StreamStall, log: cfg.Logger, ledger: cfg.Log, logKey: cfg.LogKey, maxBody: cfg.MaxBody, maxBatchBody: cfg.MaxBatchBody,
		batchBytes:  semaphore.NewWeighted(cfg.BatchBytesInFlight),
		adminTokens: newTokens(cfg.AdminToken), readerTokens: newTokens(cfg.ReaderTokens...), publicReads: cfg.PublicReads,
		byAddr: newLimiters(cfg.RateLimit.PerAddr, cfg.RateLimit.Burst), byKID: newLimiters(cfg.RateLimit.PerKID, cfg.RateLimit.Burst),
		failures: newLimiters(cfg.RateLimit.Failures, cfg.RateLimit.Burst)}
	gin.SetMode(gin.ReleaseMode)
	e := gin.New()
	if err := e.SetTrustedProxies(cfg.TrustedProxies); err != nil {
		return nil, fmt.Errorf("api: trusted proxies: %w", err)
	}
	e.HandleMethodNotAllowed = true
	e.ContextWithFallback = true
	e.Use(s.requestLog, s.limitAddr, gin.CustomRecovery(func(c *gin.Context, v any) {
		s.log.Error("panic", "request_id", requestID(c), "panic", v)
		s.fail(c, errPanic)
	}))
	e.NoRoute(func(c *gin.Context) { s.fail(c, notFound("no such endpoint")) })
	e.NoMethod(func(c *gin.Context) { s.fail(c, errMethod) })
	s.routes(e)
	s.engine = e
	return s, nil
}

// ServeHTTP serves one request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	cut := new(bool)
	s.engine.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), cutKey{}, cut)))
	if *cut {
		// Abort the connection so the client sees a broken stream, not a
		// short one that ends cleanly (gin's recovery would swallow this
		// panic inside the engine).
		panic(http.ErrAbortHandler)
	}
}

type cutKey struct{}

// cutStream marks a streamed answer as failed after its status was sent:
// the connection is broken off instead of ending the body normally.
func cutStream(c *gin.Context) {
	if cut, ok := c.Request.Context().Value(cutKey{}).(*bool); ok {
		*cut = true
	}
	c.Abort()
}

func (s *Server) routes(e *gin.Engine) {
	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	e.GET("/verify", s.reader, s.verifyLegacy)
	v1 := e.Group("/v1")
	v1.GET("/nonce", s.nonce)
	v1.HEAD("/nonce", s.nonce)
	v1.GET("/log/key", s.logKeyHandler)
	read := v1.Group("", s.reader)
	read.GET("/checkpoint", s.checkpoint)
	read.GET("/log/export", s.export)
	read.GET("/proof/inclusion", s.inclusion)
	read.GET("/proof/consistency", s.consistency)
	read.GET("/entries", s.listEntries)
	read.GET("/entries/:index", s.getEntry)
	read.GET("/entries/:index/verify", s.verify)
	read.GET("/signers/:signer", s.getSigner)
	post := v1.Group("", s.freshNonce)
	post.POST("/entries", s.postEntry)
	post.POST("/entries\\:batch", s.postBatch)
	post.POST("/signers", s.admin, s.register)
	post.POST("/signers/:signer/keys", s.addKey)
	post.POST("/signers/:signer/keys/:kid/revoke", s.revoke)
	s.tlogRoutes(e)
}

// requestLog gives each request an id and logs one line when it ends. It
// never logs bodies, tokens or query values.
func (s *Server) requestLog(c *gin.Context) {
	start := time.Now()
	var b [8]byte
	rand.Read(b[:])
	id := hex.EncodeToString(b[:])
	c.Set("request_id", id)
	c.Header("X-Request-Id", id)
	c.Next()
	s.log.Info("request", "request_id", id, "method", c.Request.Method, "path", c.Request.URL.Path,
		"status", c.Writer.Status(), "bytes", c.Writer.Size(), "duration", time.Since(start),
		"client", c.ClientIP())
}

func requestID(c *gin.Context) string { return c.GetString("request_id") }

// freshNonce gives every answer to a signed POST, errors included, a fresh
// nonce.
func (s *Server) freshNonce(c *gin.Context) {
	c.Header("Replay-Nonce", s.ledger.NewNonce())
	c.Header("Cache-Control", "no-store")
}

func (s *Server) healthz(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{"status": "ok"})
}

func (s *Server) readyz(c *gin.Context) {
	if err := s.ledger.Ping(c); err != nil {
		s.fail(c, err)
		return
	}
	ready := gin.H{"status": "ready"}
	if ws := s.ledger.Witnesses(); ws != nil {
		ready["witnesses"] = ws
	}
	c.JSON(http.StatusOK, ready)
}

func (s *Server) nonce(c *gin.Context) {
	c.Header("Replay-Nonce", s.ledger.NewNonce())
	c.Header("Cache-Control", "no-store")
	if c.Request.Method == http.MethodHead {
		c.Status(http.StatusOK)
		return
	}
	c.Status(http.StatusNoContent)
}
