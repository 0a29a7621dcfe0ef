package memstore

import (
	"cmp"
	"errors"
	"fmt"
	"slices"

	"github.com/signet-ledger/signet/ledger"
	"github.com/signet-ledger/signet/registry"
	"golang.org/x/mod/sumdb/tlog"
)

// view is the database as one reader sees it: the committed layer, then
// the layers a transaction wrote above it, newest last.
type view []*tables

func (v view) top() *tables { return v[len(v)-1] }

// head is the head row of the newest layer that moved it.
func (v view) head() *headRow {
	for _, t := range slices.Backward(v) {
		if t.head != nil {
			return t.head
		}
	}
	panic("memstore: a view without the committed layer")
}

// next is the index the next record written must have.
func (v view) next() int64 {
	t := v.top()
	return t.base + int64(len(t.records))
}

func (v view) record(i int64) *recordRow {
	for _, t := range v {
		if i >= t.base && i < t.base+int64(len(t.records)) {
			return t.records[i-t.base]
		}
	}
	return nil
}

func (v view) byNonce(n string) *recordRow {
	for _, t := range v {
		if i, ok := t.nonces[n]; ok {
			return v.record(i)
		}
	}
	return nil
}

// spent reports whether a refused request spent nonce n: a row that no
// layer from its own up has forgotten.
func (v view) spent(n string) bool {
	for i, t := range v {
		if us, ok := t.spent[n]; ok && !slices.ContainsFunc(v[i:], func(u *tables) bool { return us < u.forget }) {
			return true
		}
	}
	return false
}

// lookup finds k in the map of the newest layer that has it.
func lookup[K comparable, V any](v view, m func(*tables) map[K]V, k K) (V, bool) {
	for _, t := range slices.Backward(v) {
		if x, ok := m(t)[k]; ok {
			return x, true
		}
	}
	var zero V
	return zero, false
}

func (v view) hash(i int64) (*hashRow, bool) {
	return lookup(v, func(t *tables) map[int64]*hashRow { return t.hashes }, i)
}

func (v view) signer(id string) (*signerRow, bool) {
	return lookup(v, func(t *tables) map[string]*signerRow { return t.signers }, id)
}

func (v view) key(kid string) (*keyRow, bool) {
	return lookup(v, func(t *tables) map[string]*keyRow { return t.keys }, kid)
}

// errMissingHash is wrapped by readHashes when a stored hash is missing.
var errMissingHash = errors.New("memstore: a stored hash is missing")

// readHashes returns the stored hashes at indexes, failing unless all
// are present. A hash of the wrong length (tampering) is zero-padded.
func (v view) readHashes(indexes []int64) ([]tlog.Hash, error) {
	if len(indexes) == 0 {
		return nil, nil
	}
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		h, ok := v.hash(x)
		if !ok {
			return nil, fmt.Errorf("%w: %d", errMissingHash, x)
		}
		copy(out[i][:], h.Hash)
	}
	return out, nil
}

// records returns the records q selects, in index order. A match is
// checked on each record in turn: the in-memory store has no index.
func (v view) records(q ledger.Query) []*ledger.Record {
	var out []*ledger.Record
	for i := max(q.After+1, 0); i < v.next() && len(out) < q.Limit; i++ {
		r := v.record(i)
		if (q.Signer == "" || r.Signer == q.Signer) && (q.Kind == "" || r.Kind == string(q.Kind)) &&
			(!q.KeyEvents || r.Kind != string(ledger.KindEntry)) && (q.Match == nil || q.Match.Selects(r.record())) {
			out = append(out, r.record())
		}
	}
	return out
}

// signers returns the signers named in ids and the signers of the keys
// named in kids, each with all its keys in the order added, sorted by id.
// As the real stores' join of signers and keys, a signer with no key is
// not found.
func (v view) signers(ids, kids []string) ([]registry.Signer, error) {
	want := slices.Clone(ids)
	for _, kid := range kids {
		if k, ok := v.key(kid); ok {
			want = append(want, k.Signer)
		}
	}
	slices.Sort(want)
	var out []registry.Signer
	for _, id := range slices.Compact(want) {
		sg, ok, err := v.signerWithKeys(id)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, sg)
		}
	}
	return out, nil
}

func (v view) signerWithKeys(id string) (registry.Signer, bool, error) {
	row, ok := v.signer(id)
	if !ok {
		return registry.Signer{}, false, nil
	}
	sg := registry.Signer{ID: row.ID, RegisteredAt: row.RegisteredAt, RegisteredTime: timeUS(row.RegisteredUS)}
	for _, t := range v {
		for _, kid := range t.keysOf[id] {
			kr, _ := v.key(kid)
			k, err := kr.key()
			if err != nil {
				return sg, false, err
			}
			sg.Keys = append(sg.Keys, k)
		}
	}
	slices.SortStableFunc(sg.Keys, func(a, b registry.Key) int { return cmp.Compare(a.AddedAt, b.AddedAt) })
	return sg, len(sg.Keys) > 0, nil
}

// signerPage returns the signers whose ids sort after after, in id
// order, at most limit of them, with their keys.
func (v view) signerPage(after string, limit int) ([]registry.Signer, error) {
	var ids []string
	for _, t := range v {
		for id := range t.signers {
			if id > after {
				ids = append(ids, id)
			}
		}
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	var out []registry.Signer
	for _, id := range ids[:min(limit, len(ids))] {
		sg, ok, err := v.signerWithKeys(id)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, sg)
		}
	}
	return out, nil
}
