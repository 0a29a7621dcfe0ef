// Package audit verifies a Signet log export offline, without the server:
// the library behind "signet audit", as tessera's fsck is both a library
// and a command.
//
// # What an audit checks
//
// [Audit] reads an export (GET /v1/log/export, or "signet export") line by
// line, decodes each with [signet.ParseExportLine] (R1) and replays the
// log from index 0 with one [signet.Replay]: every rule of a record, R2 to
// R6 and R8 to R22, is package signet's, the same code the server runs at
// admission. The audit itself adds what only an export has, with package
// signet's functions for it (which signetd import calls too):
//
//   - the payload shown for reading is the signed payload (R7,
//     [signet.CheckShownPayload]);
//   - the export ends with one end line (R23, [signet.NoEndLine] and
//     [signet.LineAfterEnd]), whose checkpoint is signed by the log's key,
//     [Options.LogKey] (R24);
//   - the end line's tree_size is the number of records, and the Merkle
//     tree of the records' leaf hashes ([signet.LeafHash]) has the root of
//     the export's checkpoint, or the export's consistency proof links it
//     to that root (R25, [signet.WireExportEnd.CheckTreeSize] and
//     [signet.CheckTree]);
//   - optionally, a checkpoint kept apart from the export
//     ([Options.Checkpoint], say one a client saw earlier) agrees with the
//     export (R26): an audit catches a log that rewrote its history since.
//
// # Failures
//
// An audit reports every failure, up to [Options.MaxFailures], each an
// [*Error] naming the record's index, the line and the [signet.Rule]
// broken, in [Summary.Failures]; [Audit] returns the first as its error.
// After a failure it goes on without reporting its consequences again:
// after an index gap (R4) it resyncs on the line's index, after a broken
// chain link (R5) on the line's prev_hash, and a record that breaks any
// other rule is not applied to the registry, but the next record must
// link to its stated hash and its leaf goes into the tree. A line that
// cannot be read as a record at all leaves a hole: the next record is
// taken as it comes, and the tree is not compared with the checkpoints.
// Once MaxFailures failures are found the audit stops reading
// ([Summary.Stopped]).
//
// # Export format
//
// NDJSON: one [signet.WireRecord] per line, with "jws" always present
// (empty protected and signature for a record the operator made), then
// one [signet.WireExportEnd] line; see [signet.ParseExportLine].
//
// # Cost
//
// An audit holds O(log n) tree hashes, the registry (signers and keys,
// not records), 24 bytes per nonce, and a pipeline of records bounded by
// bytes, not by count: the records queued for or being verified hold at
// most [Options.MaxInFlight] bytes of export lines (64 MiB by default),
// whatever the lines' sizes. With the line being read (at most
// [Options.MaxLine]) and the copies a record's decoding makes, memory
// stays within a small multiple of MaxInFlight + MaxLine: a peak RSS of
// about 3.5 times on an export of 10 MB lines (docs/PERFORMANCE.md,
// "Audit memory on crafted exports").
// Records are parsed, hashed and applied to the registry in order on one
// goroutine; entries' signatures, the bulk of the work, are verified on
// [Options.Workers] goroutines with the key resolved in order.
package audit

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"time"

	"github.com/signet-ledger/signet"
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
	// Policy, if set, is a c2sp.org/tlog-policy the export's checkpoint
	// and Checkpoint must meet: its quorum of witness cosignatures
	// ([signet.Policy.Check]) and, if it lists logs, LogKey must be its
	// key for the checkpoint's origin ([signet.Policy.LogKey]). A failure
	// is R24's (R26's for Checkpoint), its Err the policy's error.
	// Optional. Default: no policy.
	Policy *signet.Policy
	// Workers is how many goroutines verify signatures. Optional. Default
	// runtime.GOMAXPROCS(0).
	Workers int
	// MaxLine bounds one line of the export. Optional. Default 16 MiB.
	MaxLine int
	// MaxInFlight bounds the bytes of export lines held by records queued
	// for or being verified. Optional. Default 64 MiB; never less than
	// MaxLine.
	MaxInFlight int64
	// MaxFailures is how many failures the audit reports before it stops
	// reading. Optional. Default 100.
	MaxFailures int
	// Progress, if set, is called now and then from the reading goroutine
	// with the records read and bytes consumed so far.
	Progress func(records, bytes int64)
	// Resume, if set, is where an earlier audit of the same log stopped
	// ([Summary.Resume]): the export then starts at record Resume.Size
	// (signet export --from), and the audit checks its records as if it
	// had read the ones before: the registry is rebuilt from
	// Resume.KeyRecords ([signet.ResumeReplay]), the first record must
	// link to Resume.Prev, and the Merkle tree grows from Resume.Tree, so
	// that R25 and R26 are checked of the whole log. What it cannot check
	// is R22 against the nonces of the records before Resume.Size.
	// Optional. Default: the export starts at index 0.
	Resume *Resume
}

