package api

import (
	"fmt"
	"net/url"
	"strconv"

	"github.com/signet-ledger/signet/ledger"
	"github.com/signet-ledger/signet/registry"
)

// The query languages of the listing endpoints, exported so that the
// explorer (package ui) reads its addresses with the same rules and the
// same messages as the API.

// ParseIndex parses a log index or tree size: a decimal number without
// sign or leading zeros. The error wraps [ledger.ErrMalformed] and names
// the parameter.
func ParseIndex(name, s string) (int64, error) {
	bad := s == "" || len(s) > 1 && s[0] == '0' || s[0] < '0' || s[0] > '9'
	n, err := strconv.ParseInt(s, 10, 64)
	if bad || err != nil {
		return 0, malformed(fmt.Sprintf("%s must be a non-negative decimal integer", name))
	}
	return n, nil
}

// EntriesQuery reads the query of GET /v1/entries from v: signer; kind;
// match, a JSON object ([ledger.ParseMatch]); after, the last index of the
// previous page (absent: from the start); and limit, 1 to maxLimit
// (absent: def). Every error wraps [ledger.ErrMalformed].
func EntriesQuery(v url.Values, def, maxLimit int) (ledger.Query, error) {
	q := ledger.Query{Signer: v.Get("signer")}
	var err error
	if v.Has("match") {
		if q.Match, err = ledger.ParseMatch([]byte(v.Get("match"))); err != nil {
			return ledger.Query{}, err
		}
	}
	if k := v.Get("kind"); k != "" {
		if q.Kind, err = ledger.ParseKind(k); err != nil {
			return ledger.Query{}, err
		}
	}
	if q.After, err = indexParam(v, "after", -1); err != nil {
		return ledger.Query{}, err
	}
	if q.Limit, err = LimitParam(v, def, maxLimit); err != nil {
		return ledger.Query{}, err
	}
	return q, nil
}

// SignersPage reads the paging of GET /v1/signers from v: after, the last
// signer id of the previous page (absent or empty: from the first), and
// limit as [LimitParam] reads it. Every error wraps [ledger.ErrMalformed].
func SignersPage(v url.Values, def, maxLimit int) (after string, limit int, err error) {
	after = v.Get("after")
	if after != "" {
		if err := registry.CheckSignerID(after); err != nil {
			return "", 0, malformed("after must be a signer id: " + err.Error())
		}
	}
	if limit, err = LimitParam(v, def, maxLimit); err != nil {
		return "", 0, err
	}
	return after, limit, nil
}

// LimitParam reads the query parameter limit, def if absent; it must be
// between 1 and maxLimit.
func LimitParam(v url.Values, def, maxLimit int) (int, error) {
	if !v.Has("limit") {
		return def, nil
	}
	n, err := ParseIndex("limit", v.Get("limit"))
	if err != nil || n < 1 || n > int64(maxLimit) {
		return 0, malformed(fmt.Sprintf("limit must be between 1 and %d", maxLimit))
	}
	return int(n), nil
}

// indexParam parses an optional query parameter with [ParseIndex]; absent
// is def.
func indexParam(v url.Values, name string, def int64) (int64, error) {
	if !v.Has(name) {
		return def, nil
	}
	return ParseIndex(name, v.Get(name))
}
