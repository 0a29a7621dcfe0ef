package ledger

import (
	"fmt"
	"slices"

	"github.com/signet-ledger/signet"
	"github.com/signet-ledger/signet/registry"
)

// apply decides e as the record rec (whose Index and IntegratedTime are
// set) under the sequencer's lock: the signing key's state at the index
// and the registry's rules, [signet.Event.SigningKey] and
// [signet.Event.Apply]. The signature was verified at admission with the
// same key: a kid names one key forever.
func apply(st *registry.State, e *signet.Event, rec *Record) (signet.Change, error) {
	if !e.Operator() {
		if _, err := e.SigningKey(st, rec.Index); err != nil {
			return signet.Change{}, err
		}
	}
	return e.Apply(st, rec.Index, rec.IntegratedTime)
}

// add adds a record's registry change to b.
func (b *Batch) add(ch signet.Change) {
	if ch.NewSigner != nil {
		b.NewSigners = append(b.NewSigners, *ch.NewSigner)
	}
	if ch.NewKey != nil {
		b.NewKeys = append(b.NewKeys, *ch.NewKey)
	}
	if ch.Revoked != nil {
		b.Revoked = append(b.Revoked, *ch.Revoked)
	}
}

// tableDrift compares the store's registry rows for a batch's signers
// with the registry the log's key records make (logSt, the same signers)
// and returns, by signer id, an error naming each disagreement: a row
// the log does not back, a key or revocation the table lacks, a changed
// key. Appends for those signers are refused until the tables are
// repaired (rebuilt from the log).
func tableDrift(logSt *registry.State, table []registry.Signer) map[string]error {
	var drift map[string]error
	note := func(id, format string, args ...any) {
		if drift == nil {
			drift = map[string]error{}
		}
		if drift[id] == nil {
			drift[id] = fmt.Errorf("%w: the registry tables disagree with the log's key records for signer %q: %s; refusing to append for it",
				ErrCorrupt, id, fmt.Sprintf(format, args...))
		}
	}
	seen := map[string]bool{}
	for _, t := range table {
		seen[t.ID] = true
		l, ok := logSt.Signer(t.ID)
		if !ok {
			note(t.ID, "the tables hold a signer no registration in the log made")
			continue
		}
		if d := keysDrift(l.Keys, t.Keys); d != "" {
			note(t.ID, "%s", d)
		}
	}
	for _, l := range logSt.Signers() {
		if !seen[l.ID] {
			note(l.ID, "the tables lack the signer")
		}
	}
	return drift
}

// keysDrift describes the first difference between a signer's keys as
// the log has them and as the tables do, or returns "".
func keysDrift(fromLog, table []registry.Key) string {
	byKID := map[string]registry.Key{}
	for _, k := range fromLog {
		byKID[k.KID] = k
	}
	for _, t := range table {
		l, ok := byKID[t.KID]
		switch {
		case !ok:
			return fmt.Sprintf("the tables hold key %s, which no key record in the log added", t.KID)
		case l.PublicKey != t.PublicKey || l.AddedAt != t.AddedAt:
			return fmt.Sprintf("the tables' copy of key %s is not the one log record %d added", t.KID, l.AddedAt)
		case (l.Revocation == nil) != (t.Revocation == nil):
			return fmt.Sprintf("the tables' revocation status of key %s is not the log's", t.KID)
		case l.Revocation != nil && !sameRevocation(*l.Revocation, *t.Revocation):
			return fmt.Sprintf("the tables' revocation of key %s is not the one log record %d made", t.KID, l.Revocation.At)
		}
		delete(byKID, t.KID)
	}
	for kid := range byKID {
		return fmt.Sprintf("the tables lack key %s", kid)
	}
	return ""
}

func sameRevocation(a, b registry.Revocation) bool {
	cs := func(p *int64) []int64 {
		if p == nil {
			return nil
		}
		return []int64{*p}
	}
	return a.At == b.At && a.By == b.By && slices.Equal(cs(a.CompromisedSince), cs(b.CompromisedSince))
}
