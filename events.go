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
// split off as verify, so that an auditor can verify entries in parallel
// while applying key records in log order. For an entry it checks R17 at
// once, from the record's kid and signer, and returns the rest as verify,
// which does not touch st and may run later, on any goroutine, in any
// order; it also returns the entry's nonce once verify has parsed it.
// For every other kind CheckDeferred is Check and verify is nil.
//
// Running CheckDeferred over a log and every verify accepts and refuses
// exactly the records Check does: entries never change the registry.
func CheckDeferred(st *registry.State, rec *Record) (verify func() (nonce string, err error), ch Change, err error) {
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
	return func() (string, error) {
		e, err := DecodeRecord(rec)
		if err != nil {
			return "", err
		}
		return e.Nonce, e.Verify(pub)
	}, Change{}, nil
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
