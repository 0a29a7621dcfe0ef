package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/signet-ledger/signet/internal/secretfile"
	"github.com/signet-ledger/signet/witness"
)

var witnessCmd = &command{
	name:     "witness",
	synopsis: "[serve] --listen ADDR --key FILE --state DIR (--log 'VKEY URL [TOKEN_FILE]' ... | --logs FILE) | keygen | vkey | export",
	short:    "run a witness that audits and keeps a copy of the logs it cosigns",
	long: "Run a c2sp.org/tlog-witness witness (POST /add-checkpoint) for Signet logs. Before it cosigns a checkpoint " +
		"it fetches the log's new records from its export, checks each with the rules signet audit uses, checks " +
		"that they rebuild the checkpoint's root, and appends them to its own copy of the log under --state; it " +
		"catches up in the background every --poll. Each log is --log 'VKEY URL [TOKEN_FILE]' (repeatable): its " +
		"verifier key (GET /v1/log/key; its name is the log's origin), the base URL of its signetd, and a file " +
		"holding its reader token (mode 0600) when its reads need one; or --logs FILE with one such line per log, " +
		"each starting with the word log (# comments). --key (the global flag, env SIGNET_KEY) is the witness's " +
		"signed-note private key file (mode 0600). " +
		"Subcommands: signet witness keygen --name NAME -o FILE makes a key and prints the vkey a tlog-policy " +
		"witness line needs; signet witness vkey --key FILE prints it again; signet witness export --state DIR " +
		"[-o FILE] ORIGIN writes the copy as an export that signet audit checks and signetd import loads " +
		"(signet audit also reads the log's folder under --state directly).",
	run: runWitness,
}

// witnessSubcommands are signet witness's own commands; without one,
// signet witness serves.
var witnessSubcommands = map[string]func(context.Context, *command, *env, []string) error{
	"serve":  runWitnessServe,
	"keygen": runWitnessKeygen,
	"vkey":   runWitnessVKey,
	"export": runWitnessExport,
}

func runWitness(ctx context.Context, cmd *command, e *env, args []string) error {
	if len(args) > 0 {
		if run := witnessSubcommands[args[0]]; run != nil {
			return run(ctx, cmd, e, args[1:])
		}
	}
	return runWitnessServe(ctx, cmd, e, args)
}

// logFlags collects repeated --log values.
type logFlags []string

func (l *logFlags) String() string     { return strings.Join(*l, "; ") }
func (l *logFlags) Set(v string) error { *l = append(*l, v); return nil }

func runWitnessServe(ctx context.Context, cmd *command, e *env, args []string) error {
	fs := cmd.flagSet(e)
	listen := fs.String("listen", "127.0.0.1:7380", "serve add-checkpoint on `ADDR`")
	stateDir := fs.String("state", "", "the witness's state and copies, `DIR`")
	var logs logFlags
	fs.Var(&logs, "log", "a log: `'VKEY URL [TOKEN_FILE]'`; repeatable")
	logsFile := fs.String("logs", "", "a `FILE` of log lines: log VKEY URL [TOKEN_FILE]")
	poll := fs.Duration("poll", 5*time.Second, "fetch each log's checkpoint every `DURATION`")
	catchUp := fs.Duration("catch-up-timeout", 5*time.Second, "an add-checkpoint waits at most `DURATION` for the copy, then answers 503")
	pos, err := cmd.parse(e, fs, args)
	if err != nil {
		return err
	}
	if err := cmd.wantArgs(pos, 0, 0); err != nil {
		return err
	}
	keyFile := e.g.Key // the global --key: here, the witness's signed-note private key
	if keyFile == "" || *stateDir == "" {
		return usagef("witness: --key FILE (the witness's private key) and --state DIR are required")
	}
	cfg := witness.Config{StateDir: *stateDir, PollInterval: *poll, CatchUpTimeout: *catchUp,
		Logger: slog.New(slog.NewTextHandler(e.sys.Stderr, nil))}
	if cfg.Key, err = readWitnessKey(keyFile); err != nil {
		return err
	}
	if cfg.Logs, err = witnessLogs(logs, *logsFile); err != nil {
		return err
	}
	w, err := witness.New(cfg)
	if err != nil {
		return err
	}
	defer w.Close()
	return serveWitness(ctx, e, w, *listen, *catchUp)
}

// serveWitness serves w on addr and catches its logs up until ctx is done.
func serveWitness(ctx context.Context, e *env, w *witness.Witness, addr string, catchUp time.Duration) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: w.Handler(), ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second,
		WriteTimeout: catchUp + 10*time.Second, IdleTimeout: time.Minute}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan struct{})
	go func() { w.Run(ctx); close(done) }()
	go func() {
		<-ctx.Done()
		sctx, stop := context.WithTimeout(context.Background(), 5*time.Second)
		defer stop()
		srv.Shutdown(sctx)
	}()
	fmt.Fprintf(e.sys.Stdout, "witness %s listening on %s\n", w.VerifierKey(), ln.Addr())
	err = srv.Serve(ln)
	cancel()
	<-done
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// readWitnessKey reads a signed-note private key from a file that only
// its owner may read.
func readWitnessKey(path string) (string, error) {
	b, err := secretfile.Read(path)
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(b)), nil
}

// witnessLogs parses the --log values and the --logs file.
func witnessLogs(flags []string, file string) ([]witness.LogConfig, error) {
	var out []witness.LogConfig
	for _, v := range flags {
		lc, err := parseWitnessLog(strings.Fields(v))
		if err != nil {
			return nil, usagef("witness: --log %q: %v", v, err)
		}
		out = append(out, lc)
	}
	if file != "" {
		f, err := os.Open(file)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		for n := 1; sc.Scan(); n++ {
			fields := strings.Fields(sc.Text())
			if len(fields) == 0 || strings.HasPrefix(fields[0], "#") {
				continue
			}
			if fields[0] != "log" {
				return nil, usagef("witness: %s:%d: a line must start with \"log\"", file, n)
			}
			lc, err := parseWitnessLog(fields[1:])
			if err != nil {
				return nil, usagef("witness: %s:%d: %v", file, n, err)
			}
			out = append(out, lc)
		}
		if err := sc.Err(); err != nil {
			return nil, err
		}
	}
	if len(out) == 0 {
		return nil, usagef("witness: no log: give --log 'VKEY URL [TOKEN_FILE]' or --logs FILE")
	}
	return out, nil
}

// parseWitnessLog parses VKEY URL [TOKEN_FILE], reading the token file.
func parseWitnessLog(fields []string) (witness.LogConfig, error) {
	if len(fields) < 2 || len(fields) > 3 {
		return witness.LogConfig{}, errors.New("want VKEY URL [TOKEN_FILE]")
	}
	if !strings.HasPrefix(fields[1], "http://") && !strings.HasPrefix(fields[1], "https://") {
		return witness.LogConfig{}, fmt.Errorf("%q is not an http(s) URL", fields[1])
	}
	lc := witness.LogConfig{VerifierKey: fields[0], URL: fields[1]}
	if len(fields) == 3 {
		b, err := secretfile.Read(fields[2])
		if err != nil {
			return lc, err
		}
		lc.Token = strings.TrimSpace(string(b))
	}
	return lc, nil
}

var _ flag.Value = (*logFlags)(nil)
