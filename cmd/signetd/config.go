package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
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
	BatchBytes  int
	TileCache   int
	Grace       time.Duration
	NaiveCommit bool
	ReadAccess  string
	ReaderToken string
	RateAddr    float64
	RateKID     float64
	RateFail    float64
	Proxies     string
	TLSCert     string
	TLSKey      string
	LogFormat   string
	CPUProfile  string
	// MetricsAddr is the address of the Prometheus metrics listener, apart
	// from the API's. Optional. Default none: no metrics.
	MetricsAddr string
	// WitnessPolicy is the file of the c2sp.org/tlog-policy whose
	// witnesses cosign the log's checkpoints. Optional. Default none.
	WitnessPolicy string
	// WitnessInterval paces the witnessing rounds (ledger.Config's
	// WitnessInterval). Optional. Default 1s.
	WitnessInterval time.Duration

	// envErrs are the environment values that did not parse: a start-up
	// error, never a silent fallback to the default.
	envErrs []error
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
	// parsed sets def from the environment variable env if it is set,
	// recording an error naming env and the accepted form if it does not
	// parse.
	parsed := func(env, form string, parse func(string) error) {
		if v := getenv(env); v != "" {
			if err := parse(v); err != nil {
				c.envErrs = append(c.envErrs, fmt.Errorf("%s=%q is not %s", env, v, form))
			}
		}
	}
	dur := func(p *time.Duration, flagName, env string, def time.Duration, usage string) {
		parsed(env, "a duration such as 90s, 10m or 1h", func(v string) (err error) {
			def, err = time.ParseDuration(v)
			return err
		})
		fs.DurationVar(p, flagName, def, fmt.Sprintf("%s (env %s)", usage, env))
	}
	num := func(p *int, flagName, env string, def int, usage string) {
		parsed(env, "a decimal integer", func(v string) (err error) {
			def, err = strconv.Atoi(v)
			return err
		})
		fs.IntVar(p, flagName, def, fmt.Sprintf("%s (env %s)", usage, env))
	}
	flt := func(p *float64, flagName, env string, def float64, usage string) {
		parsed(env, "a number such as 0, 50 or 2.5", func(v string) (err error) {
			def, err = strconv.ParseFloat(v, 64)
			if err == nil && (math.IsNaN(def) || math.IsInf(def, 0)) {
				err = errors.New("not finite")
			}
			return err
		})
		fs.Float64Var(p, flagName, def, fmt.Sprintf("%s (env %s)", usage, env))
	}
	boolean := func(p *bool, flagName, env string, usage string) {
		def := false
		parsed(env, "a boolean (1, 0, true or false)", func(v string) (err error) {
			def, err = strconv.ParseBool(v)
			return err
		})
		fs.BoolVar(p, flagName, def, fmt.Sprintf("%s (env %s)", usage, env))
	}
	str(&c.Addr, "addr", "SIGNET_ADDR", "127.0.0.1:8080", "address to listen on")
	str(&c.DatabaseURL, "database-url", "DATABASE_URL", "", "the store: a postgres:// URL for PostgreSQL, or sqlite:PATH; default SQLite at <data-dir>/signet.db")
	str(&c.AdminToken, "admin-token", "SIGNET_ADMIN_TOKEN", "", "admin bearer token; if empty, one is generated into <data-dir>/admin.token")
	str(&c.DataDir, "data-dir", "SIGNET_DATA_DIR", "signet-data", "folder for the admin and reader tokens, the log's signing key and the default SQLite store")
	str(&c.LogKeyFile, "log-key-file", "SIGNET_LOG_KEY_FILE", "", "the log's checkpoint signing key (a signed-note private key); default <data-dir>/log.key, generated if absent")
	str(&c.Origin, "origin", "SIGNET_ORIGIN", "", "the log's name, the first line of its checkpoints: its tile prefix without scheme, the public URL followed by /tlog, such as log.example.com/tlog. It is the log key's name: only needed when the key is generated (default signet.invalid/log-<random>); if given with an existing key, it must equal the key's name")
	dur(&c.NonceTTL, "nonce-ttl", "SIGNET_NONCE_TTL", 10*time.Minute, "how long a nonce stays valid")
	num(&c.MaxPayload, "max-payload", "SIGNET_MAX_PAYLOAD", 64<<10, "largest entry payload in bytes")
	num(&c.BatchSize, "batch-size", "SIGNET_BATCH_SIZE", 1000, "most records committed in one transaction")
	dur(&c.BatchDelay, "batch-delay", "SIGNET_BATCH_DELAY", 2*time.Millisecond, "longest a batch waits for requests still being verified")
	num(&c.BatchBytes, "batch-bytes-in-flight", "SIGNET_BATCH_BYTES_IN_FLIGHT", 64<<20, "bytes of batch request bodies (at most 32 MiB each) the server holds at once, all clients together; a batch that does not fit gets 503 unread. A batch's peak memory is about 7 times its body")
	num(&c.Queue, "queue", "SIGNET_QUEUE", 20000, "appends that may wait for the sequencer before new ones get 503")
	num(&c.TileCache, "tile-cache", "SIGNET_TILE_CACHE", 64<<20, "bytes of full tiles and entry bundles kept in memory for /tlog/tile reads; 0 keeps none")
	dur(&c.WitnessInterval, "witness-interval", "SIGNET_WITNESS_INTERVAL", time.Second, "under continuous appends, send the witnesses at most one checkpoint per this interval (0: one round right after another)")
	dur(&c.Grace, "shutdown-grace", "SIGNET_SHUTDOWN_GRACE", 30*time.Second, "on SIGTERM, how long in-flight requests may take to finish")
	boolean(&c.NaiveCommit, "naive-commit", "SIGNET_NAIVE_COMMIT",
		"benchmark baseline only: one transaction per append, head locked through each commit")
	str(&c.ReadAccess, "read-access", "SIGNET_READ_ACCESS", "token", "who may read: token (a reader or admin bearer token) or public")
	str(&c.ReaderToken, "reader-token", "SIGNET_READER_TOKEN", "", "comma-separated reader bearer tokens; if empty and reads need a token, one is generated into <data-dir>/reader.token")
	flt(&c.RateAddr, "rate-limit-addr", "SIGNET_RATE_LIMIT_ADDR", 5000, "requests per second per client address; 0 turns the limit off")
	flt(&c.RateKID, "rate-limit-kid", "SIGNET_RATE_LIMIT_KID", 2000, "signed requests per second per kid, counted once their signature verified; 0 turns the limit off")
	flt(&c.RateFail, "rate-limit-failures", "SIGNET_RATE_LIMIT_FAILURES", 20, "signed requests (and batch entries) per second per client address that may fail their checks before the address's signed requests are refused unchecked; 0 turns the limit off")
	str(&c.Proxies, "trusted-proxies", "SIGNET_TRUSTED_PROXIES", "", "comma-separated addresses or CIDRs of reverse proxies whose X-Forwarded-For (client address) and X-Forwarded-Proto (https, for the explorer's Secure cookie) are believed; default none")
	str(&c.TLSCert, "tls-cert", "SIGNET_TLS_CERT", "", "TLS certificate file (PEM); serve HTTPS (TLS 1.2 minimum) when set with --tls-key")
	str(&c.TLSKey, "tls-key", "SIGNET_TLS_KEY", "", "TLS private key file (PEM)")
	str(&c.LogFormat, "log-format", "SIGNET_LOG_FORMAT", "json", "log format: json or text")
	str(&c.WitnessPolicy, "witness-policy", "SIGNET_WITNESS_POLICY", "", "a c2sp.org/tlog-policy file: each new checkpoint is sent to its witnesses "+
		"(each witness line needs its URL, the submission prefix of POST <url>/add-checkpoint), their cosignatures are served with the checkpoint, "+
		"and /v1/checkpoint?witnessed=1 serves the newest checkpoint that meets its quorum; a log line, if any, must be this log's key")
	str(&c.MetricsAddr, "metrics-addr", "SIGNET_METRICS_ADDR", "", "address of a separate listener serving Prometheus metrics at /metrics, for the operator's network (plain HTTP, no token); default none")
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

