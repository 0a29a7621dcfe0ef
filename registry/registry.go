// Package registry holds Signet's signers and their Ed25519 keys, and the
// rules by which they change.
//
// The registry is a function of the log: every change to it (a signer
// registered, a key added, a key revoked) is a record in the log, and
// replaying those records in index order with [State.Apply] rebuilds every
// signer and key exactly. Stores keep a materialized copy for fast lookup;
// the log stays the source of truth.
//
// # Rules
//
//   - A signer id is 1 to 128 characters of a-z, 0-9, '.', '_', '@', '-'.
//   - A key (named by its RFC 7638 thumbprint, its kid) belongs to at most
//     one signer, forever: a kid is never registered twice, even after it is
//     revoked.
//   - Only an active key signs. A key is active from the record that added
//     it until the record that revoked it.
//   - A signer acts only on its own keys, and keeps at least one active key
//     unless the operator revokes it.
//   - A revocation may say from which log index the key's records are
//     suspect (compromised_since), at most the revocation's own index. The
//     key itself (self-revocation) and the operator may set it as far back
//     as 0; another key of the signer no earlier than the index at which
//     that other key was added, so a stolen newer key cannot disown the
//     history signed before it existed.
package registry

import (
	"fmt"
	"time"

	"github.com/signet-ledger/signet/keys"
)

// Status is a key's state at some point in the log.
type Status string

const (
	StatusActive  Status = "active"
	StatusRevoked Status = "revoked"
)

// Operator is the actor named in a revocation made by the operator with the
// admin token rather than by one of the signer's keys.
const Operator = "operator"

// Signer is a registered party that signs records.
type Signer struct {
	ID             string
	RegisteredAt   int64     // log index of its signer.registered record
	RegisteredTime time.Time // integrated time of that record
	Keys           []Key     // in the order they were added
}

// Key is one Ed25519 key of a signer, with its history in the log.
type Key struct {
	KID       string
	Signer    string
	PublicKey keys.PublicKey
	AddedAt   int64     // log index of the record that added it
	AddedTime time.Time // integrated time of that record
	// Revocation is nil while the key is active.
	Revocation *Revocation
}

// Revocation records how and when a key stopped being valid.
type Revocation struct {
	At     int64     // log index of the signer.key_revoked record
	Time   time.Time // integrated time of that record
	By     string    // kid of the revoking key, or [Operator]
	Reason string
	// CompromisedSince, if set, is the first log index from which records
	// signed by the key are suspect.
	CompromisedSince *int64
}

// ActiveKeys counts s's keys that are active at the head of the log; a
// signer without one can sign nothing more.
func (s Signer) ActiveKeys() int {
	n := 0
	for _, k := range s.Keys {
		if k.Status() == StatusActive {
			n++
		}
	}
	return n
}

// Status reports whether k is active or revoked at the head of the log.
func (k Key) Status() Status {
	if k.Revocation != nil {
		return StatusRevoked
	}
	return StatusActive
}

// ActiveAt reports whether k could sign the record at log index i: added at
// or before i and not revoked before i. The revocation record itself may be
// signed by the key it revokes, as [State.Signing] allows.
func (k Key) ActiveAt(i int64) bool {
	var revokedAt *int64
	if k.Revocation != nil {
		revokedAt = &k.Revocation.At
	}
	return ActiveAt(k.AddedAt, revokedAt, i)
}

// ActiveAt reports whether a key added at log index addedAt and revoked
// at revokedAt (nil if never) could sign the record at index i: added at
// or before i and not revoked before i. The revocation record itself
// (i == *revokedAt) may be signed by the key it revokes.
func ActiveAt(addedAt int64, revokedAt *int64, i int64) bool {
	return addedAt <= i && (revokedAt == nil || i <= *revokedAt)
}

// Suspect reports whether a record at index i signed by k falls at or after
// the index from which the key was declared compromised.
func (k Key) Suspect(i int64) bool {
	r := k.Revocation
	return r != nil && r.CompromisedSince != nil && i >= *r.CompromisedSince
}

// CheckSignerID returns an error wrapping [ErrInvalidSignerID] unless id is a
// valid signer id.
func CheckSignerID(id string) error {
	if len(id) < 1 || len(id) > 128 {
		return fmt.Errorf("%w: must be 1 to 128 characters, got %d", ErrInvalidSignerID, len(id))
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		ok := c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '@' || c == '-'
		if !ok {
			return fmt.Errorf("%w: character %d is not one of a-z 0-9 . _ @ -", ErrInvalidSignerID, i+1)
		}
	}
	return nil
}
