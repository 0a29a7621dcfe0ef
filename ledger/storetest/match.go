package storetest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/signet-ledger/signet/keys"
	"github.com/signet-ledger/signet/ledger"
)

// MatchPayloads are the entry payloads of the content-search test, exactly
// as signed: escapes stay as written. Entry i is record i+2 (alice's and
// bob's registrations come first); bob signs the ones [matchByBob] names.
var MatchPayloads = []string{
	`{"journal_id":"JE000001","amount":1,"lines":[{"account":"4000","amount":"10.00"},{"account":"1200","amount":"-10.00"}],"tags":["a","b","a"]}`,
	`{"journal_id":"JE000002","amount":1.0,"nested":{"x":{"y":[1,[2,3]]}}}`,
	`{"journal_id":"JE000003","amount":100,"name":"\u00e9t\u00e9","path":"a\/b"}`,
	`{"journal_id":"JE000004","amount":1e2,"name":"été","path":"a/b","flag":true,"none":null}`,
	`{"journal_id":"JE000005","big":9007199254740993,"flag":false}`,
	`{"journal_id":"JE000006","big":9007199254740992,"none":null,"empty":{},"arr":[]}`,
	// Strict JSON that PostgreSQL's jsonb cannot hold: \u0000, and a scale
	// beyond numeric's. A store must still find it.
	`{"journal_id":"JE000007","nul":"a\u0000b","tiny":1e-400,"zero":0e5000}`,
	`{"journal_id":"JE000008","amount":-0,"lines":[{"account":"4000"}],"long":0.` + strings.Repeat("0", 17000) + `1}`,
}

// matchByBob are the entries of [MatchPayloads] that bob signs.
var matchByBob = map[int]bool{3: true, 7: true}

// MatchCase is one match object and the entries of [MatchPayloads] whose
// payload contains it.
type MatchCase struct {
	Match string
	Want  []int // indexes into MatchPayloads
}

// MatchCases are the content-search test's matches, each with its answer
// among [MatchPayloads] by the containment of jsonb @>.
var MatchCases = []MatchCase{
	{`{"journal_id":"JE000001"}`, []int{0}},
	{`{"journal_id":"nope"}`, nil},
	{`{"amount":1}`, []int{0, 1}},
	{`{"amount":1.0}`, []int{0, 1}},
	{`{"amount":10e-1}`, []int{0, 1}},
	{`{"amount":100}`, []int{2, 3}},
	{`{"amount":1e2}`, []int{2, 3}},
	{`{"amount":0}`, []int{7}},
	{`{"amount":0e5000}`, []int{7}},
	{`{"amount":1000e-3}`, []int{0, 1}},
	{`{"amount":1.00000000000000000000000000000000000001}`, nil},
	{`{"tiny":1e-99999999999999999999}`, nil},
	{`{"amount":"1"}`, nil},
	{`{"big":9007199254740993}`, []int{4}},
	{`{"big":9007199254740992}`, []int{5}},
	{`{"name":"été"}`, []int{2, 3}},
	{`{"name":"\u00e9t\u00e9"}`, []int{2, 3}},
	{`{"path":"a/b"}`, []int{2, 3}},
	{`{"path":"a\/b"}`, []int{2, 3}},
	{`{"lines":[{"account":"4000"}]}`, []int{0, 7}},
	{`{"lines":[{"account":"4000","amount":"10.00"}]}`, []int{0}},
	{`{"lines":[{"account":"4000","amount":"-10.00"}]}`, nil},
	{`{"lines":[{"account":"4000"},{"amount":"-10.00"}]}`, []int{0}},
	{`{"lines":{"account":"4000"}}`, nil},
	{`{"tags":["a"]}`, []int{0}},
	{`{"tags":["a","a","b"]}`, []int{0}},
	{`{"tags":["c"]}`, nil},
	{`{"tags":"a"}`, nil},
	{`{"tags":[]}`, []int{0}},
	{`{"nested":{"x":{"y":[[3]]}}}`, []int{1}},
	{`{"nested":{"x":{"y":[3]}}}`, nil},
	{`{"nested":{"x":{"y":[1,[2]]}}}`, []int{1}},
	{`{"nested":{"x":{}}}`, []int{1}},
	{`{"flag":true}`, []int{3}},
	{`{"flag":false}`, []int{4}},
	{`{"flag":null}`, nil},
	{`{"none":null}`, []int{3, 5}},
	{`{"empty":{}}`, []int{5}},
	{`{"empty":[]}`, nil},
	{`{"arr":[]}`, []int{5}},
	{`{"nul":"a\u0000b"}`, []int{6}},
	{`{"nul":"a"}`, nil},
	{`{"tiny":1e-400}`, []int{6}},
	{`{"tiny":0}`, nil},
	{`{"zero":0}`, []int{6}},
	{`{"long":1e-17001}`, []int{7}},
	{`{"journal_id":"JE000004","flag":true,"name":"été"}`, []int{3}},
	{`{"journal_id":"JE000004","flag":false}`, nil},
}

