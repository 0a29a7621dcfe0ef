package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"strings"
	"sync"

	"github.com/signet-ledger/signet"
	"github.com/signet-ledger/signet/client"
	"github.com/signet-ledger/signet/internal/secretfile"
	"github.com/signet-ledger/signet/keys"
)

// globals are the flags every command takes, with their environment
// fallbacks already applied.
type globals struct {
	Server     string // Optional. Default $SIGNET_SERVER, then http://127.0.0.1:8080.
	Key        string // Optional. Default $SIGNET_KEY, then StateDir/key.jwk.
	StateDir   string // Optional. Default $XDG_CONFIG_HOME/signet, then ~/.config/signet.
	AdminToken string // Optional. Default the content of AdminTokenFile, then $SIGNET_ADMIN_TOKEN.
	Token      string // Optional. Default the content of TokenFile, then $SIGNET_TOKEN.
	// AdminTokenFile and TokenFile hold a token, so that it shows in no
	// process list. Optional. Default $SIGNET_ADMIN_TOKEN_FILE,
	// $SIGNET_TOKEN_FILE. Group and others may not read them.
	AdminTokenFile string
	TokenFile      string
	JSON           bool

	// onCommandLine names the token flags given on the command line.
	onCommandLine map[string]bool
}

// register declares the global flags on fs, defaulting to g's values, so
// that a second parse (the command's) keeps what the first one set.
func (g *globals) register(fs *flag.FlagSet) {
	fs.StringVar(&g.Server, "server", g.Server, "server `URL` (env SIGNET_SERVER)")
	fs.StringVar(&g.Key, "key", g.Key, "private key `FILE` that signs (env SIGNET_KEY; default STATE/key.jwk)")
	fs.StringVar(&g.StateDir, "state-dir", g.StateDir, "`DIR` for pinned log keys and last checkpoints")
	fs.Var(tracked{&g.AdminToken, g.seen("admin-token"), true}, "admin-token", "admin bearer `TOKEN`, visible in ps: prefer --admin-token-file (env SIGNET_ADMIN_TOKEN)")
	fs.Var(tracked{&g.Token, g.seen("token"), true}, "token", "reader bearer `TOKEN` for reads, visible in ps: prefer --token-file (env SIGNET_TOKEN; default the admin token)")
	fs.Var(tracked{&g.AdminTokenFile, g.seen("admin-token-file"), false}, "admin-token-file", "read the admin token from `FILE`, mode 0600 (env SIGNET_ADMIN_TOKEN_FILE)")
	fs.Var(tracked{&g.TokenFile, g.seen("token-file"), false}, "token-file", "read the reader token from `FILE`, mode 0600 (env SIGNET_TOKEN_FILE)")
	fs.BoolVar(&g.JSON, "json", g.JSON, "machine-readable output, one JSON object per line")
}

// seen returns a function that records that flag name was given.
func (g *globals) seen(name string) func() {
	return func() {
		if g.onCommandLine == nil {
			g.onCommandLine = map[string]bool{}
		}
		g.onCommandLine[name] = true
	}
}

// tracked is a string flag that calls set when it is given; help never
// shows the value of a secret one.
type tracked struct {
	p      *string
	set    func()
	secret bool
}

func (t tracked) String() string {
	if t.p == nil || t.secret {
		return ""
	}
	return *t.p
}

func (t tracked) Set(v string) error { *t.p = v; t.set(); return nil }

// resolveTokens reads the token files, which override the tokens of the
// environment, and warns on stderr of each token given on the command
// line, which every local user can read in the process list. A token
// given both by flag and by a file flag is a usage error.
func (e *env) resolveTokens() error {
	for _, t := range []struct {
		flag       string
		tok, file  *string
		fileOnLine bool
	}{
		{"admin-token", &e.g.AdminToken, &e.g.AdminTokenFile, e.g.onCommandLine["admin-token-file"]},
		{"token", &e.g.Token, &e.g.TokenFile, e.g.onCommandLine["token-file"]},
	} {
		onLine := e.g.onCommandLine[t.flag]
		switch {
		case onLine && t.fileOnLine:
			return usagef("give --%s or --%s-file, not both", t.flag, t.flag)
		case onLine:
			if !e.warned[t.flag] {
				fmt.Fprintf(e.sys.Stderr, "signet: warning: --%s on the command line shows in the process list to every local user; use --%s-file FILE\n", t.flag, t.flag)
				e.warned[t.flag] = true
			}
		case *t.file != "":
			b, err := readPrivateFile(*t.file, "token file")
			if err != nil {
				return err
			}
			if *t.tok = strings.TrimSpace(string(b)); *t.tok == "" {
				return fmt.Errorf("token file %s is empty", *t.file)
			}
		}
	}
	return nil
}