// Summary describes an audited export.
type Summary struct {
	Records   int64 // records replayed, from index 0 (with Options.Resume, those before it counted)
	Entries   int64 // of which journal entries
	KeyEvents int64 // of which registrations, key additions and revocations
	Signers   int   // signers in the rebuilt registry
	Keys      int   // keys in the rebuilt registry
	Revoked   int   // of which revoked
	Root      tlog.Hash
	// Checkpoint is the export's checkpoint.
	Checkpoint *signet.Checkpoint
	// CheckpointSigned is false when the signatures were not checked
	// (SkipCheckpointSignature).
	CheckpointSigned bool
	// External is Options.Checkpoint, parsed, if given.
	External *signet.Checkpoint
	// Failures are every failure found, in the export's order (by line);
	// empty if the export verifies.
	Failures []*Error
	// Stopped is true when the audit stopped reading after MaxFailures
	// failures: the rest of the export is unchecked.
	Stopped bool
	Elapsed time.Duration
	// Resume is where the audit stopped, for [Options.Resume] of the
	// next audit of the log; nil unless the export verified.
	Resume *Resume
}

// Rate is records audited per second.
func (s *Summary) Rate() float64 {
	if s.Elapsed <= 0 {
		return 0
	}
	return float64(s.Records) / s.Elapsed.Seconds()
}

// Audit reads the export r to its end and checks it as the package
// documentation describes. It returns the summary and nil; or, if the
// export breaks any rule, the summary with every failure in
// [Summary.Failures] and the first of them as an [*Error]; or a read
// error, ctx's error or [ErrNoLogKey].
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
	external *signet.Checkpoint
	extRoot  *tlog.Hash // root of the first external.Size records, once read
	replay   *signet.Replay
	tree     compactRange
	lost     bool // the last record line could not be read: take the next as it comes
	// computed is the hash of the last record's fields when it broke R6:
	// the next record may link to it rather than to the stated hash.
	computed *signet.Hash
	holes    bool // some record line could not be read: the tree is not the log's
	line     int64
	lines    lineMap
	fails    failures
	sum      Summary
	end      *signet.WireExportEnd
	endLine  int64
	last     signet.Hash       // the stated hash of the last record applied
	keyLines []json.RawMessage // the lines of the key records applied, for Summary.Resume
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
	if opts.MaxInFlight <= 0 {
		opts.MaxInFlight = 64 << 20
	}
	opts.MaxInFlight = max(opts.MaxInFlight, int64(opts.MaxLine))
	if opts.MaxFailures <= 0 {
		opts.MaxFailures = 100
	}
	a := &auditor{opts: opts, replay: signet.NewReplay()}
	if opts.Resume != nil {
		if err := a.resume(opts.Resume); err != nil {
			return nil, err
		}
	}
	if opts.Checkpoint != nil {
		cp, err := a.openCheckpoint(opts.Checkpoint, opts.Origin)
		if err != nil {
			return nil, failure(signet.RuleExternalCpoint, -1, 0, err, "the checkpoint given apart: %v", err)
		}
		a.external = cp
		a.sum.External = cp
		if err := a.externalBeforeExport(); err != nil {
			return nil, err
		}
	}
	return a, nil
}

// openCheckpoint opens a checkpoint with the log key and checks it
// against the policy, if any, or parses it unverified if the audit skips
// signatures.
func (a *auditor) openCheckpoint(msg []byte, origin string) (*signet.Checkpoint, error) {
	if a.opts.SkipCheckpointSignature {
		return signet.ParseCheckpointUnverified(msg)
	}
	cp, err := signet.OpenCheckpointKey(msg, a.opts.LogKey, origin)
	if err != nil || a.opts.Policy == nil {
		return cp, err
	}
	if _, err := a.opts.Policy.LogKey(cp.Origin, a.opts.LogKey); err != nil {
		return nil, err
	}
	if err := a.opts.Policy.Check(msg); err != nil {
		return nil, err
	}
	return cp, nil
}

func (a *auditor) run(ctx context.Context, r io.Reader) (*Summary, error) {
	start := time.Now()
	cr := &countReader{r: r}
	sc := bufio.NewScanner(cr)
	sc.Buffer(make([]byte, 64<<10), a.opts.MaxLine)
	v := newVerifier(a.replay, a.opts.Workers, a.opts.MaxInFlight, &a.fails)
	limit := int64(a.opts.MaxFailures)
	for a.fails.len() < limit && sc.Scan() {
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
		if err := a.readLine(ctx, sc.Bytes(), v); err != nil {
			v.stop()
			return nil, err
		}
	}
	v.stop()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	a.sum.Stopped = a.fails.len() >= limit
	if err := sc.Err(); err != nil && !a.sum.Stopped {
		if !errors.Is(err, bufio.ErrTooLong) {
			return nil, fmt.Errorf("audit: reading the export: %w", err)
		}
		a.fails.add(failure(signet.RuleFormat, a.replay.Size(), a.line+1, nil, "a line is longer than %d bytes", a.opts.MaxLine))
		a.sum.Stopped = true // the rest of the export cannot be read line by line
	}
	if !a.sum.Stopped {
		a.finish()
	}
	a.summarize(time.Since(start))
	if a.opts.Progress != nil {
		a.opts.Progress(a.tree.size, cr.n)
	}
	if len(a.sum.Failures) > 0 {
		return &a.sum, a.sum.Failures[0]
	}
	return &a.sum, nil
}

