package ui

import (
	"net/http"

	"github.com/signet-ledger/signet/api"
	"github.com/signet-ledger/signet/registry"
)

// directoryPage is a page of the signer directory.
type directoryPage struct {
	Signers []directoryRow
	Next    string // the next page's URL, or empty on the last
	First   string // the first page's URL, or empty on the first
}

// directoryRow is one signer with its key counts.
type directoryRow struct {
	registry.Signer
	Active, Revoked int
}

// signers lists the signer directory in id order, paged by the last id of
// the previous page as GET /v1/signers is ([api.SignersPage]).
func (p *Pages) signers(w http.ResponseWriter, r *http.Request) {
	v := r.URL.Query()
	after, limit, err := api.SignersPage(v, p.pageSize, maxPage)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	sgs, err := p.log.Signers(r.Context(), after, limit+1) // one more: is there a next page?
	if err != nil {
		p.fail(w, r, err)
		return
	}
	var pg directoryPage
	if len(sgs) > limit {
		sgs = sgs[:limit]
		pg.Next = pageLink(r.URL.Path, v, sgs[len(sgs)-1].ID)
	}
	for _, s := range sgs {
		a := s.ActiveKeys()
		pg.Signers = append(pg.Signers, directoryRow{Signer: s, Active: a, Revoked: len(s.Keys) - a})
	}
	if after != "" {
		pg.First = pageLink(r.URL.Path, v, "")
	}
	p.render(w, r, http.StatusOK, "signers", "Signers", pg)
}
