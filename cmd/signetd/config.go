package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
)

// config is signetd's configuration: each field is a flag with an
// environment variable as fallback, and a default.
type config struct {
	Addr        string
	DatabaseURL string
	AdminToken  string
	DataDir     string
	LogKeyFile  string
	Origin      string
	NonceTTL    time.Duration
	MaxPayload  int
	BatchSize   int
	BatchDelay  time.Duration
	Queue       int
	Grace       time.Duration
	NaiveCommit bool
	ReadAccess  string
	ReaderToken string
	RateAddr    float64
	RateKID     float64
	Proxies     string
	TLSCert     string
	TLSKey      string
	LogFormat   string
	CPUProfile  string
}

// flagSet declares every flag on c, reading defaults from getenv.
func (c *config) flagSet(name string, getenv func(string) string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	str := func(p *string, flagName, env, def, usage string) {
		if v := getenv(env); v != "" {
			def = v
		}
		fs.StringVar(p, flagName, def, fmt.Sprintf("%s (env %s)", usage, env))
	}
	dur := func(p *time.Duration, flagName, env string, def time.Duration, usage string) {
		if v, err := time.ParseDuration(getenv(env)); err == nil {
			def = v
		}
		fs.DurationVar(p, flagName, def, fmt.Sprintf("%s (env %s)", usage, env))
	}
	num := func(p *int, flagName, env string, def int, usage string) {
		if v, err := strconv.Atoi(getenv(env)); err == nil {
			def = v
		}
		fs.IntVar(p, flagName, def, fmt.Sprintf("%s (env %s)", usage, env))
	}
	flt := func(p *float64, flagName, env string, def float64, usage string) {
		if v, err := strconv.ParseFloat(getenv(env), 64); err == nil {
			def = v
		}
		fs.Float64Var(p, flagName, def, fmt.Sprintf("%s (env %s)", usage, env))
	}
	host, _ := os.Hostname()
	if host == "" {
		host = "localhost"
	}
	str(&c.Addr, "addr", "SIGNET_ADDR", "127.0.0.1:8080", "address to listen on")
	str(&c.DatabaseURL, "database-url", "DATABASE_URL", "", "the store: a postgres:// URL for PostgreSQL, or sqlite:PATH; default SQLite at <data-dir>/signet.db")
	str(&c.AdminToken, "admin-token", "SIGNET_ADMIN_TOKEN", "", "admin bearer token; if empty, one is generated into <data-dir>/admin.token")
	str(&c.DataDir, "data-dir", "SIGNET_DATA_DIR", "signet-data", "folder for the admin and reader tokens, the log's signing key and the default SQLite store")
	str(&c.LogKeyFile, "log-key-file", "SIGNET_LOG_KEY_FILE", "", "the log's checkpoint signing key (a signed-note private key); default <data-dir>/log.key, generated if absent")
	str(&c.Origin, "origin", "SIGNET_ORIGIN", strings.ToLower(host)+"/signet", "checkpoint origin line, naming this log; used as the key name when a key is generated")
	dur(&c.NonceTTL, "nonce-ttl", "SIGNET_NONCE_TTL", 10*time.Minute, "how long a nonce stays valid")
	num(&c.MaxPayload, "max-payload", "SIGNET_MAX_PAYLOAD", 64<<10, "largest entry payload in bytes")
	num(&c.BatchSize, "batch-size", "SIGNET_BATCH_SIZE", 1000, "most records committed in one transaction")
	dur(&c.BatchDelay, "batch-delay", "SIGNET_BATCH_DELAY", 2*time.Millisecond, "longest a batch waits for requests still being verified")
	num(&c.Queue, "queue", "SIGNET_QUEUE", 20000, "appends that may wait for the sequencer before new ones get 503")
	dur(&c.Grace, "shutdown-grace", "SIGNET_SHUTDOWN_GRACE", 30*time.Second, "on SIGTERM, how long in-flight requests may take to finish")
	fs.BoolVar(&c.NaiveCommit, "naive-commit", getenv("SIGNET_NAIVE_COMMIT") == "1",
		"benchmark baseline only: one transaction per append, head locked through each commit (env SIGNET_NAIVE_COMMIT=1)")
	str(&c.ReadAccess, "read-access", "SIGNET_READ_ACCESS", "token", "who may read: token (a reader or admin bearer token) or public")
	str(&c.ReaderToken, "reader-token", "SIGNET_READER_TOKEN", "", "comma-separated reader bearer tokens; if empty and reads need a token, one is generated into <data-dir>/reader.token")
	flt(&c.RateAddr, "rate-limit-addr", "SIGNET_RATE_LIMIT_ADDR", 5000, "requests per second per client address; 0 turns the limit off")
	flt(&c.RateKID, "rate-limit-kid", "SIGNET_RATE_LIMIT_KID", 2000, "signed requests per second per kid; 0 turns the limit off")
	str(&c.Proxies, "trusted-proxies", "SIGNET_TRUSTED_PROXIES", "", "comma-separated addresses or CIDRs of reverse proxies whose X-Forwarded-For is believed; default none")
	str(&c.TLSCert, "tls-cert", "SIGNET_TLS_CERT", "", "TLS certificate file (PEM); serve HTTPS (TLS 1.2 minimum) when set with --tls-key")
	str(&c.TLSKey, "tls-key", "SIGNET_TLS_KEY", "", "TLS private key file (PEM)")
	str(&c.LogFormat, "log-format", "SIGNET_LOG_FORMAT", "json", "log format: json or text")
	str(&c.CPUProfile, "cpuprofile", "SIGNET_CPUPROFILE", "", "write a CPU profile of the whole run to this file, for go tool pprof (benchmarks only)")
	return fs
}

const usage = `signetd runs the Signet ledger server.

Usage:
  signetd [flags]              serve (migrating the store first)
  signetd migrate [flags]      apply the store's migrations and exit
  signetd import [flags] FILE  load an export ("signet export") into an empty
                               store, after verifying every record with
                               this server's log key

Every flag can also be set by the environment variable named beside it;
a flag given on the command line wins.

Flags:
`

// check reports contradictory or invalid settings.
func (c *config) check() error {
	if c.ReadAccess != "token" && c.ReadAccess != "public" {
		return fmt.Errorf("--read-access must be token or public, not %q", c.ReadAccess)
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return fmt.Errorf("--tls-cert and --tls-key go together")
	}
	return nil
}

// list splits a comma-separated flag value, dropping empty items.
func list(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

func printUsage(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprint(w, usage)
	fs.SetOutput(w)
	fs.PrintDefaults()
}
