package ledger

import (
	"context"

	"github.com/signet-ledger/signet/registry"
	"golang.org/x/mod/sumdb/tlog"
)

// observedStore is a Store that tells its Observer of every failure
// ([observe]). Methods a Store gains later pass through unobserved until
// they are added here.
type observedStore struct {
	Store
	o Observer
}

func (s observedStore) Sequence(ctx context.Context, f func(ctx context.Context, tx Tx) error) error {
	err := s.Store.Sequence(ctx, f)
	observe(s.o, "Sequence", err)
	return err
}

func (s observedStore) Head(ctx context.Context) (Head, error) {
	h, err := s.Store.Head(ctx)
	observe(s.o, "Head", err)
	return h, err
}

func (s observedStore) Record(ctx context.Context, i int64) (*Record, error) {
	r, err := s.Store.Record(ctx, i)
	observe(s.o, "Record", err)
	return r, err
}

func (s observedStore) Records(ctx context.Context, q Query) ([]*Record, error) {
	rs, err := s.Store.Records(ctx, q)
	observe(s.o, "Records", err)
	return rs, err
}

func (s observedStore) RecordByNonce(ctx context.Context, nonce string) (*Record, error) {
	r, err := s.Store.RecordByNonce(ctx, nonce)
	observe(s.o, "RecordByNonce", err)
	return r, err
}

func (s observedStore) ReadHashes(ctx context.Context, indexes []int64) ([]tlog.Hash, error) {
	hs, err := s.Store.ReadHashes(ctx, indexes)
	observe(s.o, "ReadHashes", err)
	return hs, err
}

func (s observedStore) Signer(ctx context.Context, id string) (registry.Signer, error) {
	sg, err := s.Store.Signer(ctx, id)
	observe(s.o, "Signer", err)
	return sg, err
}

func (s observedStore) Key(ctx context.Context, kid string) (registry.Key, error) {
	k, err := s.Store.Key(ctx, kid)
	observe(s.o, "Key", err)
	return k, err
}

func (s observedStore) Ping(ctx context.Context) error {
	err := s.Store.Ping(ctx)
	observe(s.o, "Ping", err)
	return err
}

func (s observedStore) AddCosignatures(ctx context.Context, c Cosigned) error {
	err := s.Store.AddCosignatures(ctx, c)
	observe(s.o, "AddCosignatures", err)
	return err
}

func (s observedStore) Cosigned(ctx context.Context, maxSize int64, limit int) ([]Cosigned, error) {
	cs, err := s.Store.Cosigned(ctx, maxSize, limit)
	observe(s.o, "Cosigned", err)
	return cs, err
}

func (s observedStore) WitnessSize(ctx context.Context, witness string) (int64, error) {
	n, err := s.Store.WitnessSize(ctx, witness)
	observe(s.o, "WitnessSize", err)
	return n, err
}