// matchEnv is a store holding the search test's records.
type matchEnv struct {
	s    ledger.Store
	name string
	recs []*ledger.Record
	// first is the index of MatchPayloads[0]; fp and nul are the first
	// records of the runs of near misses (see testMatch).
	first, fp, nul int64
}

// nearMisses is the length of each run of records that an index may find
// as candidates but that do not match: more than a page of candidates.
const nearMisses = 150

func newMatchEnv(t *testing.T, b Backend) *matchEnv {
	w := newWorld(t)
	e := &matchEnv{name: b.New(t)}
	e.s = b.Open(t, e.name)
	m := newModel(w)
	a, bk := newKey(t), newKey(t)
	ps := []pend{w.register("alice", a), w.register("bob", bk)}
	e.first = int64(len(ps))
	for i, p := range MatchPayloads {
		signer, k := "alice", a
		if matchByBob[i] {
			signer, k = "bob", bk
		}
		ps = append(ps, w.entryJSON(signer, k, p))
	}
	// Runs that an index of (path, value) terms cannot tell from a match,
	// and payloads that jsonb cannot hold, before the one record of each
	// run that matches.
	e.fp = int64(len(ps))
	for range nearMisses {
		ps = append(ps, w.entryJSON("alice", a, `{"fp":[{"a":1},{"b":2}]}`))
	}
	ps = append(ps, w.entryJSON("alice", a, `{"fp":[{"a":1,"b":2}]}`))
	e.nul = int64(len(ps))
	for range nearMisses {
		ps = append(ps, w.entryJSON("alice", a, `{"zz":"\u0000","k":1}`))
	}
	ps = append(ps, w.entryJSON("bob", bk, `{"zz":"\u0000","k":2}`))
	write(t, e.s, m, m.next(ps...))
	e.recs = m.recs
	return e
}

// testMatch checks Records with a Match: every [MatchCases] answer, alone
// and with the other filters and paging; matches on every record; runs of
// near misses longer than a page; and, where the backend can, that the
// answers come from an index and that rebuilding it restores them.
func testMatch(t *testing.T, b Backend) {
	e := newMatchEnv(t, b)
	if b.CheckSearchIndex != nil {
		b.CheckSearchIndex(t, e.name)
	}
	e.checkCases(t)
	t.Run("Filters", e.checkFilters)
	t.Run("NearMisses", e.checkNearMisses)
	t.Run("EveryRecord", func(t *testing.T) {
		for _, m := range []string{`{}`, `{"zz":"\u0000"}`} {
			e.check(t, ledger.Query{Match: parseMatch(t, m), After: -1, Limit: 1000})
		}
		e.checkPaged(t, parseMatch(t, `{}`), "", 97)
	})
	if b.ClearSearchIndex == nil {
		return
	}
	t.Run("Rebuild", func(t *testing.T) {
		b.ClearSearchIndex(t, e.name)
		q := ledger.Query{Match: parseMatch(t, `{"journal_id":"JE000001"}`), After: -1, Limit: 10}
		if got, err := e.s.Records(testCtx(t), q); err != nil || len(got) != 0 {
			t.Errorf("Records(%v) with the index cleared = %d records, %v; want none: the store does not answer from its index", q.Match, len(got), err)
		}
		r, ok := e.s.(SearchIndexer)
		if !ok {
			t.Fatalf("%T has no RebuildSearchIndex", e.s)
		}
		if err := r.RebuildSearchIndex(testCtx(t)); err != nil {
			t.Fatalf("RebuildSearchIndex() = %v", err)
		}
		e.checkCases(t)
		e.checkNearMisses(t)
	})
}

// SearchIndexer is a store whose content-search index can be rebuilt from
// its records.
type SearchIndexer interface {
	// RebuildSearchIndex replaces the store's search index by one derived
	// anew from every record, in one transaction.
	RebuildSearchIndex(ctx context.Context) error
}

func parseMatch(t *testing.T, s string) *ledger.Match {
	t.Helper()
	m, err := ledger.ParseMatch([]byte(s))
	if err != nil {
		t.Fatalf("ParseMatch(%s) = %v", s, err)
	}
	return m
}

func (e *matchEnv) checkCases(t *testing.T) {
	for _, c := range MatchCases {
		m := parseMatch(t, c.Match)
		var want []int64
		for _, i := range c.Want {
			want = append(want, e.first+int64(i))
		}
		got := e.records(t, ledger.Query{Match: m, After: -1, Limit: 1000})
		if !slices.Equal(got, want) {
			t.Errorf("Records(match %s) = records %v, want %v", c.Match, got, want)
		}
		// The case's answer is the Go containment's too.
		if model := e.model(ledger.Query{Match: m, After: -1, Limit: 1000}); !slices.Equal(model, want) {
			t.Errorf("Match.Select(%s) = records %v, want %v", c.Match, model, want)
		}
	}
}

