package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/signet-ledger/signet/api"
	"github.com/signet-ledger/signet/internal/signettest"
	"github.com/signet-ledger/signet/ledger"
)

// bulkEnv is a server on PostgreSQL holding a bulk log of n records.
func bulkEnv(t *testing.T, n int, opts signettest.Options) (*signettest.Env, *signettest.Bulk) {
	b := signettest.NewBulk(t, n)
	opts.Ledger = signettest.UseBulkKey(t)
	e := signettest.New(t, opts)
	b.Import(t, e.Store)
	return e, b
}

// answer is one raw HTTP answer.
type answer struct {
	status int
	header http.Header
	body   []byte
}

// noRedirects is a client that shows redirects instead of following them.
var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func get(t *testing.T, url, token string) answer {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := noRedirects.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return answer{resp.StatusCode, resp.Header, b}
}

// tlogProblem checks that a is a problem+json answer of status and type
// name, not to be cached.
func tlogProblem(t *testing.T, what string, a answer, status int, name string) {
	t.Helper()
	var p api.Problem
	if err := json.Unmarshal(a.body, &p); err != nil || a.status != status || p.Type != "urn:signet:error:"+name || p.Detail == "" {
		t.Errorf("%s = %d %s, want a %d %s problem with a detail", what, a.status, a.body, status, name)
	}
	if ct := a.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("%s: Content-Type = %q, want application/problem+json", what, ct)
	}
}

// TestTlogAnswers: the checkpoint and tiles of a log of 600 records, with
// their content types, sizes and caching, as c2sp.org/tlog-tiles and
// PROTOCOL.md §10 say; tiles beyond the tree are 404 and never cached.
func TestTlogAnswers(t *testing.T) {
	e, b := bulkEnv(t, 600, signettest.Options{})
	const immutable, short = "public, max-age=31536000, immutable", "public, max-age=5"
	cp := get(t, e.URL+"/tlog/checkpoint", "")
	if cp.status != 200 || !bytes.Equal(cp.body, b.Checkpoint.Note) ||
		cp.header.Get("Content-Type") != "text/plain; charset=utf-8" || cp.header.Get("Cache-Control") != short {
		t.Errorf("GET /tlog/checkpoint = %d %v %q; want 200, text/plain; charset=utf-8, %q and the log's checkpoint %q",
			cp.status, cp.header, cp.body, short, b.Checkpoint.Note)
	}
	for _, tc := range []struct {
		path    string
		size    int
		caching string
	}{
		{"tile/0/000", 8192, immutable},
		{"tile/0/001", 8192, immutable},
		{"tile/0/002.p/88", 88 * 32, short},
		{"tile/0/000.p/1", 32, short},
		{"tile/0/001.p/255", 255 * 32, short},
		{"tile/1/000.p/2", 64, short},
		{"tile/1/000.p/1", 32, short},
		{"tile/entries/000", 256 * 34, immutable},
		{"tile/entries/002.p/88", 88 * 34, short},
	} {
		a := get(t, e.URL+"/tlog/"+tc.path, "")
		if a.status != 200 || len(a.body) != tc.size || a.header.Get("Content-Type") != "application/octet-stream" ||
			a.header.Get("Cache-Control") != tc.caching {
			t.Errorf("GET /tlog/%s = %d, %d bytes, %v; want 200, %d bytes, application/octet-stream, %q",
				tc.path, a.status, len(a.body), a.header, tc.size, tc.caching)
		}
	}
	for _, path := range []string{"tile/0/002", "tile/0/002.p/89", "tile/0/003.p/1", "tile/1/000", "tile/1/000.p/3",
		"tile/2/000.p/1", "tile/63/000.p/1", "tile/entries/002", "tile/entries/002.p/89", "tile/0/x009/x223/x372/x036/x854/x775/807"} {
		a := get(t, e.URL+"/tlog/"+path, "")
		tlogProblem(t, "GET /tlog/"+path, a, 404, "notFound")
		if cc := a.header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("GET /tlog/%s: Cache-Control = %q, want no-store", path, cc)
		}
	}
}

