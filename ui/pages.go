package ui

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/signet-ledger/signet"
	"github.com/signet-ledger/signet/api"
	"github.com/signet-ledger/signet/ledger"
	"github.com/signet-ledger/signet/registry"
)

// maxPage bounds the limit a visitor may ask a page for.
const maxPage = 100

// entriesQuery reads a page's filters and paging as GET /v1/entries
// reads its own ([api.EntriesQuery]), with the explorer's page size.
func (p *Pages) entriesQuery(v url.Values) (ledger.Query, error) {
	return api.EntriesQuery(v, p.pageSize, maxPage)
}

// page is one page of records and the links to the others.
type page struct {
	Records []*ledger.Record
	Next    string // the next page's URL, or empty on the last
	First   string // the first page's URL, or empty on the first
}

// records reads the page q asks for, with links to r's path that keep
// the other parameters of v, the query q was read from. It asks for one
// record more than the page shows, so that the last page has no link to
// an empty one.
func (p *Pages) records(r *http.Request, v url.Values, q ledger.Query) (page, error) {
	q.Limit++
	recs, err := p.log.Records(r.Context(), q)
	if err != nil {
		return page{}, err
	}
	var pg page
	if q.Limit--; len(recs) > q.Limit {
		recs = recs[:q.Limit]
		pg.Next = pageLink(r.URL.Path, v, strconv.FormatInt(recs[len(recs)-1].Index, 10))
	}
	pg.Records = recs
	if q.After >= 0 {
		pg.First = pageLink(r.URL.Path, v, "")
	}
	return pg, nil
}

// pageLink is the address of path with query v and after set to after,
// or without it when after is empty.
func pageLink(path string, v url.Values, after string) string {
	v = maps.Clone(v)
	v.Del("after")
	if after != "" {
		v.Set("after", after)
	}
	u := url.URL{Path: path, RawQuery: v.Encode()}
	return u.String()
}

type overviewPage struct {
	Size       int64
	Root       string
	Signatures []signet.NoteSignature
	Witnesses  []ledger.WitnessStatus
	Recent     page
}

func (p *Pages) overview(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var v overviewPage
	cp, err := p.log.Checkpoint(ctx)
	switch {
	case errors.Is(err, ledger.ErrNotFound): // an empty log
	case err != nil:
		p.fail(w, r, err)
		return
	default:
		c, err := signet.ParseCheckpointUnverified(cp)
		if err != nil {
			p.fail(w, r, err)
			return
		}
		v.Size, v.Root = c.Size, c.Root.String()
		v.Signatures, _ = signet.NoteSignatures(cp)
	}
	v.Witnesses = p.log.Witnesses()
	if v.Size > 0 {
		if v.Recent.Records, err = p.log.Records(ctx, ledger.Query{After: max(v.Size-11, -1), Limit: 10}); err != nil {
			p.fail(w, r, err)
			return
		}
		slices.Reverse(v.Recent.Records)
	}
	p.render(w, r, http.StatusOK, "overview", "Overview", v)
}

