package ledger

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	"github.com/signet-ledger/signet"
	"golang.org/x/mod/sumdb/note"
)

// Errors of [Log.WitnessedCheckpoint], both wrapping [ErrNotFound].
var (
	ErrNoWitnessPolicy = fmt.Errorf("%w: this log has no witness policy, so no checkpoint can be witnessed", ErrNotFound)
	ErrNotWitnessed    = fmt.Errorf("%w: no checkpoint meets the witness policy's quorum yet", ErrNotFound)
)

// witnessedScan is how many of the newest cosigned checkpoints
// [Log.WitnessedCheckpoint] considers.
const witnessedScan = 32

// Checkpoint returns the checkpoint to publish: the latest signed
// checkpoint with every cosignature stored for it, the log's signature
// line first, then the witnesses' cosignature lines (ordered by witness
// key). Without cosignatures it is the log's signed note alone. An empty
// log has none: the error wraps ErrNotFound.
func (l *Log) Checkpoint(ctx context.Context) ([]byte, error) {
	h, err := l.store.Head(ctx)
	if err != nil {
		return nil, err
	}
	if h.Size == 0 {
		return nil, fmt.Errorf("%w: the log is empty and has no checkpoint yet", ErrNotFound)
	}
	return l.cosigned(ctx, h)
}

// cosigned returns h's checkpoint with the cosignatures stored for it.
func (l *Log) cosigned(ctx context.Context, h Head) ([]byte, error) {
	cs, err := l.store.Cosigned(ctx, h.Size, 1)
	if err != nil {
		return nil, err
	}
	if len(cs) == 0 || cs[0].Size != h.Size || !bytes.Equal(cs[0].Checkpoint, h.Checkpoint) {
		return h.Checkpoint, nil
	}
	return withCosignatures(cs[0])
}

// withCosignatures returns c's note with its cosignature lines appended.
func withCosignatures(c Cosigned) ([]byte, error) {
	msg := c.Checkpoint
	for _, s := range c.Cosignatures {
		var err error
		if msg, err = signet.AddSignatureLines(msg, s.Line); err != nil {
			return nil, fmt.Errorf("%w: the cosignatures stored for size %d: %w", ErrCorrupt, c.Size, err)
		}
	}
	return msg, nil
}

// WitnessedCheckpoint returns the newest checkpoint whose stored
// cosignatures meet the quorum of the witness policy ([Config.Witnesses],
// checked with [signet.Policy.Check]), with those cosignatures, among the
// 32 newest cosigned checkpoints. It fails with [ErrNoWitnessPolicy]
// without a policy, and with [ErrNotWitnessed] if none meets it; both wrap
// ErrNotFound. With the quorum "none" it is [Log.Checkpoint].
func (l *Log) WitnessedCheckpoint(ctx context.Context) ([]byte, error) {
	p := l.cfg.Witnesses
	if p == nil {
		return nil, ErrNoWitnessPolicy
	}
	if p.Quorum == "none" {
		return l.Checkpoint(ctx)
	}
	h, err := l.store.Head(ctx)
	if err != nil {
		return nil, err
	}
	cs, err := l.store.Cosigned(ctx, h.Size, witnessedScan)
	if err != nil {
		return nil, err
	}
	for _, c := range cs {
		msg, err := withCosignatures(c)
		if err != nil {
			return nil, err
		}
		if _, err := OpenCheckpoint(c.Checkpoint, l.cfg.Origin, l.cfg.Verifier); err != nil {
			l.cfg.Logger.Error("a stored cosigned checkpoint does not verify with the log's key", "size", c.Size, "err", err)
			continue
		}
		if p.Check(msg) == nil {
			return msg, nil
		}
	}
	return nil, ErrNotWitnessed
}

// Witnesses returns the status of each witness of the policy, in policy
// order, or nil without a policy.
func (l *Log) Witnesses() []WitnessStatus {
	if l.wit == nil {
		return nil
	}
	return l.wit.statuses()
}

// WitnessPolicyError is a witness policy that cannot be this log's.
type WitnessPolicyError struct{ Reason string }

func (e *WitnessPolicyError) Error() string { return "ledger: witness policy: " + e.Reason }

// checkWitnessPolicy checks that every witness of cfg's policy has a URL
// and that, if the policy lists logs, one is this log: its origin and its
// key.
func checkWitnessPolicy(cfg Config) error {
	p := cfg.Witnesses
	if p == nil {
		return nil
	}
	for _, w := range p.Witnesses {
		if w.URL == "" {
			return &WitnessPolicyError{fmt.Sprintf("the line \"witness %s %s\" has no URL: the log needs each witness's submission prefix "+
				"to send it checkpoints", w.Name, w.VKey)}
		}
		if !strings.HasPrefix(w.URL, "http://") && !strings.HasPrefix(w.URL, "https://") {
			return &WitnessPolicyError{fmt.Sprintf("witness %s: URL %q is not an http:// or https:// URL", w.Name, w.URL)}
		}
	}
	if len(p.Logs) == 0 {
		return nil
	}
	probe, err := note.Sign(&note.Note{Text: "signet: witness policy key check\n"}, cfg.Signer)
	if err != nil {
		return err
	}
	var named []string
	for _, pl := range p.Logs {
		if pl.Origin != cfg.Origin {
			named = append(named, pl.VKey)
			continue
		}
		if _, err := note.Open(probe, note.VerifierList(pl.Verifier)); err == nil {
			return nil
		}
		named = append(named, pl.VKey)
	}
	return &WitnessPolicyError{fmt.Sprintf("its log lines name %s, but not this log (origin %q, key %s+%08x)",
		strings.Join(named, ", "), cfg.Origin, cfg.Verifier.Name(), cfg.Verifier.KeyHash())}
}
