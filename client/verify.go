package client

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/signet-ledger/signet"
	"github.com/signet-ledger/signet/keys"
	"github.com/signet-ledger/signet/registry"
	"golang.org/x/mod/sumdb/tlog"
)

// ErrVerification means a local check failed: what the server sent does
// not prove what it claims. Every check failure of this file's helpers
// wraps it, so callers tell "the server lied or the log is damaged" apart
// from "the server could not be asked" with [errors.Is].
var ErrVerification = errors.New("signet: local verification failed")

func verifyFailed(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrVerification}, args...)...)
}

// ForkError means two checkpoints signed by one log's key cannot both be
// true: the newer tree does not extend the older (or is smaller, or has
// the same size and another root). The log has shown two histories.
type ForkError struct {
	Old, New *signet.Checkpoint
	Reason   string
}

// Error describes the fork; the caller shows both checkpoints' notes.
func (e *ForkError) Error() string {
	return fmt.Sprintf("signet: fork: checkpoint of size %d is not consistent with the checkpoint of size %d seen before: %s",
		e.New.Size, e.Old.Size, e.Reason)
}

// Unwrap makes a ForkError match [ErrVerification].
func (e *ForkError) Unwrap() error { return ErrVerification }

// LedgerRecord converts r, a record as the server showed it, into a
// [signet.Record] whose hash and signature can be checked locally. The
// API shows an operator's record without its JWS; its signed payload is
// then taken to be the shown payload, base64url encoded, which is how the
// server wrote it.
func LedgerRecord(r *Record) (*signet.Record, error) {
	rec, err := ExportForm(r).Record()
	if err != nil {
		return nil, fmt.Errorf("signet: record %d: %w", r.Index, err)
	}
	return rec, nil
}

// ExportForm returns r, a record as the server showed it, in the form an
// export line has it: with jws always present, an operator's record
// having empty protected and signature and, as its signed payload, the
// shown payload base64url encoded, which is how the server wrote it.
func ExportForm(r *Record) *signet.WireRecord {
	w := &signet.WireRecord{Index: r.Index, Kind: r.Kind, Signer: r.Signer, KID: r.KID,
		IntegratedTime: r.IntegratedTime, Hash: r.Hash, PrevHash: r.PrevHash, Payload: r.Payload}
	if r.JWS != nil {
		w.JWS = &signet.WireJWS{Protected: r.JWS.Protected, Payload: r.JWS.Payload, Signature: r.JWS.Signature}
	} else {
		w.JWS = &signet.WireJWS{Payload: base64.RawURLEncoding.EncodeToString(r.Payload)}
	}
	return w
}

// CheckRecordHash recomputes r's hash from its fields as docs/PROTOCOL.md
// specifies ([signet.RecordHash]) and compares it with r.Hash.
func CheckRecordHash(r *signet.Record) error {
	if got := signet.RecordHash(r); got != r.Hash {
		return verifyFailed("record %d: the hash of its fields is %s, not the stated %s", r.Index, got, r.Hash)
	}
	return nil
}

// VerifyRecordSignature checks that r's JWS is signed by pub, that pub is
// the key r names (its kid is pub's thumbprint), and, except for a
// registration, whose JWS carries the key itself, that the JWS's
// protected kid is r's. An operator's record has no signature: that is an
// error here; callers decide what an operator record means to them.
func VerifyRecordSignature(r *signet.Record, pub keys.PublicKey) error {
	if r.Signature == "" {
		return verifyFailed("record %d was made by the operator and has no signature", r.Index)
	}
	if pub.Thumbprint() != r.KID {
		return verifyFailed("record %d: the key given is not key %s", r.Index, r.KID)
	}
	j, err := r.JWS()
	if err != nil {
		return verifyFailed("record %d: %w", r.Index, err)
	}
	if r.Kind != signet.KindRegistered && j.Header.Kid != r.KID {
		return verifyFailed("record %d: the JWS's protected kid is not the record's kid", r.Index)
	}
	if err := j.Verify(pub); err != nil {
		return verifyFailed("record %d: %w", r.Index, err)
	}
	return nil
}