// gotoEntry answers the overview's "go to record" form.
func (p *Pages) gotoEntry(w http.ResponseWriter, r *http.Request) {
	i, err := api.ParseIndex("index", r.URL.Query().Get("index"))
	if err != nil {
		p.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/ui/entries/"+strconv.FormatInt(i, 10), http.StatusSeeOther)
}

type recordPage struct {
	Index    int64
	Rec      *ledger.Record // nil when the record is missing
	Payload  string         // pretty-printed, or as stored if not JSON
	NotJSON  bool
	Key      keyStatus
	Verified bool
	Checks   []check
	Problems []string
	Prev     *int64
	Next     *int64
}

// keyStatus is the signing key as the log's key records have it.
type keyStatus struct {
	Operator bool
	Known    bool
	Key      registry.Key
	// ActiveThen: the key was active at the record's index.
	ActiveThen bool
	// Suspect: the key was later declared compromised from an index at
	// or before the record's.
	Suspect bool
}

type check struct {
	Name   string
	About  string
	Passed bool
}

func (p *Pages) record(w http.ResponseWriter, r *http.Request) {
	i, err := api.ParseIndex("index", r.PathValue("index"))
	if err != nil {
		p.fail(w, r, err)
		return
	}
	v, err := p.log.Verify(r.Context(), i)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	c := v.Checks
	pg := recordPage{Index: i, Rec: v.Record, Verified: v.Verified, Problems: v.Problems, Checks: []check{
		{"Signature", "the JWS verifies with the key the log says the signer held at this index", c.Signature},
		{"Record hash", "the hash recomputed from the stored fields equals the stored hash", c.RecordHash},
		{"Chain link", "prev_hash equals the previous record's hash, and the next record links to this one", c.ChainLink},
		{"Inclusion", "the record is in the Merkle tree of the latest checkpoint", c.Inclusion},
	}}
	if i > 0 {
		prev := i - 1
		pg.Prev = &prev
	}
	if h, err := p.log.Head(r.Context()); err == nil && i+1 < h.Size {
		next := i + 1
		pg.Next = &next
	}
	if v.Record != nil {
		pg.Payload, pg.NotJSON = payloadText(v.Record)
		if pg.Key, err = p.keyStatus(r, v); err != nil {
			p.fail(w, r, err)
			return
		}
	}
	p.render(w, r, http.StatusOK, "record", fmt.Sprintf("Record %d", i), pg)
}

// payloadText is the record's signed payload indented for reading.
func payloadText(rec *ledger.Record) (string, bool) {
	raw, err := rec.PayloadJSON()
	if err != nil {
		return rec.Payload, true
	}
	var b bytes.Buffer
	if err := json.Indent(&b, raw, "", "  "); err != nil {
		return string(raw), true
	}
	return b.String(), false
}

func (p *Pages) keyStatus(r *http.Request, v *ledger.Verification) (keyStatus, error) {
	rec := v.Record
	if v.KeyStatus == ledger.StatusOperator || rec.KID == "" {
		return keyStatus{Operator: true}, nil
	}
	s, err := p.log.Signer(r.Context(), rec.Signer)
	if errors.Is(err, ledger.ErrNotFound) || errors.Is(err, registry.ErrUnknownSigner) {
		return keyStatus{}, nil
	}
	if err != nil {
		return keyStatus{}, err
	}
	for _, k := range s.Keys {
		if k.KID == rec.KID {
			return keyStatus{Known: true, Key: k, ActiveThen: k.ActiveAt(rec.Index), Suspect: k.Suspect(rec.Index)}, nil
		}
	}
	return keyStatus{}, nil
}

// recordJSON serves the record as the API does, with the visitor's token:
// the API decides the access and the answer.
func (p *Pages) recordJSON(w http.ResponseWriter, r *http.Request) {
	i, err := api.ParseIndex("index", r.PathValue("index"))
	if err != nil {
		p.fail(w, r, err)
		return
	}
	req := r.Clone(r.Context())
	req.URL = &url.URL{Path: "/v1/entries/" + strconv.FormatInt(i, 10)}
	req.RequestURI = req.URL.Path
	req.Header.Del("Authorization")
	if tok := p.token(r); tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	p.srv.ServeHTTP(w, req)
}

// receipt serves the record's receipt as a file to download.
func (p *Pages) receipt(w http.ResponseWriter, r *http.Request) {
	i, err := api.ParseIndex("index", r.PathValue("index"))
	if err != nil {
		p.fail(w, r, err)
		return
	}
	rc, err := p.log.Receipt(r.Context(), i)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	b, err := rc.Marshal()
	if err != nil {
		p.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="record-%d.tlog-proof"`, i))
	w.Write(b)
}

type signerPage struct {
	Signer registry.Signer
	Events []keyEvent
	List   page
}

// keyEvent is one change of a signer's keys, at its record.
type keyEvent struct {
	Index int64
	What  string
	Key   registry.Key
}

func (p *Pages) signer(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("signer")
	s, err := p.log.Signer(r.Context(), id)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	v := r.URL.Query()
	q, err := p.entriesQuery(v)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	q.Signer = s.ID
	pg, err := p.records(r, v, q)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	p.render(w, r, http.StatusOK, "signer", "Signer "+s.ID, signerPage{Signer: s, Events: keyEvents(s), List: pg})
}

// keyEvents is s's key history in log order.
func keyEvents(s registry.Signer) []keyEvent {
	var out []keyEvent
	for _, k := range s.Keys {
		what := "added"
		if k.AddedAt == s.RegisteredAt {
			what = "registered"
		}
		out = append(out, keyEvent{Index: k.AddedAt, What: what, Key: k})
		if k.Revocation != nil {
			out = append(out, keyEvent{Index: k.Revocation.At, What: "revoked", Key: k})
		}
	}
	slices.SortFunc(out, func(a, b keyEvent) int { return int(a.Index - b.Index) })
	return out
}

type searchForm struct {
	Signer string
	Kind   string
	Match  string // as the visitor typed it
}

type searchPage struct {
	Form     searchForm
	Kinds    []ledger.Kind
	Searched bool
	List     page
}

var kinds = []ledger.Kind{ledger.KindEntry, ledger.KindRegistered, ledger.KindKeyAdded, ledger.KindKeyRevoked}

// search lists the records by signer, kind and payload content, as GET
// /v1/entries selects them; a malformed parameter gets the API's message.
func (p *Pages) search(w http.ResponseWriter, r *http.Request) {
	v := r.URL.Query()
	f := searchForm{Signer: v.Get("signer"), Kind: v.Get("kind"), Match: v.Get("match")}
	// An empty field of the form is no filter: the form sends every field.
	if v.Has("match") && f.Match == "" {
		v.Del("match")
	}
	q, err := p.entriesQuery(v)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	pg, err := p.records(r, v, q)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	p.render(w, r, http.StatusOK, "search", "Search", searchPage{Form: f, Kinds: kinds, Searched: f.Signer != "" || f.Kind != "" || f.Match != "", List: pg})
}
