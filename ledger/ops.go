package ledger

import (
	"fmt"

	"github.com/signet-ledger/signet/keys"
	"github.com/signet-ledger/signet/registry"
)

// entryOp appends a journal entry: its key must be active.
type entryOp struct{}

func (entryOp) apply(st *registry.State, rec *Record, _ *Batch) error {
	k, err := st.Signing(rec.KID, rec.Index)
	if err != nil {
		return err
	}
	if k.Signer != rec.Signer {
		return fmt.Errorf("%w: key %s is not a key of signer %q", registry.ErrWrongSigner, rec.KID, rec.Signer)
	}
	return nil
}

// registerOp registers a new signer with its first key.
type registerOp struct{ pub keys.PublicKey }

func (o registerOp) newKID() string { return o.pub.Thumbprint() }

func (o registerOp) apply(st *registry.State, rec *Record, b *Batch) error {
	k, err := st.Register(rec.Signer, o.pub, rec.Index, rec.IntegratedTime)
	if err != nil {
		return err
	}
	sg := registry.Signer{ID: rec.Signer, RegisteredAt: rec.Index, RegisteredTime: rec.IntegratedTime}
	b.NewSigners = append(b.NewSigners, sg)
	b.NewKeys = append(b.NewKeys, k)
	return nil
}

// addKeyOp adds a key to a signer, authorised by the record's key.
type addKeyOp struct{ pub keys.PublicKey }

func (o addKeyOp) newKID() string { return o.pub.Thumbprint() }

func (o addKeyOp) apply(st *registry.State, rec *Record, b *Batch) error {
	k, err := st.AddKey(rec.Signer, rec.KID, o.pub, rec.Index, rec.IntegratedTime)
	if err != nil {
		return err
	}
	b.NewKeys = append(b.NewKeys, k)
	return nil
}

// revokeOp revokes a key of the record's signer, by the record's key or,
// when the record has no key, by the operator.
type revokeOp struct {
	kid              string
	reason           string
	compromisedSince *int64
}

func (o revokeOp) newKID() string { return o.kid }

func (o revokeOp) apply(st *registry.State, rec *Record, b *Batch) error {
	by := rec.KID
	if by == "" {
		by = registry.Operator
	}
	k, err := st.Revoke(rec.Signer, o.kid, registry.Revocation{
		At: rec.Index, Time: rec.IntegratedTime, By: by, Reason: o.reason, CompromisedSince: o.compromisedSince,
	})
	if err != nil {
		return err
	}
	b.Revoked = append(b.Revoked, k)
	return nil
}