// check reports contradictory or invalid settings, and environment values
// that did not parse.
func (c *config) check() error {
	if err := errors.Join(c.envErrs...); err != nil {
		return err
	}
	for _, v := range []struct {
		name string
		bad  bool
		want string
	}{
		{"--nonce-ttl", c.NonceTTL <= 0, "a positive duration"},
		{"--max-payload", c.MaxPayload <= 0, "a positive number of bytes"},
		{"--batch-size", c.BatchSize <= 0, "a positive number of records"},
		{"--batch-delay", c.BatchDelay < 0, "a duration of 0 or more"},
		{"--queue", c.Queue <= 0, "a positive number of requests"},
		{"--batch-bytes-in-flight", c.BatchBytes < 32<<20, "at least 33554432 (32 MiB, one largest batch)"},
		{"--tile-cache", c.TileCache < 0, "0 (none) or a positive number of bytes"},
		{"--shutdown-grace", c.Grace < 0, "a duration of 0 or more"},
		{"--witness-interval", c.WitnessInterval < 0, "a duration of 0 or more"},
		{"--rate-limit-addr", c.RateAddr < 0 || math.IsNaN(c.RateAddr) || math.IsInf(c.RateAddr, 0), "0 (off) or a positive rate"},
		{"--rate-limit-kid", c.RateKID < 0 || math.IsNaN(c.RateKID) || math.IsInf(c.RateKID, 0), "0 (off) or a positive rate"},
		{"--rate-limit-failures", c.RateFail < 0 || math.IsNaN(c.RateFail) || math.IsInf(c.RateFail, 0), "0 (off) or a positive rate"},
	} {
		if v.bad {
			return fmt.Errorf("%s must be %s", v.name, v.want)
		}
	}
	if c.Origin != "" && (!utf8.ValidString(c.Origin) || strings.ContainsFunc(c.Origin, func(r rune) bool { return unicode.IsSpace(r) || r == '+' })) {
		return fmt.Errorf("--origin %q cannot name a log key: a signed-note key name has no spaces or '+'", c.Origin)
	}
	if c.MetricsAddr != "" {
		if _, port, err := net.SplitHostPort(c.MetricsAddr); err != nil || port == "" {
			return fmt.Errorf("--metrics-addr %q must be host:port, such as 127.0.0.1:9464 or :9464", c.MetricsAddr)
		}
	}
	if c.LogFormat != "json" && c.LogFormat != "text" {
		return fmt.Errorf("--log-format must be json or text, not %q", c.LogFormat)
	}
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
