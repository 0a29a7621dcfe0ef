package registry

import (
	"fmt"
	"sort"
	"time"

	"github.com/signet-ledger/signet/keys"
)

// State is an in-memory registry that enforces the rules. It serves three
// callers: the sequencer, which loads the part of the registry a batch
// touches and applies the batch to it in order; the offline auditor, which
// replays a whole log; and tests, which rebuild the registry from the log
// and compare it with a store.
//
// A method that returns an error leaves the State unchanged. State is not
// safe for concurrent use.
type State struct {
	signers map[string]*Signer
	keys    map[string]*Key
}

// NewState returns an empty registry.
func NewState() *State {
	return &State{signers: map[string]*Signer{}, keys: map[string]*Key{}}
}

// Load adds signers (with their keys) read from a store, replacing any
// signer of the same id.
func (s *State) Load(signers ...Signer) {
	for _, sg := range signers {
		c := &Signer{ID: sg.ID, RegisteredAt: sg.RegisteredAt, RegisteredTime: sg.RegisteredTime}
		s.signers[sg.ID] = c
		for _, k := range sg.Keys {
			k := k
			c.Keys = append(c.Keys, k)
			s.keys[k.KID] = &k
		}
	}
}

// Key returns the key named kid.
func (s *State) Key(kid string) (Key, bool) {
	k, ok := s.keys[kid]
	if !ok {
		return Key{}, false
	}
	return *k, true
}

// Signer returns the signer named id with its keys.
func (s *State) Signer(id string) (Signer, bool) {
	sg, ok := s.signers[id]
	if !ok {
		return Signer{}, false
	}
	out := *sg
	out.Keys = make([]Key, len(sg.Keys))
	for i, k := range sg.Keys {
		out.Keys[i] = *s.keys[k.KID]
	}
	return out, true
}

// Signers returns every signer, sorted by id.
func (s *State) Signers() []Signer {
	ids := make([]string, 0, len(s.signers))
	for id := range s.signers {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	out := make([]Signer, len(ids))
	for i, id := range ids {
		out[i], _ = s.Signer(id)
	}
	return out
}

// Signing returns the key kid if it may sign the record at index at: it
// exists and is active. The error wraps [ErrUnknownKey] or [ErrRevokedKey].
func (s *State) Signing(kid string, at int64) (Key, error) {
	k, ok := s.keys[kid]
	if !ok {
		return Key{}, fmt.Errorf("%w: no key has kid %q", ErrUnknownKey, kid)
	}
	if k.Revocation != nil && k.Revocation.At < at {
		return Key{}, fmt.Errorf("%w: key %s was revoked at log index %d", ErrRevokedKey, kid, k.Revocation.At)
	}
	return *k, nil
}

// signing is [State.Signing] plus the check that the key belongs to signer.
func (s *State) signing(signer, kid string, at int64) (Key, error) {
	k, err := s.Signing(kid, at)
	if err != nil {
		return Key{}, err
	}
	if k.Signer != signer {
		return Key{}, fmt.Errorf("%w: key %s is not a key of signer %q", ErrWrongSigner, kid, signer)
	}
	return k, nil
}

// Register adds signer id with its first key pub, at log index at.
func (s *State) Register(id string, pub keys.PublicKey, at int64, t time.Time) (Key, error) {
	if err := CheckSignerID(id); err != nil {
		return Key{}, err
	}
	if _, ok := s.signers[id]; ok {
		return Key{}, fmt.Errorf("%w: %q", ErrSignerExists, id)
	}
	kid := pub.Thumbprint()
	if _, ok := s.keys[kid]; ok {
		return Key{}, fmt.Errorf("%w: %s", ErrKeyExists, kid)
	}
	s.signers[id] = &Signer{ID: id, RegisteredAt: at, RegisteredTime: t}
	return s.add(id, pub, at, t), nil
}

// AddKey adds pub to signer, authorised by the signer's active key byKID.
func (s *State) AddKey(signer, byKID string, pub keys.PublicKey, at int64, t time.Time) (Key, error) {
	if _, ok := s.signers[signer]; !ok {
		return Key{}, fmt.Errorf("%w: %q", ErrUnknownSigner, signer)
	}
	if _, err := s.signing(signer, byKID, at); err != nil {
		return Key{}, err
	}
	kid := pub.Thumbprint()
	if _, ok := s.keys[kid]; ok {
		return Key{}, fmt.Errorf("%w: %s", ErrKeyExists, kid)
	}
	return s.add(signer, pub, at, t), nil
}

func (s *State) add(signer string, pub keys.PublicKey, at int64, t time.Time) Key {
	k := &Key{KID: pub.Thumbprint(), Signer: signer, PublicKey: pub, AddedAt: at, AddedTime: t}
	s.keys[k.KID] = k
	sg := s.signers[signer]
	sg.Keys = append(sg.Keys, *k)
	return *k
}

// Revoke revokes signer's key kid at log index at. r.By is the kid of the
// signer's active key that signed the revocation, or [Operator]. Only the
// operator may revoke a signer's last active key.
func (s *State) Revoke(signer, kid string, r Revocation) (Key, error) {
	if _, ok := s.signers[signer]; !ok {
		return Key{}, fmt.Errorf("%w: %q", ErrUnknownSigner, signer)
	}
	k, ok := s.keys[kid]
	switch {
	case !ok:
		return Key{}, fmt.Errorf("%w: no key has kid %q", ErrUnknownKey, kid)
	case k.Signer != signer:
		return Key{}, fmt.Errorf("%w: key %s is not a key of signer %q", ErrWrongSigner, kid, signer)
	case k.Revocation != nil:
		return Key{}, fmt.Errorf("%w: key %s was revoked at log index %d", ErrAlreadyRevoked, kid, k.Revocation.At)
	}
	if cs := r.CompromisedSince; cs != nil && (*cs < 0 || *cs > r.At) {
		return Key{}, fmt.Errorf("%w: compromised_since %d is not between 0 and %d", ErrInvalidRevocation, *cs, r.At)
	}
	if r.By != Operator {
		by, err := s.signing(signer, r.By, r.At)
		if err != nil {
			return Key{}, err
		}
		if cs := r.CompromisedSince; cs != nil && r.By != kid && *cs < by.AddedAt {
			return Key{}, fmt.Errorf("%w: key %s was added at log index %d and may not declare key %s compromised from %d, before it existed",
				ErrInvalidRevocation, r.By, by.AddedAt, kid, *cs)
		}
		if s.activeKeys(signer) < 2 {
			return Key{}, fmt.Errorf("%w: %q has no other active key", ErrLastKey, signer)
		}
	}
	rev := r
	k.Revocation = &rev
	return *k, nil
}

func (s *State) activeKeys(signer string) int {
	n := 0
	for _, k := range s.signers[signer].Keys {
		if s.keys[k.KID].Revocation == nil {
			n++
		}
	}
	return n
}
