package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"github.com/signet-ledger/signet/client"
	"github.com/signet-ledger/signet/keys"
)

// globals are the flags every command takes, with their environment
// fallbacks already applied.
type globals struct {
	Server     string // Optional. Default $SIGNET_SERVER, then http://127.0.0.1:8080.
	Key        string // Optional. Default $SIGNET_KEY, then StateDir/key.jwk.
	StateDir   string // Optional. Default $XDG_CONFIG_HOME/signet, then ~/.config/signet.
	AdminToken string // Optional. Default $SIGNET_ADMIN_TOKEN.
	Token      string // Optional. Default $SIGNET_TOKEN.
	JSON       bool
}

// register declares the global flags on fs, defaulting to g's values, so
// that a second parse (the command's) keeps what the first one set.
func (g *globals) register(fs *flag.FlagSet) {
	fs.StringVar(&g.Server, "server", g.Server, "server `URL` (env SIGNET_SERVER)")
	fs.StringVar(&g.Key, "key", g.Key, "private key `FILE` that signs (env SIGNET_KEY; default STATE/key.jwk)")
	fs.StringVar(&g.StateDir, "state-dir", g.StateDir, "`DIR` for pinned log keys and last checkpoints")
	fs.Var(secret{&g.AdminToken}, "admin-token", "admin bearer `TOKEN` (env SIGNET_ADMIN_TOKEN)")
	fs.Var(secret{&g.Token}, "token", "reader bearer `TOKEN` for reads (env SIGNET_TOKEN; default the admin token)")
	fs.BoolVar(&g.JSON, "json", g.JSON, "machine-readable output, one JSON object per line")
}

// secret is a string flag whose value help never shows.
type secret struct{ p *string }

func (s secret) String() string     { return "" }
func (s secret) Set(v string) error { *s.p = v; return nil }

// env is one run's configuration and outside world.
type env struct {
	sys System
	g   globals

	trustMu sync.Mutex // held by [env.trust]
}

func newEnv(sys System) *env {
	get := sys.Getenv
	e := &env{sys: sys, g: globals{Server: get("SIGNET_SERVER"), Key: get("SIGNET_KEY"),
		AdminToken: get("SIGNET_ADMIN_TOKEN"), Token: get("SIGNET_TOKEN")}}
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
	b, err := os.ReadFile(path)
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
		return withHint(usagef("%s needs the admin token", what), "pass --admin-token or set SIGNET_ADMIN_TOKEN")
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