// readLine checks one line: a record, or the end line. Its error is
// ctx's, while waiting for the verifier.
func (a *auditor) readLine(ctx context.Context, b []byte, v *verifier) error {
	if a.end != nil {
		a.fails.add(ruleFailure(-1, a.line, signet.LineAfterEnd()))
		return nil
	}
	w, end, err := signet.ParseExportLine(b)
	switch {
	case err != nil:
		a.fails.add(ruleFailure(a.replay.Size(), a.line, err))
		a.lost, a.holes = true, true
		return nil
	case end != nil:
		a.end, a.endLine = end, a.line
		return nil
	}
	return a.record(ctx, w, b, v)
}

// record checks one record line in log order and queues the rest of its
// checks.
func (a *auditor) record(ctx context.Context, w *signet.WireRecord, line []byte, v *verifier) error {
	rec, err := w.Record()
	if err != nil {
		index := w.Index
		if index < 0 {
			index = a.replay.Size()
		}
		a.fails.add(ruleFailure(index, a.line, err))
		a.skip(w)
		return nil
	}
	if a.lost {
		a.replay.Resync(rec.Index, rec.PrevHash)
		a.lost = false
	}
	a.lines.add(rec.Index, a.line)
	a.tree.append(signet.LeafHash(rec.Hash))
	if a.external != nil && a.tree.size == a.external.Size {
		root := a.tree.root()
		a.extRoot = &root
	}
	check, err := a.next(rec)
	a.computed = nil
	if err != nil {
		a.fails.add(ruleFailure(rec.Index, a.line, err))
		a.replay.Resync(rec.Index+1, rec.Hash)
		if signet.RuleOf(err) == signet.RuleHash {
			h := signet.RecordHash(rec)
			a.computed = &h
		}
		return nil
	}
	a.count(rec.Kind)
	a.keep(rec, line)
	return v.add(ctx, job{index: rec.Index, line: a.line, check: check, shown: w.Payload, signed: rec.Payload}, len(line))
}

// next applies rec to the replay. A record out of place (R4) or off the
// chain (R5) is reported, and the replay resynced on its index and
// prev_hash, before its other rules are checked. After a record whose
// stated hash was not its fields' (R6), linking to either is no new
// failure: one of the two was already reported.
func (a *auditor) next(rec *signet.Record) (*signet.Deferred, error) {
	for {
		pos := a.replay.Size()
		check, _, err := a.replay.NextDeferred(rec)
		r := signet.RuleOf(err)
		if r != signet.RuleIndex && r != signet.RuleChain {
			return check, err
		}
		if r == signet.RuleIndex || a.computed == nil || *a.computed != rec.PrevHash {
			a.fails.add(ruleFailure(pos, a.line, err))
		}
		a.replay.Resync(rec.Index, rec.PrevHash)
	}
}

// skip goes on after a record line whose fields do not parse: with its
// stated hash, if that parses, as if it broke a rule of the registry;
// otherwise leaving a hole.
func (a *auditor) skip(w *signet.WireRecord) {
	h, err := signet.ParseHash(w.Hash)
	if err != nil || w.Index < 0 {
		a.lost, a.holes = true, true
		return
	}
	a.lost = false
	a.lines.add(w.Index, a.line)
	a.tree.append(signet.LeafHash(h))
	a.replay.Resync(w.Index+1, h)
}

func (a *auditor) count(k signet.Kind) {
	if k == signet.KindEntry {
		a.sum.Entries++
	} else {
		a.sum.KeyEvents++
	}
}

// summarize fills in the summary, and places and sorts the failures.
func (a *auditor) summarize(d time.Duration) {
	a.sum.Records, a.sum.Root, a.sum.Elapsed = a.tree.size, a.tree.root(), d
	for _, s := range a.replay.Registry.Signers() {
		a.sum.Signers++
		for _, k := range s.Keys {
			a.sum.Keys++
			if k.Revocation != nil {
				a.sum.Revoked++
			}
		}
	}
	for _, e := range a.fails.list {
		if e.Line < 0 {
			e.Line = a.lines.line(e.Index)
		}
	}
	f := a.fails.sorted()
	a.sum.Failures = f[:min(len(f), a.opts.MaxFailures)]
	if len(f) == 0 && !a.sum.Stopped && !a.holes {
		a.sum.Resume = &Resume{Size: a.tree.size, Prev: a.last, Tree: slices.Clone(a.tree.hashes), KeyRecords: a.keyLines}
	}
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
