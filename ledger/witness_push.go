package ledger

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/signet-ledger/signet"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// maxWitnessAnswer bounds the body of a witness's answer.
const maxWitnessAnswer = 64 << 10

// witnessError is a failed push: what to log and keep in the status,
// whether it is an alarm (evidence of a fork or a rollback), and the HTTP
// status the witness answered (0 if none).
type witnessError struct {
	msg    string
	alarm  bool
	status int
}

func (e *witnessError) Error() string { return e.msg }

// push sends cp to w, retrying after a 409 with a proof from the size the
// witness states, and returns w's cosignature, or nil after recording the
// failure.
func (e *witnessing) push(w *witness, cp *Checkpoint) *Cosignature {
	old, err := e.knownSize(w)
	for try := 0; err == nil; try++ {
		var line []byte
		var conflict int64
		line, conflict, err = e.addCheckpoint(w, old, cp)
		switch {
		case err == nil && line == nil && try < 2: // 409
			e.log.Info("witness is at another tree size: retrying from it", "witness", w.Name, "sent_old", old, "witness_size", conflict, "size", cp.Size)
			old = conflict
			w.mu.Lock()
			w.known = conflict
			w.mu.Unlock()
			continue
		case err == nil && line == nil:
			err = &witnessError{status: http.StatusConflict, msg: fmt.Sprintf("witness %s answered 409 Conflict three times in a row (last size %d)", w.Name, conflict)}
		case err == nil:
			w.succeeded(cp.Size)
			return &Cosignature{Witness: w.VKey, Line: line}
		}
	}
	e.failed(w, err)
	return nil
}

// knownSize is the witness's size as last learned, or else the largest
// size it cosigned in the store, or else 0.
func (e *witnessing) knownSize(w *witness) (int64, error) {
	w.mu.Lock()
	known := w.known
	w.mu.Unlock()
	if known >= 0 {
		return known, nil
	}
	ctx, cancel := context.WithTimeout(e.ctx, e.cfg.WitnessTimeout)
	defer cancel()
	size, err := e.store.WitnessSize(ctx, w.VKey)
	switch {
	case errors.Is(err, ErrNotFound):
		size = 0
	case err != nil:
		return 0, &witnessError{msg: fmt.Sprintf("reading the stored cosignatures of witness %s: %v", w.Name, err)}
	}
	w.mu.Lock()
	w.known, w.st.CosignedSize = size, max(w.st.CosignedSize, size)
	w.mu.Unlock()
	return size, nil
}

// addCheckpoint makes one add-checkpoint request with a proof from old.
// It returns the witness's valid cosignature line on 200, or the
// witness's size on 409 (with a nil line), or the failure.
func (e *witnessing) addCheckpoint(w *witness, old int64, cp *Checkpoint) ([]byte, int64, error) {
	if old > cp.Size {
		return nil, 0, &witnessError{alarm: true, msg: fmt.Sprintf("witness %s has cosigned a tree of %d records, larger than this log's %d: "+
			"this log's database was rolled back or rewritten, or someone presented the witness a fork of this log", w.Name, old, cp.Size)}
	}
	body, err := e.requestBody(old, cp)
	if err != nil {
		return nil, 0, &witnessError{msg: fmt.Sprintf("proving tree %d consistent with tree %d for witness %s: %v", old, cp.Size, w.Name, err)}
	}
	ctx, cancel := context.WithTimeout(e.ctx, e.cfg.WitnessTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(w.URL, "/")+"/add-checkpoint", bytes.NewReader(body))
	if err != nil {
		return nil, 0, &witnessError{msg: fmt.Sprintf("witness %s: %v", w.Name, err)}
	}
	resp, err := e.http.Do(req)
	if err != nil {
		return nil, 0, &witnessError{msg: fmt.Sprintf("witness %s did not answer: %v", w.Name, err)}
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, maxWitnessAnswer))
	if err != nil {
		return nil, 0, &witnessError{msg: fmt.Sprintf("witness %s: reading its answer: %v", w.Name, err)}
	}
	return w.answer(resp.StatusCode, answer, old, cp)
}

// requestBody is the add-checkpoint body: the old size, the consistency
// proof from it, a blank line, the checkpoint note (c2sp.org/tlog-witness).
func (e *witnessing) requestBody(old int64, cp *Checkpoint) ([]byte, error) {
	var proof tlog.TreeProof
	if old > 0 {
		ctx, cancel := context.WithTimeout(e.ctx, e.cfg.WitnessTimeout)
		defer cancel()
		var err error
		if proof, err = tlog.ProveTree(cp.Size, old, readerOf(ctx, e.store)); err != nil {
			return nil, err
		}
	}
	return (&signet.AddCheckpointRequest{OldSize: old, Proof: proof, Checkpoint: cp.Note}).Marshal(), nil
}

