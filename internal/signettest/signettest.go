// Package signettest starts real Signet servers for tests: a fresh schema
// in the PostgreSQL named by DATABASE_URL (scripts/test.sh starts one), a
// ledger, and the HTTP API on a loopback port; and, for tests of the
// engine alone, a ledger on an in-memory store ([NewMem]).
//
// Database tests are mandatory: without DATABASE_URL they fail, they never
// skip.
package signettest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http/httptest"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/signet-ledger/signet/api"
	"github.com/signet-ledger/signet/client"
	"github.com/signet-ledger/signet/keys"
	"github.com/signet-ledger/signet/ledger"
	"github.com/signet-ledger/signet/postgres"
	"golang.org/x/mod/sumdb/note"
)

// DatabaseURL returns DATABASE_URL, failing the test if it is not set.
func DatabaseURL(t testing.TB) string {
	u := os.Getenv("DATABASE_URL")
	if u == "" {
		t.Fatal("DATABASE_URL is not set: run the tests with scripts/test.sh, which starts a PostgreSQL")
	}
	return u
}

// Schema creates an empty schema for one test and returns a database URL
// whose search_path selects it. The schema is dropped when the test ends.
func Schema(t testing.TB) string {
	base := DatabaseURL(t)
	var b [6]byte
	rand.Read(b[:])
	name := "t_" + hex.EncodeToString(b[:])
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, base)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if _, err := pool.Exec(ctx, "CREATE SCHEMA "+name); err != nil {
		t.Fatalf("creating schema: %v", err)
	}
	t.Cleanup(func() {
		p, err := pgxpool.New(context.Background(), base)
		if err == nil {
			p.Exec(context.Background(), "DROP SCHEMA "+name+" CASCADE")
			p.Close()
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", name)
	u.RawQuery = q.Encode()
	return u.String()
}

// Env is one running test server and the handles a test needs around it.
type Env struct {
	URL        string // the server's base URL
	DBURL      string // the test's own schema
	AdminToken string
	Origin     string
	LogKey     string // verifier key
	Verifier   note.Verifier
	Client     *client.Client // with the admin token
	Log        *ledger.Log
	Store      *postgres.Store
	DB         *pgxpool.Pool // for direct SQL, as a database administrator would
	Server     *httptest.Server

	logSKey string // the log's signed-note private key
	opts    Options
}

// Options adjust a test server. The zero value is the default server.
type Options struct {
	Ledger func(*ledger.Config) // edits the ledger config before Open
	// API edits the HTTP config before the server starts. By default
	// reads are public and there are no rate limits.
	API func(*api.Config)
}

// New starts a server on a fresh schema; everything is closed when the
// test ends.
func New(t testing.TB, opts Options) *Env {
	e := &Env{DBURL: Schema(t), AdminToken: "test-admin-token", Origin: "signet.test/log", opts: opts}
	if err := postgres.Migrate(context.Background(), e.DBURL, discard()); err != nil {
		t.Fatal(err)
	}
	skey, vkey, err := note.GenerateKey(rand.Reader, e.Origin)
	if err != nil {
		t.Fatal(err)
	}
	e.logSKey, e.LogKey = skey, vkey
	e.Verifier, _ = note.NewVerifier(vkey)
	e.start(t)
	return e
}

// Second starts another server on e's schema, with e's log key, admin
// token and options, as a second signetd process sharing one database
// would run. It is closed when the test ends.
func (e *Env) Second(t testing.TB) *Env {
	e2 := &Env{DBURL: e.DBURL, AdminToken: e.AdminToken, Origin: e.Origin, LogKey: e.LogKey,
		Verifier: e.Verifier, logSKey: e.logSKey, opts: e.opts}
	e2.start(t)
	return e2
}

// start opens the store, the ledger and the HTTP server of e, whose schema
// is migrated and whose log key is set.
func (e *Env) start(t testing.TB) {
	ctx := context.Background()
	var err error
	if e.Store, err = postgres.Open(ctx, e.DBURL); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Store.Close)
	if e.DB, err = pgxpool.New(ctx, e.DBURL); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.DB.Close)
	signer, err := note.NewSigner(e.logSKey)
	if err != nil {
		t.Fatal(err)
	}
	cfg := ledger.Config{Store: e.Store, Signer: signer, Verifier: e.Verifier, Origin: e.Origin}
	if e.opts.Ledger != nil {
		e.opts.Ledger(&cfg)
	}
	if e.Log, err = ledger.Open(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	acfg := api.Config{Log: e.Log, AdminToken: e.AdminToken, LogKey: e.LogKey, PublicReads: true}
	if e.opts.API != nil {
		e.opts.API(&acfg)
	}
	h, err := api.New(acfg)
	if err != nil {
		t.Fatal(err)
	}
	e.Server = httptest.NewServer(h)
	t.Cleanup(func() {
		e.Server.Close()
		e.Log.Close()
	})
	e.URL = e.Server.URL
	e.Client = client.New(e.URL, client.WithAdminToken(e.AdminToken))
}

// Key returns a new private key.
func Key(t testing.TB) keys.PrivateKey {
	k, err := keys.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// Register registers signer with a new key and returns the key.
func (e *Env) Register(t testing.TB, signer string) keys.PrivateKey {
	k := Key(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := e.Client.Register(ctx, signer, k, nil); err != nil {
		t.Fatalf("Register(%q) = %v", signer, err)
	}
	return k
}

// Size returns the log's size.
func (e *Env) Size(t testing.TB) int64 {
	h, err := e.Store.Head(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return h.Size
}