// readPrivateFile reads a file of secrets with [secretfile.Read], which
// refuses one that group or others may access; what names it in errors.
func readPrivateFile(path, what string) ([]byte, error) {
	b, err := secretfile.Read(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return b, err
}

// env is one run's configuration and outside world.
type env struct {
	sys    System
	g      globals
	warned map[string]bool // the token flags already warned of

	trustMu   sync.Mutex // held by [env.trust]
	journalMu sync.Mutex // held by [env.journal]
	// policy is the --policy of the command, if it takes one and one is
	// given: checkpoints must meet it.
	policy *signet.Policy
}

func newEnv(sys System) *env {
	get := sys.Getenv
	e := &env{sys: sys, g: globals{Server: get("SIGNET_SERVER"), Key: get("SIGNET_KEY"),
		AdminToken: get("SIGNET_ADMIN_TOKEN"), Token: get("SIGNET_TOKEN"),
		AdminTokenFile: get("SIGNET_ADMIN_TOKEN_FILE"), TokenFile: get("SIGNET_TOKEN_FILE")},
		warned: map[string]bool{}}
	if e.g.Server == "" {
		e.g.Server = "http://127.0.0.1:8080"
	}
	switch {
	case get("XDG_CONFIG_HOME") != "":
		e.g.StateDir = filepath.Join(get("XDG_CONFIG_HOME"), "signet")
	case get("HOME") != "":
		e.g.StateDir = filepath.Join(get("HOME"), ".config", "signet")
	default:
		e.g.StateDir = ".signet-client"
	}
	return e
}

// client returns a client of the server.
func (e *env) client() *client.Client {
	opts := []client.Option{client.WithAdminToken(e.g.AdminToken), client.WithToken(e.g.Token), client.WithResendOn503(3)}
	if e.sys.HTTPClient != nil {
		opts = append(opts, client.WithHTTPClient(e.sys.HTTPClient))
	}
	return client.New(e.g.Server, opts...)
}

// keyPath is --key, or the default key file in the state dir.
func (e *env) keyPath() string {
	if e.g.Key != "" {
		return e.g.Key
	}
	return filepath.Join(e.g.StateDir, "key.jwk")
}

// loadKey reads the private key that signs.
func (e *env) loadKey() (keys.PrivateKey, error) {
	return readKey(e.keyPath())
}

func readKey(path string) (keys.PrivateKey, error) {
	b, err := readPrivateFile(path, "key file")
	if errors.Is(err, fs.ErrNotExist) {
		return keys.PrivateKey{}, withHint(fmt.Errorf("no key file %s", path), "make one with signet keygen, or pass --key FILE")
	}
	if err != nil {
		return keys.PrivateKey{}, err
	}
	k, err := keys.ParsePrivateJWK(b)
	if err != nil {
		return keys.PrivateKey{}, fmt.Errorf("key file %s: %w", path, err)
	}
	return k, nil
}

// needAdmin fails unless an admin token is set.
func (e *env) needAdmin(what string) error {
	if e.g.AdminToken == "" {
		return withHint(usagef("%s needs the admin token", what), "pass --admin-token-file FILE or set SIGNET_ADMIN_TOKEN_FILE")
	}
	return nil
}

// emit writes v as one line of JSON with --json, else calls human.
func (e *env) emit(v any, human func(w io.Writer)) error {
	if !e.g.JSON {
		human(e.sys.Stdout)
		return nil
	}
	enc := json.NewEncoder(e.sys.Stdout)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// note writes a human remark to stderr, unless --json.
func (e *env) note(format string, args ...any) {
	if !e.g.JSON {
		fmt.Fprintf(e.sys.Stderr, format+"\n", args...)
	}
}
