package ui_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/signet-ledger/signet/api"
	"github.com/signet-ledger/signet/client"
	"github.com/signet-ledger/signet/internal/signettest"
	"github.com/signet-ledger/signet/keys"
	"github.com/signet-ledger/signet/ledger"
	"github.com/signet-ledger/signet/sqlite"
	"github.com/signet-ledger/signet/ui"
	"golang.org/x/mod/sumdb/note"
)

const readerToken = "reader-token-for-the-ui-test"

// site is a real signetd's handler, API and pages on one listener, on a
// real store.
type site struct {
	URL    string
	LogKey string
	Client *client.Client // with the admin token
	Log    *ledger.Log
	Store  ledger.Store // the Log's store
	// exec runs SQL on the store's database, as someone with write access
	// to it would.
	exec func(t *testing.T, stmt string)
}

// access is the read access of a site's server, and the proxies it
// trusts.
type access struct {
	public  bool
	proxies []string
}

// serve starts the API with the pages mounted, as cmd/signetd does.
func serve(t *testing.T, l *ledger.Log, logKey string, a access) *site {
	h, err := api.New(api.Config{Log: l, AdminToken: "ui-admin-token", LogKey: logKey,
		ReaderTokens: []string{readerToken}, PublicReads: a.public, TrustedProxies: a.proxies})
	if err != nil {
		t.Fatal(err)
	}
	h.Mount("/ui", ui.New(ui.Config{Log: l, Server: h, PageSize: 5}))
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &site{URL: srv.URL, LogKey: logKey, Log: l, Client: client.New(srv.URL, client.WithAdminToken("ui-admin-token"), client.WithToken(readerToken))}
}

// postgresSite is a site on PostgreSQL (signettest's schema and ledger).
func postgresSite(t *testing.T, a access) *site {
	e := signettest.New(t, signettest.Options{})
	s := serve(t, e.Log, e.LogKey, a)
	s.Store = e.Store
	s.exec = func(t *testing.T, stmt string) {
		t.Helper()
		if tag, err := e.DB.Exec(context.Background(), stmt); err != nil || tag.RowsAffected() != 1 {
			t.Fatalf("%s = %v, %v; want one row changed", stmt, tag, err)
		}
	}
	return s
}

// sqliteSite is a site on SQLite in a temporary folder.
func sqliteSite(t *testing.T, a access) *site {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "signet.db")
	if err := sqlite.Migrate(ctx, path, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	skey, vkey, err := note.GenerateKey(rand.Reader, "signet.test/ui")
	if err != nil {
		t.Fatal(err)
	}
	signer, _ := note.NewSigner(skey)
	verifier, _ := note.NewVerifier(vkey)
	l, err := ledger.Open(ctx, ledger.Config{Store: st, Signer: signer, Verifier: verifier, Origin: "signet.test/ui"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(l.Close)
	s := serve(t, l, vkey, a)
	s.Store = st
	s.exec = func(t *testing.T, stmt string) {
		t.Helper()
		db, err := sql.Open("sqlite", path)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		res, err := db.Exec(stmt)
		if n, _ := res.RowsAffected(); err != nil || n != 1 {
			t.Fatalf("%s = %v rows, %v; want one row changed", stmt, n, err)
		}
	}
	return s
}

// Payloads that try to become markup; the pages must show them as text.
const (
	scriptPayload = `<script>alert('script')</script>`
	imgPayload    = `"><img src=x onerror=alert('img')>`
	reasonMarkup  = `laptop stolen <img src=x onerror=alert('reason')>`
)

// story is what every site's log holds:
//
//	0 alice registered (key A1)     1 bob registered
//	2 alice JE1                     3 alice JE2, amount 16453.24
//	4 alice's payload with markup   5 bob JE4, period 2024 Q1
//	6 alice adds key A2             7 the operator revokes A1 (compromised since 4, a reason with markup)
//	8..13 alice JE5..JE10, with A2: period 2024, Q1 for odd i and Q2 for
//	even, and lines [{"account":"4000","amount":i},{"account":"1200","amount":i}]
type story struct {
	alice1, alice2, bob keys.PrivateKey
	A1, A2              string // kids
}

func (s *site) tell(t *testing.T) story {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st := story{alice1: key(t), alice2: key(t), bob: key(t)}
	st.A1, st.A2 = st.alice1.Public().Thumbprint(), st.alice2.Public().Thumbprint()
	c := s.Client
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(c.Register(ctx, "alice", st.alice1, nil))
	must(c.Register(ctx, "bob", st.bob, nil))
	must(c.Submit(ctx, st.alice1, []byte(`{"journal_id":"JE1"}`)))
	must(c.Submit(ctx, st.alice1, []byte(`{"journal_id":"JE2","amount":"16453.24"}`)))
	must(c.Submit(ctx, st.alice1, []byte(`{"journal_id":"JE3","memo":`+jsonString(scriptPayload)+`,"note":`+jsonString(imgPayload)+`}`)))
	must(c.Submit(ctx, st.bob, []byte(`{"journal_id":"JE4","period":{"year":2024,"quarter":1}}`)))
	must(c.AddKey(ctx, "alice", st.alice1, st.alice2))
	since := int64(4)
	must(c.RevokeAsOperator(ctx, "alice", st.A1, client.RevokeRequest{Reason: reasonMarkup, CompromisedSince: &since}))
	for i := 5; i <= 10; i++ {
		must(c.Submit(ctx, st.alice2, []byte(`{"journal_id":"JE`+itoa(i)+`","period":{"year":2024,"quarter":`+itoa(2-i%2)+`},`+
			`"lines":[{"account":"4000","amount":`+itoa(i)+`},{"account":"1200","amount":`+itoa(i)+`}]}`)))
	}
	return st
}

func key(t *testing.T) keys.PrivateKey { return signettest.Key(t) }

// tamperPayload changes record 3's stored payload behind the log's back.
func (s *site) tamperPayload(t *testing.T) {
	p := base64.RawURLEncoding.EncodeToString([]byte(`{"journal_id":"JE2","amount":"99999.99"}`))
	s.exec(t, `UPDATE records SET payload = '`+p+`' WHERE idx = 3`)
}

// jsonString is s as a JSON string, with <, > and & as they are.
func jsonString(s string) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.Encode(s)
	return strings.TrimSuffix(b.String(), "\n")
}

func itoa(i int) string { return strconv.Itoa(i) }