func (e *matchEnv) checkFilters(t *testing.T) {
	for _, q := range []ledger.Query{
		{Match: parseMatch(t, `{"amount":100}`), Signer: "bob", After: -1, Limit: 10},
		{Match: parseMatch(t, `{"amount":100}`), Signer: "alice", After: -1, Limit: 10},
		{Match: parseMatch(t, `{"amount":1}`), After: e.first, Limit: 10},
		{Match: parseMatch(t, `{"amount":1}`), After: -1, Limit: 1},
		{Match: parseMatch(t, `{"signer":"alice"}`), After: -1, Limit: 10},
		{Match: parseMatch(t, `{"signer":"alice"}`), Kind: ledger.KindEntry, After: -1, Limit: 10},
		{Match: parseMatch(t, `{}`), Kind: ledger.KindRegistered, After: -1, Limit: 10},
		{Match: parseMatch(t, `{}`), KeyEvents: true, After: 0, Limit: 10},
		{Match: parseMatch(t, `{"k":2}`), Signer: "alice", After: -1, Limit: 10},
	} {
		e.check(t, q)
	}
	for _, m := range []string{`{"amount":100}`, `{"none":null}`, `{"k":1}`, `{"fp":[{"a":1}]}`} {
		e.checkPaged(t, parseMatch(t, m), "", 7)
	}
	e.checkPaged(t, parseMatch(t, `{"k":1}`), "alice", 50)
}

func (e *matchEnv) checkNearMisses(t *testing.T) {
	for _, c := range []struct {
		match string
		want  int64
	}{
		{`{"fp":[{"a":1,"b":2}]}`, e.fp + nearMisses},
		{`{"k":2}`, e.nul + nearMisses},
	} {
		for _, limit := range []int{1, 5, 1000} {
			got := e.records(t, ledger.Query{Match: parseMatch(t, c.match), After: -1, Limit: limit})
			if !slices.Equal(got, []int64{c.want}) {
				t.Errorf("Records(match %s, limit %d) = records %v, want [%d]", c.match, limit, got, c.want)
			}
		}
	}
}

// check compares Records(q) with the model's answer.
func (e *matchEnv) check(t *testing.T, q ledger.Query) {
	t.Helper()
	got, want := e.records(t, q), e.model(q)
	if !slices.Equal(got, want) {
		t.Errorf("Records(%s) = records %v, want %v", describe(q), got, want)
	}
}

// checkPaged pages through a match with After and Limit, as a client
// follows next, and compares what it saw with the model's whole answer.
func (e *matchEnv) checkPaged(t *testing.T, m *ledger.Match, signer string, limit int) {
	t.Helper()
	var got []int64
	for after := int64(-1); ; {
		page := e.records(t, ledger.Query{Match: m, Signer: signer, After: after, Limit: limit})
		got = append(got, page...)
		if len(page) < limit {
			break
		}
		after = page[len(page)-1]
	}
	if want := e.model(ledger.Query{Match: m, Signer: signer, After: -1, Limit: len(e.recs)}); !slices.Equal(got, want) {
		t.Errorf("paging through match %s (signer %q) by %d = records %v, want %v", m, signer, limit, got, want)
	}
}

func (e *matchEnv) records(t *testing.T, q ledger.Query) []int64 {
	t.Helper()
	recs, err := e.s.Records(testCtx(t), q)
	if err != nil {
		t.Fatalf("Records(%s) = %v", describe(q), err)
	}
	out := []int64{}
	for i, r := range recs {
		if i > 0 && r.Index <= recs[i-1].Index {
			t.Errorf("Records(%s) are out of order at %d", describe(q), i)
		}
		if d := diffRecord(r, e.recs[r.Index]); d != "" {
			t.Errorf("Records(%s): record %d: %s", describe(q), r.Index, d)
		}
		out = append(out, r.Index)
	}
	return out
}

// model is what Records(q) must return: the records that pass q's
// filters and that [ledger.Match.Selects].
func (e *matchEnv) model(q ledger.Query) []int64 {
	out := []int64{}
	for _, r := range e.recs {
		if len(out) == q.Limit {
			break
		}
		if r.Index > q.After && (q.Signer == "" || r.Signer == q.Signer) && (q.Kind == "" || r.Kind == q.Kind) &&
			(!q.KeyEvents || r.Kind != ledger.KindEntry) && (q.Match == nil || q.Match.Selects(r)) {
			out = append(out, r.Index)
		}
	}
	return out
}

func describe(q ledger.Query) string {
	return fmt.Sprintf("match %v signer %q kind %q key events %v after %d limit %d", q.Match, q.Signer, q.Kind, q.KeyEvents, q.After, q.Limit)
}

// entryJSON is a journal entry of signer signed by k whose payload is
// exactly the JSON text p.
func (w *world) entryJSON(signer string, k keys.PrivateKey, p string) pend {
	j := sign(w.t, k, false, nonce(), "/v1/entries", []byte(p))
	return pend{rec: fromJWS(ledger.KindEntry, signer, kid(k), j)}
}
