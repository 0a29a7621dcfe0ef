// Package audit verifies a Signet log export offline, without the server:
// the library behind "signet audit", as tessera's fsck is both a library
// and a command.
//
// # What an audit checks
//
// [Audit] reads an export (GET /v1/log/export, or "signet export") line by
// line and replays the log from index 0:
//
//   - the indexes run 0, 1, 2, ... with no gap, repeat or reordering;
//   - each record's prev_hash is its predecessor's hash (zero for record
//     0), and its hash is [ledger.RecordHash] of its fields;
//   - the key registry is rebuilt from the key records with
//     [ledger.Replay], and every record's signature is verified with the
//     key its kid named at its index (revoked keys sign nothing after
//     their revocation; a key acts only for its own signer);
//   - the payload shown for reading is the signed payload;
//   - the Merkle tree of the records' leaf hashes ([ledger.LeafHash]) has
//     the root of the export's checkpoint, or the export's consistency
//     proof links it to that root;
//   - the checkpoint is signed by the log's key, [Options.LogKey];
//   - optionally, a checkpoint kept apart from the export
//     ([Options.Checkpoint], say one a client saw earlier) agrees with the
//     export: an audit catches a log that rewrote its history since.
//
// The first failure stops the audit and is returned as an [*Error] naming
// the record's index, the line and the [Check] that failed.
//
// # Export format
//
// NDJSON: one [ledger.WireRecord] per line, with "jws" always present
// (empty protected and signature for a record the operator made), then
// one [ledger.WireExportEnd] line. Members other than those are refused.
//
// # Cost
//
// An audit holds O(log n) tree hashes, the registry (signers and keys,
// not records) and a bounded pipeline of records: its memory does not
// grow with the log. Records are parsed, hashed and applied to the
// registry in order on one goroutine; entries' signatures, the bulk of
// the work, are verified on [Options.Workers] goroutines with the key
// resolved in order.
package audit

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"
	"time"

	"github.com/signet-ledger/signet"
	"github.com/signet-ledger/signet/keys"
	"github.com/signet-ledger/signet/ledger"
	"github.com/signet-ledger/signet/registry"
	"golang.org/x/mod/sumdb/tlog"
)

// Options configure an audit.
type Options struct {
	// LogKey is the log's signed-note verifier key, pinned by the auditor
	// (not taken from the export). Required unless
	// SkipCheckpointSignature.
	LogKey string
	// Origin, if set, is the origin the checkpoint must state. Optional.
	// Default: the checkpoint's own first line; LogKey then identifies the
	// log.
	Origin string
	// SkipCheckpointSignature audits everything but the signatures of the
	// checkpoints, for an auditor who has no log key. Such an audit proves
	// the export self-consistent, not that the log published it.
	SkipCheckpointSignature bool
	// Checkpoint is a signed checkpoint of the same log held apart from
	// the export. Optional. It must be of a tree the export holds (the
	// root of the export's first Checkpoint.Size records must be its
	// root) or of the export checkpoint's size (equal roots).
	Checkpoint []byte
	// Workers is how many goroutines verify signatures. Optional. Default
	// runtime.GOMAXPROCS(0).
	Workers int
	// MaxLine bounds one line of the export. Optional. Default 16 MiB.
	MaxLine int
	// Progress, if set, is called now and then from the reading goroutine
	// with the records read and bytes consumed so far.
	Progress func(records, bytes int64)
}

// Summary describes an audited export.
type Summary struct {
	Records   int64 // records replayed, from index 0
	Entries   int64 // of which journal entries
	KeyEvents int64 // of which registrations, key additions and revocations
	Signers   int   // signers in the rebuilt registry
	Keys      int   // keys in the rebuilt registry
	Revoked   int   // of which revoked
	Root      tlog.Hash
	// Checkpoint is the export's checkpoint.
	Checkpoint *ledger.Checkpoint
	// CheckpointSigned is false when the signatures were not checked
	// (SkipCheckpointSignature).
	CheckpointSigned bool
	// External is Options.Checkpoint, parsed, if given.
	External *ledger.Checkpoint
	Elapsed  time.Duration
}

// Rate is records audited per second.
func (s *Summary) Rate() float64 {
	if s.Elapsed <= 0 {
		return 0
	}
	return float64(s.Records) / s.Elapsed.Seconds()
}

// Audit reads the export r to its end and checks it as the package
// documentation describes. It returns the summary and nil, or the first
// failure as an [*Error] (with a summary of what was read before it); a
// read error, ctx's error or [ErrNoLogKey] otherwise.
func Audit(ctx context.Context, r io.Reader, opts Options) (*Summary, error) {
	a, err := newAuditor(opts)
	if err != nil {
		return nil, err
	}
	return a.run(ctx, r)
}

// auditor is one audit's state.
type auditor struct {
	opts     Options
	external *ledger.Checkpoint
	extRoot  *tlog.Hash // root of the first external.Size records, once read
	st       *registry.State
	tree     compactRange
	prev     ledger.Hash
	line     int64
	sum      Summary
	end      *ledger.WireExportEnd
	endLine  int64
}

func newAuditor(opts Options) (*auditor, error) {
	if opts.LogKey == "" && !opts.SkipCheckpointSignature {
		return nil, ErrNoLogKey
	}
	if opts.Workers <= 0 {
		opts.Workers = runtime.GOMAXPROCS(0)
	}
	if opts.MaxLine <= 0 {
		opts.MaxLine = 16 << 20
	}
	a := &auditor{opts: opts, st: registry.NewState()}
	if opts.Checkpoint != nil {
		cp, err := a.openCheckpoint(opts.Checkpoint, opts.Origin)
		if err != nil {
			return nil, &Error{Index: -1, Check: CheckExternal, Reason: "the checkpoint given apart: " + err.Error(), Err: err}
		}
		a.external = cp
		a.sum.External = cp
	}
	return a, nil
}