func readerOf(ctx context.Context, s Store) tlog.HashReader {
	return tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) { return s.ReadHashes(ctx, idx) })
}

// answer reads a witness's answer to add-checkpoint.
func (w *witness) answer(status int, body []byte, old int64, cp *Checkpoint) ([]byte, int64, error) {
	fail := func(alarm bool, format string, args ...any) ([]byte, int64, error) {
		return nil, 0, &witnessError{alarm: alarm, status: status, msg: fmt.Sprintf("witness %s: ", w.Name) + fmt.Sprintf(format, args...)}
	}
	switch status {
	case http.StatusOK:
		if line := w.cosignature(body, cp); line != nil {
			return line, 0, nil
		}
		return fail(false, "answered 200 without a valid cosignature of its key %s", w.VKey)
	case http.StatusConflict:
		size, err := signet.ParseTreeSize(body)
		if err != nil {
			return fail(false, "answered 409 Conflict with %q, not a text/x.tlog.size tree size", trunc(string(body)))
		}
		if size > cp.Size {
			return fail(true, "has cosigned a tree of %d records, larger than this log's %d: this log's database was rolled back or "+
				"rewritten, or someone presented the witness a fork of this log", size, cp.Size)
		}
		if size == old {
			return fail(false, "answered 409 Conflict with the size %d that was sent", size)
		}
		return nil, size, nil
	case http.StatusUnprocessableEntity:
		// The witness's own words say what it holds that the checkpoint
		// contradicts: the tree it cosigned, or (an auditing witness such
		// as signet witness) the records it verified and the rule one broke.
		return fail(true, "refused the checkpoint of size %d as inconsistent with what it holds (422, proof from size %d): "+
			"someone presented the witness a fork of this log, or this log's database was rewritten; it answered %q",
			cp.Size, old, quoted(body))
	case http.StatusForbidden:
		return fail(false, "refused the checkpoint's signature (403): it does not trust this log's key for origin %q", cp.Origin)
	case http.StatusNotFound:
		return fail(false, "does not know this log (404): add origin %q and its key to the witness", cp.Origin)
	}
	return fail(false, "answered %d to add-checkpoint: %q", status, trunc(string(body)))
}

// quoted is a witness's answer as an alarm quotes it: trimmed, and cut
// after 400 bytes.
func quoted(body []byte) string {
	s := strings.TrimSpace(string(body))
	if len(s) > 400 {
		s = s[:400] + "..."
	}
	return s
}

// cosignature returns the first line of body that is a valid signature of
// w's key on cp, or nil.
func (w *witness) cosignature(body []byte, cp *Checkpoint) []byte {
	for _, line := range bytes.SplitAfter(body, []byte("\n")) {
		signed, err := signet.AddSignatureLines(cp.Note, line)
		if err != nil {
			continue
		}
		if n, err := note.Open(signed, note.VerifierList(w.Verifier)); err == nil && len(n.Sigs) == 1 {
			return line
		}
	}
	return nil
}

// succeeded records that w cosigned size.
func (w *witness) succeeded(size int64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.known, w.st.CosignedSize = size, max(w.st.CosignedSize, size)
	w.st.LastSuccess, w.st.Failures, w.retryAt = time.Now(), 0, time.Time{}
}

// failed records err and backs w off.
func (e *witnessing) failed(w *witness, err error) {
	var we *witnessError
	if !errors.As(err, &we) {
		we = &witnessError{msg: err.Error()}
	}
	if e.ctx.Err() != nil {
		return // shutting down
	}
	e.cfg.Observer.WitnessFailed(w.Name, we.status, we.alarm)
	w.mu.Lock()
	now := time.Now()
	w.st.Failures++
	w.st.LastError, w.st.LastErrorTime = we.msg, now
	if we.alarm {
		w.st.Alarm, w.st.AlarmTime = we.msg, now
	}
	backoff := e.cfg.WitnessBackoff << min(w.st.Failures-1, 20)
	backoff = min(backoff, e.cfg.WitnessMaxBackoff)
	w.retryAt = now.Add(backoff)
	w.known = -1 // ask again: the witness's state may have changed
	failures := w.st.Failures
	w.mu.Unlock()
	switch {
	case we.alarm:
		e.log.Error("witness alarm: possible fork of this log", "witness", w.Name, "url", w.URL, "err", we.msg, "retry_in", backoff)
	default:
		e.log.Error("witness failed", "witness", w.Name, "url", w.URL, "err", we.msg, "failures", failures, "retry_in", backoff)
	}
}
