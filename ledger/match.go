package ledger

import (
	"github.com/signet-ledger/signet"
	"github.com/signet-ledger/signet/internal/jsoncontain"
	"github.com/signet-ledger/signet/internal/strictjson"
)

// MaxMatchBytes bounds the JSON text of a [Match].
const MaxMatchBytes = 4096

// Match selects the records whose payload contains a JSON object, with the
// containment of PostgreSQL's jsonb @> operator (package
// internal/jsoncontain has the exact rules): every member of the object is
// contained in the payload's member of that name, recursively; an array
// contains another when each element of the other is contained in some
// element of it; strings are equal after unescaping, numbers when their
// decimal values are exactly equal (1, 1.0 and 1e0; 100 and 1e2), true,
// false and null only themselves. The empty object matches every record,
// as every payload is an object.
//
// A Match is made by [ParseMatch] and never changes; it is safe for
// concurrent use.
type Match struct {
	text  string
	value jsoncontain.Value
}

// ParseMatch reads a match object. It returns an error wrapping
// [ErrMalformed] unless text is one strict JSON object (the rules of an
// entry's payload, R12) of at most [MaxMatchBytes] bytes.
func ParseMatch(text []byte) (*Match, error) {
	if len(text) > MaxMatchBytes {
		return nil, malformedf("match has %d bytes, limit %d", len(text), MaxMatchBytes)
	}
	if err := strictjson.CheckObject(text, signet.MaxPayloadDepth); err != nil {
		return nil, malformedf("match must be one JSON object: %v", err)
	}
	v, err := jsoncontain.Parse(text)
	if err != nil {
		return nil, malformedf("match: %v", err)
	}
	return &Match{text: string(text), value: v}, nil
}

// JSON returns the match object in one canonical spelling: members sorted
// by name, numbers as plain decimals (1e2 as 100, 0e5000 as 0), so that a
// database that cannot read some spelling of a number reads this one if
// it can hold the value at all.
func (m *Match) JSON() string { return string(jsoncontain.Encode(m.value)) }

// String returns the match's text, for logs and test names.
func (m *Match) String() string { return m.text }

// Terms returns the index terms of the match object (see
// jsoncontain.Terms): every record the match selects has all of them
// among the terms of its payload. Scalar terms come first in selectivity.
func (m *Match) Terms() (scalars, containers [][]byte) {
	s, c := jsoncontain.Terms(m.value)
	return asBytes(s), asBytes(c)
}

// PayloadTerms returns the index terms of the JSON payload p, as
// [Match.Terms] does for a match, or an error if p is not JSON.
func PayloadTerms(p []byte) ([][]byte, error) {
	v, err := jsoncontain.Parse(p)
	if err != nil {
		return nil, err
	}
	s, c := jsoncontain.Terms(v)
	return append(asBytes(s), asBytes(c)...), nil
}

func asBytes(ts []jsoncontain.Term) [][]byte {
	out := make([][]byte, len(ts))
	for i, t := range ts {
		out[i] = t
	}
	return out
}

// Selects reports whether r's payload contains the match object. A
// payload that is not JSON contains nothing.
func (m *Match) Selects(r *Record) bool {
	p, err := r.PayloadJSON()
	if err != nil {
		return false
	}
	v, err := jsoncontain.Parse(p)
	return err == nil && jsoncontain.Contains(v, m.value)
}

// Select returns the records of recs that m selects, in order; a nil m
// selects them all.
func (m *Match) Select(recs []*Record) []*Record {
	if m == nil {
		return recs
	}
	out := recs[:0:0]
	for _, r := range recs {
		if m.Selects(r) {
			out = append(out, r)
		}
	}
	return out
}

// CandidatePage is the smallest page of candidates [CollectMatches] asks
// for.
const CandidatePage = 256

// CollectMatches answers a query with a Match for a store whose index
// finds candidates: fetch returns, in index order, at most limit records
// with index > after that pass q's other filters and include every record
// the match selects (and maybe others). CollectMatches checks each
// candidate with [Match.Selects] against its signed payload, so that the
// answer is a function of the records alone, whatever the index holds,
// and fetches further pages until it has q.Limit records or fetch runs out.
func CollectMatches(q Query, fetch func(after int64, limit int) ([]*Record, error)) ([]*Record, error) {
	var out []*Record
	page := max(q.Limit, CandidatePage)
	for after := q.After; len(out) < q.Limit; {
		cands, err := fetch(after, page)
		if err != nil {
			return nil, err
		}
		for _, r := range cands {
			if len(out) < q.Limit && q.Match.Selects(r) {
				out = append(out, r)
			}
		}
		if len(cands) < page {
			break
		}
		after = cands[len(cands)-1].Index
	}
	return out, nil
}
