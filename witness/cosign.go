package witness

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/signet-ledger/signet"
	"github.com/transparency-dev/formats/log"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// presented is a checkpoint an add-checkpoint presents, its signature
// verified.
type presented struct {
	size int64
	root tlog.Hash
	note *note.Note // Sigs: the log's verified signatures
	msg  []byte
}

// AddCheckpoint handles one add-checkpoint body as the package
// documentation describes, and returns the cosignature lines to answer
// with. Its errors are those [StatusOf] maps.
func (w *Witness) AddCheckpoint(ctx context.Context, body []byte) ([]byte, error) {
	req, err := signet.ParseAddCheckpoint(body)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	origin, _, _ := strings.Cut(string(req.Checkpoint), "\n")
	l := w.logs[origin]
	if l == nil {
		return nil, fmt.Errorf("%w: %q", ErrUnknownLog, trunc(origin))
	}
	cp, err := l.open(req.Checkpoint)
	if err != nil {
		return nil, err
	}
	if req.OldSize > cp.size {
		return nil, fmt.Errorf("%w: the old size %d exceeds the checkpoint's size %d", ErrMalformed, req.OldSize, cp.size)
	}
	if err := l.checkCosigned(req, cp); err != nil {
		return nil, err
	}
	if err := l.waitFor(ctx, cp.size); err != nil {
		return nil, err
	}
	return l.cosign(req, cp)
}

// open verifies the checkpoint's signature with the log's key and parses
// it. Signatures of other keys are ignored.
func (l *logState) open(msg []byte) (*presented, error) {
	n, err := note.Open(msg, note.VerifierList(l.verifier))
	if _, ok := errors.AsType[*note.UnverifiedNoteError](err); ok {
		return nil, fmt.Errorf("%w: %w", ErrBadSignature, err)
	}
	if _, ok := errors.AsType[*note.InvalidSignatureError](err); ok {
		return nil, fmt.Errorf("%w: %w", ErrBadSignature, err)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: the checkpoint is not a signed note: %w", ErrMalformed, err)
	}
	var c log.Checkpoint
	if _, err := c.Unmarshal([]byte(n.Text)); err != nil || c.Origin != l.origin {
		return nil, fmt.Errorf("%w: the note is not a checkpoint of %s", ErrMalformed, l.origin)
	}
	if len(c.Hash) != tlog.HashSize || c.Size > 1<<62 {
		return nil, fmt.Errorf("%w: the checkpoint's size or root is out of range", ErrMalformed)
	}
	cp := &presented{size: int64(c.Size), note: n, msg: msg}
	copy(cp.root[:], c.Hash)
	return cp, nil
}

// checkCosigned makes the spec's checks of cp against the latest
// cosigned checkpoint, in its order: old size (409), the empty tree's
// root, an empty proof from 0, the proof, equal roots at equal sizes
// (422).
func (l *logState) checkCosigned(req *signet.AddCheckpointRequest, cp *presented) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	var held cosigned
	if l.st.Cosigned != nil {
		held = *l.st.Cosigned
	}
	switch {
	case req.OldSize != held.Size:
		return &ConflictError{Size: held.Size}
	case cp.size == 0 && cp.root != emptyRoot:
		return l.refuseRequest(RefusedRoot, "a checkpoint of 0 records whose root is not the empty tree's", req, cp, held)
	case req.OldSize == 0 && len(req.Proof) != 0:
		return l.refuseRequest(RefusedProof, "a consistency proof from size 0, which must be empty", req, cp, held)
	case req.OldSize == 0:
		return nil
	case req.OldSize == cp.size && (cp.root != held.Root || len(req.Proof) != 0):
		return l.refuseRequest(RefusedRoot, fmt.Sprintf("the root at size %d is %s, the cosigned checkpoint's %s", cp.size, cp.root, held.Root), req, cp, held)
	case tlog.CheckTree(req.Proof, cp.size, cp.root, req.OldSize, held.Root) != nil:
		return l.refuseRequest(RefusedProof, fmt.Sprintf("the proof does not link the cosigned checkpoint of size %d to the checkpoint of size %d", req.OldSize, cp.size), req, cp, held)
	}
	return nil
}

