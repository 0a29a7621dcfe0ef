package ui

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/signet-ledger/signet"
	"github.com/signet-ledger/signet/ledger"
	"github.com/signet-ledger/signet/registry"
)

// parseIndex parses a log index as the API does: a decimal number without
// sign or leading zeros.
func parseIndex(name, s string) (int64, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if s == "" || len(s) > 1 && s[0] == '0' || s[0] < '0' || s[0] > '9' || err != nil {
		return 0, malformed(fmt.Sprintf("%s must be a record index: a non-negative decimal number without leading zeros", name))
	}
	return n, nil
}

// paging reads ?after= (the last index of the previous page; absent: from
// the start) and ?limit= (1 to 100; absent: the page size).
func (p *Pages) paging(r *http.Request) (after int64, limit int, err error) {
	after, limit = -1, p.pageSize
	q := r.URL.Query()
	if q.Has("after") {
		if after, err = parseIndex("after", q.Get("after")); err != nil {
			return 0, 0, err
		}
	}
	if q.Has("limit") {
		n, err := parseIndex("limit", q.Get("limit"))
		if err != nil || n < 1 || n > 100 {
			return 0, 0, malformed("limit must be between 1 and 100")
		}
		limit = int(n)
	}
	return after, limit, nil
}

// page is one page of records and the links to the others.
type page struct {
	Records []*ledger.Record
	Next    string // the next page's URL, or empty on the last
	First   string // the first page's URL, or empty on the first
}

// records reads a page of q at the query of r, keeping r's other
// parameters in the links.
func (p *Pages) records(r *http.Request, q ledger.Query) (page, error) {
	var err error
	if q.After, q.Limit, err = p.paging(r); err != nil {
		return page{}, err
	}
	recs, err := p.log.Records(r.Context(), q)
	if err != nil {
		return page{}, err
	}
	pg := page{Records: recs}
	link := func(after int64) string {
		v := r.URL.Query()
		v.Del("after")
		if after >= 0 {
			v.Set("after", strconv.FormatInt(after, 10))
		}
		u := url.URL{Path: r.URL.Path, RawQuery: v.Encode()}
		return u.String()
	}
	if len(recs) == q.Limit {
		pg.Next = link(recs[len(recs)-1].Index)
	}
	if q.After >= 0 {
		pg.First = link(-1)
	}
	return pg, nil
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
	i, err := parseIndex("index", r.URL.Query().Get("index"))
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
	i, err := parseIndex("index", r.PathValue("index"))
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
	i, err := parseIndex("index", r.PathValue("index"))
	if err != nil {
		p.fail(w, r, err)
		return
	}
	req := r.Clone(r.Context())
	req.URL = &url.URL{Path: "/v1/entries/" + strconv.FormatInt(i, 10)}
	req.RequestURI = req.URL.Path
	req.Header.Del("Authorization")
	if tok := token(r); tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	p.srv.ServeHTTP(w, req)
}

// receipt serves the record's receipt as a file to download.
func (p *Pages) receipt(w http.ResponseWriter, r *http.Request) {
	i, err := parseIndex("index", r.PathValue("index"))
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
	pg, err := p.records(r, ledger.Query{Signer: s.ID})
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
}

type searchPage struct {
	Form     searchForm
	Kinds    []ledger.Kind
	Searched bool
	List     page
}

var kinds = []ledger.Kind{ledger.KindEntry, ledger.KindRegistered, ledger.KindKeyAdded, ledger.KindKeyRevoked}

func (p *Pages) search(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := searchForm{Signer: q.Get("signer"), Kind: q.Get("kind")}
	lq := ledger.Query{Signer: f.Signer}
	if f.Kind != "" {
		k, err := ledger.ParseKind(f.Kind)
		if err != nil {
			p.fail(w, r, malformed("kind must be one of entry, signer.registered, signer.key_added and signer.key_revoked"))
			return
		}
		lq.Kind = k
	}
	pg, err := p.records(r, lq)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	p.render(w, r, http.StatusOK, "search", "Search", searchPage{Form: f, Kinds: kinds, Searched: f.Signer != "" || f.Kind != "", List: pg})
}
