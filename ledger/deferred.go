package ledger

import (
	"fmt"

	"github.com/signet-ledger/signet/keys"
	"github.com/signet-ledger/signet/registry"
)

// ReplayDeferred is [Replay] with a journal entry's signature check split
// off, so that an auditor can verify signatures in parallel while applying
// the registry in log order.
//
// For a record of kind entry it applies the registry's rules at once (kid
// names a key that is active at the record's index and belongs to the
// record's signer) and returns the rest as check: parse the JWS (as
// [Record.JWS] does, from its compact form), match its
// protected kid with the record's and verify the signature with that key.
// check does not touch st, so it may run later, on any goroutine, in any
// order. For every other kind ReplayDeferred is Replay and check is nil.
//
// Replaying a log with ReplayDeferred and running every check accepts and
// rejects exactly the records Replay does: entries never change the
// registry, and key records are still replayed, signature and all, in
// order.
func ReplayDeferred(st *registry.State, rec *Record) (check func() error, err error) {
	if rec.Kind != KindEntry {
		return nil, Replay(st, rec)
	}
	if err := (entryOp{}).apply(st, rec, nil); err != nil {
		return nil, fmt.Errorf("ledger: record %d: %w", rec.Index, err)
	}
	k, _ := st.Signing(rec.KID, rec.Index) // apply just found it
	pub := k.PublicKey
	return func() error {
		j, err := compactJWS(rec)
		if err != nil {
			return fmt.Errorf("ledger: record %d: %w", rec.Index, err)
		}
		if j.Header.Kid != rec.KID {
			return fmt.Errorf("ledger: record %d: protected kid is not the record's kid", rec.Index)
		}
		if err := j.Verify(pub); err != nil {
			return fmt.Errorf("ledger: record %d: %w", rec.Index, err)
		}
		return nil
	}, nil
}

// compactJWS parses rec's JWS as [Record.JWS] does, under the same rules
// for each part, but from the compact serialization, which costs half as
// much as building and parsing the flattened JSON. The parts must come
// back exactly as stored (ParseCompact trims surrounding spaces).
func compactJWS(rec *Record) (*keys.JWS, error) {
	j, err := keys.ParseCompact([]byte(rec.Protected + "." + rec.Payload + "." + rec.Signature))
	if err != nil {
		return nil, err
	}
	if j.Protected != rec.Protected || j.Payload != rec.Payload || j.Signature != rec.Signature {
		return nil, fmt.Errorf("%w: the JWS parts are not canonical", keys.ErrMalformed)
	}
	return j, nil
}