// emptyRoot is the root of the empty tree, SHA-256 of nothing (RFC 6962).
var emptyRoot = tlog.Hash(sha256.Sum256(nil))

// refuseRequest refuses a signed checkpoint inconsistent with the
// cosigned one, keeping both and the request. l.mu is held.
func (l *logState) refuseRequest(kind, reason string, req *signet.AddCheckpointRequest, cp *presented, held cosigned) error {
	return l.refuse(kind, reason, evidence{"held.checkpoint": []byte(held.Checkpoint),
		"presented.checkpoint": cp.msg, "request.body": req.Marshal()}, nil)
}

// waitFor waits until the copy holds size records, or the log is
// refused, for at most CatchUpTimeout, asking the follower to sync.
func (l *logState) waitFor(ctx context.Context, size int64) error {
	timer := time.NewTimer(l.w.cfg.CatchUpTimeout)
	defer timer.Stop()
	for {
		l.mu.Lock()
		done := l.st.Copy.Size >= size || l.st.Refused != nil
		changed := l.changed
		l.mu.Unlock()
		if done {
			return nil
		}
		l.wake()
		select {
		case <-changed:
		case <-timer.C:
			return nil // cosign answers ErrBehind
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second): // the follower may have failed: ask again
		}
	}
}

// cosign checks cp against the copy, then signs it and saves it as the
// latest cosigned checkpoint, checking again under the lock that the old
// size is still the cosigned one.
func (l *logState) cosign(req *signet.AddCheckpointRequest, cp *presented) ([]byte, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var held cosigned
	if l.st.Cosigned != nil {
		held = *l.st.Cosigned
	}
	if req.OldSize != held.Size {
		return nil, &ConflictError{Size: held.Size} // another request moved it meanwhile
	}
	if err := l.checkCopy(req, cp, held); err != nil {
		return nil, err
	}
	signed, err := note.Sign(&note.Note{Text: cp.note.Text}, l.w.signer)
	if err != nil {
		return nil, err
	}
	sigs := signed[len(cp.note.Text)+1:]
	next := *l.st
	next.Cosigned = &cosigned{Size: cp.size, Root: cp.root, Checkpoint: monitorNote(cp.note, sigs), Time: time.Now().UTC()}
	if err := l.save(&next); err != nil {
		return nil, err
	}
	return sigs, nil
}

// checkCopy checks cp against the copy: the copy holds its records and
// has its root. l.mu is held.
func (l *logState) checkCopy(req *signet.AddCheckpointRequest, cp *presented, held cosigned) error {
	have := l.st.Copy.Size
	if r := l.st.Refused; r != nil && cp.size > have {
		return &RefusedError{Origin: l.origin, Kind: RefusedRecords, Evidence: r.Evidence,
			Reason: fmt.Sprintf("the log was refused for good at record %d: %s", r.Index, r.Reason)}
	}
	if cp.size == 0 {
		return nil // its root was checked against the empty tree's
	}
	if cp.size > have {
		return fmt.Errorf("%w: the copy of %s holds %d records, the checkpoint %d", ErrBehind, l.origin, have, cp.size)
	}
	root, err := tlog.TreeHash(cp.size, l.hashReader(nil))
	if err != nil {
		return err
	}
	if root != cp.root {
		ev := evidence{"held.checkpoint": []byte(l.st.Copy.End.Checkpoint), "presented.checkpoint": cp.msg, "request.body": req.Marshal()}
		if held.Checkpoint != "" {
			ev["cosigned.checkpoint"] = []byte(held.Checkpoint)
		}
		return l.refuse(RefusedFork, fmt.Sprintf("the root at size %d is %s, but the copy's records there have root %s", cp.size, cp.root, root), ev, nil)
	}
	return nil
}

// monitorNote is the checkpoint with the log's verified signatures and
// the witness's cosignature lines sigs.
func monitorNote(n *note.Note, sigs []byte) string {
	var b strings.Builder
	b.WriteString(n.Text + "\n")
	for _, s := range n.Sigs {
		b.WriteString("— " + s.Name + " " + s.Base64 + "\n")
	}
	b.Write(sigs)
	return b.String()
}