// TestTlogBadPaths: a path that is not the one spelling of a tile is a
// 400 malformed problem; other paths under /tlog are 404 or 405 problems.
func TestTlogBadPaths(t *testing.T) {
	e, _ := bulkEnv(t, 3, signettest.Options{})
	for _, path := range []string{"tile/", "tile/0", "tile/0/", "tile/0/0", "tile/00/000", "tile/64/000.p/1", "tile/0/000.p/0",
		"tile/0/000.p/256", "tile/0/000.p/03", "tile/0/x000/000", "tile/0/000/", "tile/x/000", "tile/data/000",
		"tile/0/%30%30%30", "tile/0/000%2Ep/1", "tile/0%2F000", "tile/0/000.p%2F1", "tile//0/000", "tile/0/x010/x000/x000/x000/x000/x000/x000/000"} {
		tlogProblem(t, "GET /tlog/"+path, get(t, e.URL+"/tlog/"+path, ""), 400, "malformed")
	}
	for _, path := range []string{"", "checkpoints", "tile", "tilex/0/000", "checkpoint/"} {
		a := get(t, e.URL+"/tlog/"+path, "")
		if a.status >= 500 || a.status < 300 {
			t.Errorf("GET /tlog/%s = %d %s, want a 3xx or 4xx", path, a.status, a.body)
		}
	}
	req, _ := http.NewRequest(http.MethodPost, e.URL+"/tlog/checkpoint", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 405 {
		t.Errorf("POST /tlog/checkpoint = %d, want 405", resp.StatusCode)
	}
}

// TestTlogReadAccess: with reads behind a token, the tlog endpoints need
// one (401 otherwise), and what they answer may be kept only by the
// client's own cache.
func TestTlogReadAccess(t *testing.T) {
	e, _ := bulkEnv(t, 300, signettest.Options{API: func(c *api.Config) {
		c.PublicReads, c.ReaderTokens = false, []string{"reader-token"}
	}})
	for _, tc := range []struct{ path, caching string }{
		{"checkpoint", "private, max-age=5"},
		{"tile/0/000", "private, max-age=31536000, immutable"},
		{"tile/0/001.p/44", "private, max-age=5"},
		{"tile/entries/000", "private, max-age=31536000, immutable"},
	} {
		tlogProblem(t, "GET /tlog/"+tc.path+" without a token", get(t, e.URL+"/tlog/"+tc.path, ""), 401, "unauthorized")
		tlogProblem(t, "GET /tlog/"+tc.path+" with a wrong token", get(t, e.URL+"/tlog/"+tc.path, "nope"), 401, "unauthorized")
		for _, tok := range []string{"reader-token", e.AdminToken} {
			a := get(t, e.URL+"/tlog/"+tc.path, tok)
			if a.status != 200 || a.header.Get("Cache-Control") != tc.caching {
				t.Errorf("GET /tlog/%s with a token = %d %v, want 200 and Cache-Control %q", tc.path, a.status, a.header, tc.caching)
			}
		}
	}
}

// TestTlogEmptyLog: an empty log has no checkpoint and no tile.
func TestTlogEmptyLog(t *testing.T) {
	e := signettest.New(t, signettest.Options{})
	for _, path := range []string{"checkpoint", "tile/0/000.p/1", "tile/entries/000.p/1"} {
		tlogProblem(t, "GET /tlog/"+path, get(t, e.URL+"/tlog/"+path, ""), 404, "notFound")
	}
}

// FuzzTlogPath: whatever follows /tlog/, the server answers without a
// 5xx; every error is a problem, and every success a tile the path names.
func FuzzTlogPath(f *testing.F) {
	for _, s := range []string{"tile/0/000.p/3", "tile/entries/000.p/3", "checkpoint", "tile/0/x001/000", "tile/0/%30%30%30", "tile/1/000.p/1"} {
		f.Add(s)
	}
	m := signettest.NewMem(f, signettest.UseBulkKey(f))
	signettest.NewBulk(f, 3).Import(f, m.Store)
	h, err := api.New(api.Config{Log: m.Log, AdminToken: "admin", LogKey: "k", PublicReads: true})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, path string) {
		req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, "http://signet.test/tlog/"+path, nil)
		if err != nil {
			return
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		ct := w.Header().Get("Content-Type")
		switch {
		case w.Code >= 500:
			t.Fatalf("GET /tlog/%s = %d %s", path, w.Code, w.Body)
		case w.Code == 200 && strings.HasPrefix(req.URL.Path, "/tlog/tile/"):
			if _, err := ledger.ParseTilePath(strings.TrimPrefix(req.URL.Path, "/tlog/")); err != nil || ct != "application/octet-stream" {
				t.Fatalf("GET /tlog/%s = 200 %s, but the path is not a tile's: %v", path, ct, err)
			}
		case w.Code >= 400 && ct != "application/problem+json":
			t.Fatalf("GET /tlog/%s = %d with Content-Type %q", path, w.Code, ct)
		}
	})
}