// VerifyInclusion checks that p proves r, by the hash recomputed from its
// fields, to be leaf r.Index of the tree cp commits to.
func VerifyInclusion(r *signet.Record, p *InclusionProof, cp *signet.Checkpoint) error {
	if p.LogIndex != r.Index || p.TreeSize != cp.Size {
		return verifyFailed("the inclusion proof is for record %d in a tree of %d, not record %d in the checkpoint's %d",
			p.LogIndex, p.TreeSize, r.Index, cp.Size)
	}
	leaf := signet.LeafHash(signet.RecordHash(r))
	if err := tlog.CheckRecord(p.Hashes, cp.Size, cp.Root, r.Index, leaf); err != nil {
		return verifyFailed("record %d is not in the tree of checkpoint size %d: %w", r.Index, cp.Size, err)
	}
	return nil
}

// OpenCheckpoint verifies that note is a checkpoint signed by logKey, the
// log's pinned signed-note verifier key, and parses it. The origin is the
// one the checkpoint states. Failures wrap [ErrVerification].
func OpenCheckpoint(note []byte, logKey string) (*signet.Checkpoint, error) {
	cp, err := signet.OpenCheckpointKey(note, logKey, "")
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrVerification, err)
	}
	return cp, nil
}

// VerifiedCheckpoint fetches the latest checkpoint and opens it with
// logKey ([OpenCheckpoint]).
func (c *Client) VerifiedCheckpoint(ctx context.Context, logKey string) (*signet.Checkpoint, error) {
	note, err := c.Checkpoint(ctx)
	if err != nil {
		return nil, err
	}
	return OpenCheckpoint(note, logKey)
}

// VerifyConsistency checks that newer extends older, two checkpoints of
// one log already opened with its key: same origin, and the server's
// consistency proof from older's tree to newer's checks out against both
// roots. Equal sizes need equal roots and no request. A newer checkpoint
// that is smaller than older, or a proof that fails, is a [*ForkError];
// failing to fetch the proof is an ordinary error.
func (c *Client) VerifyConsistency(ctx context.Context, older, newer *signet.Checkpoint) error {
	fork := func(format string, args ...any) error {
		return &ForkError{Old: older, New: newer, Reason: fmt.Sprintf(format, args...)}
	}
	switch {
	case older.Origin != newer.Origin:
		return verifyFailed("the checkpoints are of two logs, %q and %q", older.Origin, newer.Origin)
	case newer.Size < older.Size:
		return fork("the log shrank from %d to %d records", older.Size, newer.Size)
	case newer.Size == older.Size && newer.Root != older.Root:
		return fork("two different roots for the same size")
	case newer.Size == older.Size:
		return nil
	}
	p, err := c.ConsistencyProof(ctx, older.Size, newer.Size)
	if err != nil {
		return fmt.Errorf("signet: fetching the consistency proof from %d to %d: %w", older.Size, newer.Size, err)
	}
	if p.From != older.Size || p.To != newer.Size {
		return fork("the server's proof is from %d to %d", p.From, p.To)
	}
	if err := tlog.CheckTree(p.Hashes, newer.Size, newer.Root, older.Size, older.Root); err != nil {
		return fork("the consistency proof does not check: %v", err)
	}
	return nil
}

// RecordKey returns the public key that signed r and, unless r is a
// registration (whose JWS carries its key), the key's history as the
// server states it. The key is bound to r by its kid, a thumbprint, so the
// server cannot substitute another; its status is the server's word.
func (c *Client) RecordKey(ctx context.Context, r *signet.Record) (keys.PublicKey, *Key, error) {
	if r.Kind == signet.KindRegistered {
		j, err := r.JWS()
		if err != nil || j.Header.JWK == nil {
			return keys.PublicKey{}, nil, verifyFailed("record %d: the registration carries no key", r.Index)
		}
		return *j.Header.JWK, nil, nil
	}
	s, err := c.Signer(ctx, r.Signer)
	if err != nil {
		return keys.PublicKey{}, nil, err
	}
	for i := range s.Keys {
		k := &s.Keys[i]
		if k.KID != r.KID {
			continue
		}
		b, _ := json.Marshal(k.JWK)
		pub, err := keys.ParseJWK(b)
		if err != nil || pub.Thumbprint() != r.KID {
			return keys.PublicKey{}, nil, verifyFailed("the server's key %s is not the key with that kid", r.KID)
		}
		return pub, k, nil
	}
	return keys.PublicKey{}, nil, verifyFailed("the server lists no key %s for signer %q", r.KID, r.Signer)
}

// ActiveAt reports whether k, as the server states its history, could
// sign the record at index i: added at or before i, not revoked before i.
func (k *Key) ActiveAt(i int64) bool {
	return registry.ActiveAt(k.LogIndex, k.RevokedAtIndex, i)
}