// openCheckpoint opens a checkpoint with the log key, or parses it
// unverified if the audit skips signatures.
func (a *auditor) openCheckpoint(msg []byte, origin string) (*ledger.Checkpoint, error) {
	if a.opts.SkipCheckpointSignature {
		return ledger.ParseCheckpointUnverified(msg)
	}
	return ledger.OpenCheckpointKey(msg, a.opts.LogKey, origin)
}

func (a *auditor) run(ctx context.Context, r io.Reader) (*Summary, error) {
	start := time.Now()
	cr := &countReader{r: r}
	sc := bufio.NewScanner(cr)
	sc.Buffer(make([]byte, 64<<10), a.opts.MaxLine)
	v := newVerifier(a.opts.Workers)
	var failed *Error
	for failed == nil && !v.failed() && sc.Scan() {
		a.line++
		if a.line%1024 == 0 {
			if err := ctx.Err(); err != nil {
				v.stop()
				return nil, err
			}
			if a.opts.Progress != nil {
				a.opts.Progress(a.tree.size, cr.n)
			}
		}
		failed = a.readLine(sc.Bytes(), v)
	}
	first := v.stop()
	if err := sc.Err(); err != nil && failed == nil {
		if !errors.Is(err, bufio.ErrTooLong) {
			return nil, fmt.Errorf("audit: reading the export: %w", err)
		}
		failed = a.fail(CheckFormat, "a line is longer than %d bytes", a.opts.MaxLine)
	}
	if failed == nil && first == nil {
		failed = a.finish()
	}
	if first != nil && first.before(failed) {
		failed = first
	}
	a.summarize(time.Since(start))
	if a.opts.Progress != nil {
		a.opts.Progress(a.tree.size, cr.n)
	}
	if failed != nil {
		return &a.sum, withRule(failed)
	}
	return &a.sum, nil
}

// fail returns a failure of the record at the current position.
func (a *auditor) fail(c Check, format string, args ...any) *Error {
	return &Error{Index: a.tree.size, Line: a.line, Check: c, Reason: fmt.Sprintf(format, args...)}
}

// readLine checks one line: a record, or the end line.
func (a *auditor) readLine(b []byte, v *verifier) *Error {
	if a.end != nil {
		return &Error{Index: -1, Line: a.line, Check: CheckEnd, Reason: "a line follows the end line"}
	}
	var l line
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(&l); err != nil || d.More() {
		return a.fail(CheckFormat, "the line is not one JSON object of the export format: %v", errOr(err, "trailing data"))
	}
	if l.TreeSize != nil {
		end, err := l.end()
		if err != nil {
			return &Error{Index: -1, Line: a.line, Check: CheckFormat, Reason: err.Error()}
		}
		a.end, a.endLine = end, a.line
		return nil
	}
	w, err := l.record()
	if err != nil {
		return a.fail(CheckFormat, "%v", err)
	}
	return a.record(w, v)
}

// record checks one record line in log order and queues its signature.
func (a *auditor) record(w *ledger.WireRecord, v *verifier) *Error {
	n := a.tree.size
	if w.Index != n {
		return a.fail(CheckIndex, "expected record %d, found record %d: a record is missing, repeated or out of place", n, w.Index)
	}
	rec, err := w.Record()
	if err != nil {
		return a.fail(CheckFormat, "%v", err)
	}
	if rec.PrevHash != a.prev {
		return a.fail(CheckChain, "prev_hash %s is not the hash of record %d, %s", rec.PrevHash, n-1, a.prev)
	}
	if h := ledger.RecordHash(rec); h != rec.Hash {
		return a.fail(CheckHash, "the hash of the record's fields is %s, not the stated %s", h, rec.Hash)
	}
	a.tree.append(ledger.LeafHash(rec.Hash))
	if a.external != nil && a.tree.size == a.external.Size {
		root := a.tree.root()
		a.extRoot = &root
	}
	a.prev = rec.Hash
	deferred, _, err := signet.CheckDeferred(a.st, rec)
	var check func() error
	if deferred != nil {
		check = func() error { _, err := deferred(); return err }
	}
	if err != nil {
		e := a.fail(replayCheck(err), "%v", err)
		e.Index, e.Err = n, err
		return e
	}
	a.count(rec.Kind)
	v.add(job{index: n, line: a.line, check: check, shown: w.Payload, signed: rec.Payload})
	return nil
}

// replayCheck says whether a replay error is about the signature or the
// registry's rules.
func replayCheck(err error) Check {
	if errors.Is(err, keys.ErrBadSignature) || errors.Is(err, keys.ErrMalformed) ||
		errors.Is(err, keys.ErrBadAlgorithm) || errors.Is(err, keys.ErrBadKey) {
		return CheckSignature
	}
	return CheckRegistry
}

func (a *auditor) count(k ledger.Kind) {
	if k == ledger.KindEntry {
		a.sum.Entries++
	} else {
		a.sum.KeyEvents++
	}
}

func (a *auditor) summarize(d time.Duration) {
	a.sum.Records, a.sum.Root, a.sum.Elapsed = a.tree.size, a.tree.root(), d
	for _, s := range a.st.Signers() {
		a.sum.Signers++
		for _, k := range s.Keys {
			a.sum.Keys++
			if k.Revocation != nil {
				a.sum.Revoked++
			}
		}
	}
}

func errOr(err error, s string) any {
	if err != nil {
		return err
	}
	return s
}

// countReader counts the bytes read through it.
type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
