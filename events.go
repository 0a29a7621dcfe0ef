package signet

import (
	"time"

	"github.com/signet-ledger/signet/keys"
	"github.com/signet-ledger/signet/registry"
)

// MaxKeyEventPayload bounds the payload of a registration, key change or
// revocation, whatever a server's limit on entries is: the rules of key
// events do not depend on any server's configuration.
const MaxKeyEventPayload = 64 << 10

// MaxPayloadDepth bounds the nesting of every payload: a top-level object
// is depth 1.
const MaxPayloadDepth = 64

// Event is what a record means, as the stateless rules (R8 to R16) read it
// from its JWS, or from its payload for an operator's revocation. It is
// the same whether read from a request at admission ([Decode]) or from a
// stored record ([DecodeRecord]).
type Event struct {
	Kind Kind
	// Signer is the signer the record acts for: named by a registration's
	// payload, by the url of a key change or revocation, and for an entry
	// by its signing key (empty from [Decode] until [Event.Bind]).
	Signer string
	// KID is the kid of the signing key: the thumbprint of a
	// registration's jwk, the protected kid otherwise, empty for the
	// operator.
	KID string
	// JWS is the record's JWS; nil for an operator's revocation.
	JWS   *keys.JWS
	Nonce string
	// NewKey is the key a registration or key change adds.
	NewKey *keys.PublicKey
	// Revoke is what a revocation revokes.
	Revoke *Revocation
}

// Revocation is what a signer.key_revoked record says.
type Revocation struct {
	KID              string // the key revoked
	Reason           string
	CompromisedSince *int64
}

// Operator reports whether e is a revocation made by the operator, with
// no JWS.
func (e *Event) Operator() bool { return e.JWS == nil }

// Bind sets the signer of an entry decoded from a request: the signer of
// its key. Stored records carry their signer, which [DecodeRecord] binds.
func (e *Event) Bind(signer string) { e.Signer = signer }

// Change is what one record does to the registry: at most one field is
// set, and none for an entry.
type Change struct {
	NewSigner *registry.Signer // without keys: its first key is NewKey
	NewKey    *registry.Key
	Revoked   *registry.Key // the key, with its Revocation now set
}

// Check decides whether rec may follow the records that made st: it runs
// every rule from R2 and R8 to R21 in order and, if rec keeps them all,
// applies its change to st and returns it. Otherwise it returns the first
// broken rule as a [*RuleError] and leaves st unchanged. Check does not
// check rec's hash, chain link or nonce uniqueness (R5, R6, R22), which
// need its neighbours.
//
// Check is the one definition of a record's validity: the server admits a
// request only if the record it would write passes it (split into
// [Decode], [Event.SigningKey], [Event.Verify] and [Event.Apply] around
// sequencing), and import, replay, verify and audit call it or those.
func Check(st *registry.State, rec *Record) (Change, error) {
	return check(st, rec, nil)
}

// check is Check, also calling nonce, if not nil, with the record's nonce
// before the registry is changed: an error from it is returned as is.
func check(st *registry.State, rec *Record, nonce func(string) error) (Change, error) {
	e, err := DecodeRecord(rec)
	if err != nil {
		return Change{}, err
	}
	if !e.Operator() {
		pub, err := e.SigningKey(st, rec.Index)
		if err != nil {
			return Change{}, err
		}
		if err := e.Verify(pub); err != nil {
			return Change{}, err
		}
	}
	if nonce != nil && e.Nonce != "" {
		if err := nonce(e.Nonce); err != nil {
			return Change{}, err
		}
	}
	return e.Apply(st, rec.Index, rec.IntegratedTime)
}

// CheckDeferred is [Check] with an entry's stateless rules and signature
// split off as d, so that an auditor can verify entries in parallel while
// applying key records in log order. For an entry it checks R17 at once,
// from the record's kid and signer, and returns the rest as d, whose
// [Deferred.Check] (or [CheckDeferredBatch]) does not touch st and may run
// later, on any goroutine, in any order. For every other kind
// CheckDeferred is Check and d is nil.
//
// Running CheckDeferred over a log and checking every d accepts and
// refuses exactly the records Check does: entries never change the
// registry.
func CheckDeferred(st *registry.State, rec *Record) (d *Deferred, ch Change, err error) {
	if rec.Kind != KindEntry || rec.Signature == "" {
		ch, err := Check(st, rec)
		return nil, ch, err
	}
	e := &Event{Kind: KindEntry, Signer: rec.Signer, KID: rec.KID}
	pub, err := e.SigningKey(st, rec.Index)
	if err != nil {
		// Report the first rule the record breaks, as Check would.
		if _, derr := DecodeRecord(rec); derr != nil {
			return nil, Change{}, derr
		}
		return nil, Change{}, err
	}
	return &Deferred{rec: rec, pub: pub}, Change{}, nil
}

// Deferred is the part of an entry's rules that [CheckDeferred] left to
// run later: decoding it (R2, R8 to R16) and its signature under the key
// R17 found (R18).
type Deferred struct {
	rec *Record
	pub keys.PublicKey
}

// Index returns the log index of d's record.
func (d *Deferred) Index() int64 { return d.rec.Index }

