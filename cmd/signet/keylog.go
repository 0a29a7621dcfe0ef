package main

import (
	"context"
	"fmt"
	"sort"

	"github.com/signet-ledger/signet"
	"github.com/signet-ledger/signet/client"
	"github.com/signet-ledger/signet/ledger"
	"github.com/signet-ledger/signet/registry"
)

// keyKinds are the kinds of the records that make the registry; entries
// never change it.
var keyKinds = []signet.Kind{signet.KindRegistered, signet.KindKeyAdded, signet.KindKeyRevoked}

// keyRecords returns the log's key records in t.CP, in index order,
// paging through the server's list of each kind to its end. Each one's
// hash and inclusion in t.CP are checked, so none is the server's word; a
// key record the server leaves out of its lists is not found here (an
// audit of an export finds it).
func (e *env) keyRecords(ctx context.Context, c *client.Client, t *trusted) ([]*ledger.Record, error) {
	var out []*ledger.Record
	for _, kind := range keyKinds {
		for r, err := range c.Records(ctx, client.Query{Kind: string(kind), Limit: 1000}) {
			if err != nil {
				return nil, err
			}
			if r.Index >= t.CP.Size {
				break
			}
			rec, err := client.LedgerRecord(r)
			if err != nil {
				return nil, verifyFailed("key record %d does not parse: %v", r.Index, err)
			}
			if rec.Kind != kind {
				return nil, verifyFailed("the server lists record %d, a %s, as a %s", rec.Index, rec.Kind, kind)
			}
			if err := e.checkInclusion(ctx, c, rec, t); err != nil {
				return nil, err
			}
			out = append(out, rec)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Index < out[j].Index })
	return out, nil
}

// replayKeys checks rec against the registry that the key records
// (keyRecords' answer) make, replaying them with [signet.Check] in index
// order: those before rec, then rec itself, whose outcome is check, then
// the rest, for the status of rec's key at the checkpoint. A key record
// that breaks a rule, or a list that shows another record at rec's index,
// is a failed check too: no honest log holds it.
func replayKeys(events []*ledger.Record, rec *ledger.Record) (status string, check error) {
	st := registry.NewState()
	done := false
	for i, ev := range events {
		if i > 0 && events[i-1].Index == ev.Index {
			return "", verifyFailed("the server lists record %d twice", ev.Index)
		}
		if !done && ev.Index >= rec.Index {
			if _, err := signet.Check(st, rec); err != nil {
				return "", verifyFailed("%v", err)
			}
			done = true
			if ev.Index == rec.Index {
				if ev.Hash != rec.Hash {
					return "", verifyFailed("the server lists another record %d than it shows", rec.Index)
				}
				continue
			}
		}
		if _, err := signet.Check(st, ev); err != nil {
			return "", verifyFailed("key record %d: %v", ev.Index, err)
		}
	}
	if !done {
		if _, err := signet.Check(st, rec); err != nil {
			return "", verifyFailed("%v", err)
		}
	}
	return keyStatus(st, rec), nil
}

// keyStatus describes the key that signed rec as st has it.
func keyStatus(st *registry.State, rec *ledger.Record) string {
	k, ok := st.Key(rec.KID)
	switch {
	case rec.KID == "":
		return "operator"
	case !ok:
		return ""
	case k.Suspect(rec.Index):
		return fmt.Sprintf("%s, compromised from log index %d", k.Status(), *k.Revocation.CompromisedSince)
	}
	return string(k.Status())
}
