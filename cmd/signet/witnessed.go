package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/signet-ledger/signet"
	"github.com/signet-ledger/signet/client"
)

// waitWitnessed polls /v1/checkpoint?witnessed=1 until the server serves a
// checkpoint covering rec that meets its witness quorum, within
// s.witnessed. It checks that checkpoint as every checkpoint is checked
// ([env.trust]: the pinned log key, consistent with the last one seen,
// the append's included) and rec's inclusion in it, and returns the
// cosigned note. The quorum is the server's word: the cosignatures are
// not checked here against a policy of the client's own.
func (s *submitter) waitWitnessed(ctx context.Context, rec *signet.Record) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, s.witnessed)
	defer cancel()
	var last error
	for {
		msg, err := s.c.WitnessedCheckpoint(ctx)
		switch {
		case err == nil:
			cp, perr := signet.ParseCheckpointUnverified(msg)
			if perr != nil {
				return nil, verifyFailed("the witnessed checkpoint: %v", perr)
			}
			if cp.Size > rec.Index {
				return msg, s.checkWitnessed(ctx, rec, msg)
			}
			last = fmt.Errorf("the newest witnessed checkpoint has %d records, not yet record %d", cp.Size, rec.Index)
		case client.IsProblem(err, "notFound"):
			last = err
		default:
			return nil, err
		}
		if err := sleep(ctx, 500*time.Millisecond); err != nil {
			if errors.Is(err, context.DeadlineExceeded) {
				return nil, fmt.Errorf("no witnessed checkpoint covers it after %v: %w", s.witnessed, last)
			}
			return nil, err
		}
	}
}

// checkWitnessed trusts the witnessed checkpoint msg and proves rec in it.
func (s *submitter) checkWitnessed(ctx context.Context, rec *signet.Record, msg []byte) error {
	t, err := s.e.trust(ctx, s.c, msg, "", true)
	if err != nil {
		return err
	}
	p, err := s.c.InclusionProof(ctx, rec.Index, t.CP.Size)
	if err != nil {
		return fmt.Errorf("fetching the inclusion proof of record %d in tree %d: %w", rec.Index, t.CP.Size, err)
	}
	return client.VerifyInclusion(rec, p, t.CP)
}