// Check runs d's rules and returns the record's nonce, or the first rule
// the record breaks, as Check would report it.
func (d *Deferred) Check() (nonce string, err error) {
	e, err := DecodeRecord(d.rec)
	if err != nil {
		return "", err
	}
	return e.Nonce, e.Verify(d.pub)
}

// deferredGroup is how many signatures [CheckDeferredBatch] checks with one
// [keys.VerifyBatch] call.
const deferredGroup = keys.BatchGroup

// CheckDeferredBatch is [Deferred.Check] of each of ds, with the same
// answers, in nonces and errs: the signatures of the records that decode
// are checked together with [keys.VerifyBatch], whose verdicts are those
// of checking them one by one, and a record it refuses is checked alone
// with Check, whose error is the one reported. Once a group held a bad
// signature the rest are checked one by one, so that a log of bad
// signatures costs at most one failed group more than checking them
// alone. cache holds the keys prepared for VerifyBatch; it may be shared.
func CheckDeferredBatch(ds []*Deferred, cache *keys.BatchKeyCache) (nonces []string, errs []error) {
	nonces, errs = make([]string, len(ds)), make([]error, len(ds))
	events := make([]*Event, len(ds))
	entries := make([]keys.BatchEntry, 0, deferredGroup)
	idx := make([]int, 0, deferredGroup)
	bad := false
	alone := func(i int) {
		if events[i] != nil {
			nonces[i], errs[i] = events[i].Nonce, events[i].Verify(ds[i].pub)
		}
	}
	for lo := 0; lo < len(ds); lo += deferredGroup {
		hi := min(lo+deferredGroup, len(ds))
		entries, idx = entries[:0], idx[:0]
		for i := lo; i < hi; i++ {
			e, err := DecodeRecord(ds[i].rec)
			if err != nil {
				errs[i] = err
				continue
			}
			events[i] = e
			if bad {
				alone(i)
				continue
			}
			entries = append(entries, e.JWS.BatchEntry(cache.Get(e.KID, ds[i].pub)))
			idx = append(idx, i)
		}
		if len(entries) == 0 {
			continue
		}
		for j, ok := range keys.VerifyBatch(entries) {
			i := idx[j]
			if ok {
				nonces[i] = events[i].Nonce
				continue
			}
			bad = true
			alone(i)
		}
	}
	return nonces, errs
}

// SigningKey applies R17: it returns the key that must have signed e at
// log index i, given the registry st of the records before i (or any
// later state: a key's history says whether it was active at i). A
// registration is signed by the key it registers. The error wraps
// [registry.ErrUnknownKey], [registry.ErrWrongSigner] or
// [registry.ErrRevokedKey].
func (e *Event) SigningKey(st *registry.State, i int64) (keys.PublicKey, error) {
	if e.Kind == KindRegistered {
		return *e.NewKey, nil
	}
	k, ok := st.Key(e.KID)
	switch {
	case !ok || k.AddedAt > i:
		return keys.PublicKey{}, broke(RuleKeyState, registry.ErrUnknownKey, "no key with kid %q was registered before index %d", trunc(e.KID), i)
	case k.Signer != e.Signer:
		return keys.PublicKey{}, broke(RuleKeyState, registry.ErrWrongSigner, "key %s is a key of signer %q, not %q", e.KID, k.Signer, e.Signer)
	case !k.ActiveAt(i):
		return keys.PublicKey{}, broke(RuleKeyState, registry.ErrRevokedKey, "key %s was revoked at log index %d", e.KID, k.Revocation.At)
	}
	return k.PublicKey, nil
}

// Verify applies R18: e's JWS signature verifies under pub.
func (e *Event) Verify(pub keys.PublicKey) error {
	if err := e.JWS.Verify(pub); err != nil {
		return wrapRule(RuleSignature, err)
	}
	return nil
}

// Apply applies R19 to R21, the registry's rules for key records, to e as
// the record at index i integrated at t, and on success changes st and
// returns the change. An entry changes nothing. The signing key was
// checked with [Event.SigningKey].
func (e *Event) Apply(st *registry.State, i int64, t time.Time) (Change, error) {
	switch e.Kind {
	case KindRegistered:
		k, err := st.Register(e.Signer, *e.NewKey, i, t)
		if err != nil {
			return Change{}, wrapRule(RuleNewSigner, err)
		}
		return Change{NewSigner: &registry.Signer{ID: e.Signer, RegisteredAt: i, RegisteredTime: t}, NewKey: &k}, nil
	case KindKeyAdded:
		k, err := st.AddKey(e.Signer, e.KID, *e.NewKey, i, t)
		if err != nil {
			return Change{}, wrapRule(RuleNewKey, err)
		}
		return Change{NewKey: &k}, nil
	case KindKeyRevoked:
		by := e.KID
		if e.Operator() {
			by = registry.Operator
		}
		r := e.Revoke
		k, err := st.Revoke(e.Signer, r.KID, registry.Revocation{
			At: i, Time: t, By: by, Reason: r.Reason, CompromisedSince: r.CompromisedSince,
		})
		if err != nil {
			return Change{}, wrapRule(RuleRevokeTarget, err)
		}
		return Change{Revoked: &k}, nil
	}
	return Change{}, nil
}
