package witness

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/signet-ledger/signet"
	"github.com/signet-ledger/signet/internal/atomicfile"
	"golang.org/x/mod/sumdb/tlog"
)

// follow keeps the copy caught up with the log until ctx is done: at
// every poll, and whenever kicked.
func (l *logState) follow(ctx context.Context) {
	t := time.NewTicker(l.w.cfg.PollInterval)
	defer t.Stop()
	for {
		if err := l.sync(ctx); err != nil && ctx.Err() == nil {
			l.w.log.Warn("witness: catching up", "origin", l.origin, "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-l.kick:
		}
	}
}

// wake asks the follower to sync now.
func (l *logState) wake() {
	select {
	case l.kick <- struct{}{}:
	default:
	}
}

// sync fetches the log's checkpoint and brings the copy up to it, a
// batch of FetchRecords at a time, each committed on its own. A
// checkpoint smaller than the copy is checked against it.
func (l *logState) sync(ctx context.Context) error {
	if l.refused() {
		return nil
	}
	msg, err := l.client.Checkpoint(ctx)
	if err != nil {
		return err
	}
	cp, err := signet.OpenCheckpoint(msg, l.origin, l.verifier)
	if err != nil {
		return err
	}
	for {
		size := l.copySize()
		if size >= cp.Size {
			return l.checkHeld(cp)
		}
		to := min(cp.Size, size+l.w.cfg.FetchRecords)
		if err := l.fetch(ctx, size, to, cp); err != nil {
			return err
		}
	}
}

func (l *logState) copySize() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.st.Copy.Size
}

func (l *logState) refused() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.st.Refused != nil
}

// checkHeld checks a checkpoint the log serves, of no more records than
// the copy, against the copy: another root is a fork, and kept as
// evidence.
func (l *logState) checkHeld(cp *signet.Checkpoint) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	root, err := tlog.TreeHash(cp.Size, l.hashReader(nil))
	if err != nil || root == cp.Root {
		return err
	}
	held := ""
	if l.st.Copy.End != nil {
		held = l.st.Copy.End.Checkpoint
	}
	reason := fmt.Sprintf("the log serves a checkpoint of %d records with root %s; the copy's root at that size is %s", cp.Size, cp.Root, root)
	return l.refuse(RefusedFork, reason, evidence{"held.checkpoint": []byte(held), "presented.checkpoint": cp.Note}, nil)
}

// batch is the records of one export fetch.
type batch struct {
	from, to int64
	recs     []*signet.Record
	lines    bytes.Buffer // the record lines as served, each ending in "\n"
	ends     []int        // lines.Len() after each record
	end      *signet.WireExportEnd
	pending  []tlog.Hash // stored hashes of recs, after the copy's
}

// fetch fetches records from to to-1 and commits them, if they check:
// first each line alone, then the tree against the export's signed end
// line and against cp (when to is its size), and only then every rule
// between records, with the replay. Records that do not check refuse the
// log for good ([logState.refuseLog]): the log served, under its key,
// what no honest log serves.
func (l *logState) fetch(ctx context.Context, from, to int64, cp *signet.Checkpoint) error {
	b := &batch{from: from, to: to}
	lw := &lineWriter{line: b.addLine}
	_, err := l.client.Export(ctx, from, to, lw)
	if lw.err != nil {
		return l.refuseLog(RefusedRecords, b.next(), b, cp, lw.err)
	}
	if err != nil {
		return fmt.Errorf("witness: fetching records %d to %d: %w", from, to-1, err)
	}
	if err := lw.flush(); err != nil {
		return l.refuseLog(RefusedRecords, b.next(), b, cp, err)
	}
	if err := l.checkTree(b, cp); err != nil {
		return l.refuseLog(RefusedExport, from, b, cp, err)
	}
	if _, n, err := l.replay.NextAll(b.recs, runtime.GOMAXPROCS(0), &l.keys); err != nil {
		return l.refuseLog(RefusedRecords, from+int64(n), b, cp, err)
	}
	return l.commit(b, cp)
}

// next is the index of the batch's next record.
func (b *batch) next() int64 { return b.from + int64(len(b.recs)) }

// addLine checks one line of the export on its own and adds it.
func (b *batch) addLine(line []byte) error {
	if b.end != nil {
		return signet.LineAfterEnd()
	}
	rec, end, err := parseRecordLine(line)
	if err != nil {
		return fmt.Errorf("record %d: %w", b.from+int64(len(b.recs)), err)
	}
	if end != nil {
		b.end = end
		return nil
	}
	b.recs = append(b.recs, rec)
	b.lines.Write(line)
	b.lines.WriteByte('\n')
	b.ends = append(b.ends, b.lines.Len())
	return nil
}

// checkTree checks that the batch's records extend the copy's tree to
// the export end line's signed checkpoint (R23 to R25, as an audit
// checks an export), and to cp's root when they reach its size.
func (l *logState) checkTree(b *batch, cp *signet.Checkpoint) error {
	if b.end == nil {
		return signet.NoEndLine(int64(len(b.recs)))
	}
	if n := b.from + int64(len(b.recs)); n != b.to {
		return fmt.Errorf("witness: the export holds records %d to %d, not to %d", b.from, n-1, b.to-1)
	}
	for i, rec := range b.recs {
		sh, err := tlog.StoredHashesForRecordHash(b.from+int64(i), signet.LeafHash(rec.Hash), l.hashReader(b.pending))
		if err != nil {
			return err
		}
		b.pending = append(b.pending, sh...)
	}
	r := l.hashReader(b.pending)
	if err := l.checkEnd(b.end, b.to, r); err != nil {
		return err
	}
	if b.to != cp.Size {
		return nil
	}
	root, err := tlog.TreeHash(b.to, r)
	if err != nil {
		return err
	}
	return signet.CheckTree(cp, b.to, root, nil)
}

// commit appends the batch to the copy: its lines to the last segment
// (or a new one), fsynced, then the new state, which commits them.
func (l *logState) commit(b *batch, cp *signet.Checkpoint) error {
	segs, err := l.appendLines(b)
	if err != nil {
		return err
	}
	end := b.end
	if b.to == cp.Size { // the checkpoint of exactly the copy: an export signetd import loads
		end = &signet.WireExportEnd{TreeSize: cp.Size, Checkpoint: string(cp.Note), Consistency: tlog.TreeProof{}}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	next := *l.st
	next.Copy = copyState{Size: b.to, Segments: segs, End: end}
	if err := l.save(&next); err != nil {
		return err
	}
	l.hashes = append(l.hashes, b.pending...)
	return nil
}

// appendLines writes b's lines after the last segment's committed bytes,
// or to a new segment once the last is full, and fsyncs them. It returns
// the segments as they will be once committed.
func (l *logState) appendLines(b *batch) ([]segment, error) {
	l.mu.Lock()
	segs := append([]segment(nil), l.st.Copy.Segments...)
	l.mu.Unlock()
	if len(segs) == 0 || segs[len(segs)-1].Records >= l.w.cfg.SegmentRecords {
		s := segment{Name: segmentName(b.from), First: b.from}
		f, err := os.OpenFile(filepath.Join(l.dir, copyDirName, s.Name), os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
		if err != nil {
			return nil, err
		}
		if err := atomicfile.SyncDir(filepath.Join(l.dir, copyDirName)); err != nil {
			f.Close()
			return nil, err
		}
		if l.seg != nil {
			l.seg.Close()
		}
		l.seg = f
		segs = append(segs, s)
	}
	last := &segs[len(segs)-1]
	if _, err := l.seg.WriteAt(b.lines.Bytes(), last.Bytes); err != nil {
		return nil, err
	}
	if err := l.seg.Sync(); err != nil {
		return nil, err
	}
	last.Records += int64(len(b.recs))
	last.Bytes += int64(b.lines.Len())
	return segs, nil
}

// save writes next as the log's state, the compare-and-swap every change
// goes through: next must be the successor of the state in memory. l.mu
// is held.
func (l *logState) save(next *state) error {
	next.Generation = l.st.Generation + 1
	if err := writeState(l.dir, next); err != nil {
		return err
	}
	l.st = next
	close(l.changed)
	l.changed = make(chan struct{})
	return nil
}

// refuseLog refuses the log for good: its batch b of records, checked
// against cp, failed at index with cause. The batch is not committed, the
// evidence is kept, and the refusal is saved in the state: the follower
// stops, and no checkpoint larger than the copy is cosigned again.
func (l *logState) refuseLog(kind string, index int64, b *batch, cp *signet.Checkpoint, cause error) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	reason := fmt.Sprintf("records %d to %d: at record %d: %v", b.from, b.to-1, index, cause)
	err := l.refuse(kind, reason, b.evidence(cp), cause)
	re, _ := errors.AsType[*RefusedError](err)
	if re == nil {
		return err
	}
	next := *l.st
	next.Refused = &refusal{Index: index, Rule: string(signet.RuleOf(cause)), Reason: reason, Evidence: re.Evidence, Time: time.Now().UTC()}
	if serr := l.save(&next); serr != nil {
		return serr
	}
	l.w.log.Error("witness: refusing the log for good", "origin", l.origin, "err", err)
	return err
}

// evidence is the batch as fetched, and the checkpoints it was checked
// against.
func (b *batch) evidence(cp *signet.Checkpoint) evidence {
	ev := evidence{"records.ndjson": b.lines.Bytes(), "presented.checkpoint": cp.Note}
	if b.end != nil {
		if line, err := endLine(b.end); err == nil {
			ev["end.json"] = line
		}
	}
	return ev
}

// lineWriter splits what is written to it into lines and hands each, without
// its "\n", to line; the first error stops it.
type lineWriter struct {
	line func([]byte) error
	buf  []byte
	err  error
}

func (w *lineWriter) Write(p []byte) (int, error) {
	n := len(p)
	for w.err == nil && len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			if len(w.buf)+len(p) > maxLine {
				w.err = fmt.Errorf("witness: an export line is longer than %d bytes", maxLine)
				break
			}
			w.buf = append(w.buf, p...)
			break
		}
		w.buf = append(w.buf, p[:i]...)
		w.err = w.line(w.buf)
		w.buf, p = w.buf[:0], p[i+1:]
	}
	if w.err != nil {
		return 0, w.err // stop the download
	}
	return n, nil
}

// flush reports the first error, or hands over a last line without "\n".
func (w *lineWriter) flush() error {
	if w.err == nil && len(w.buf) > 0 {
		w.err = w.line(w.buf)
	}
	return w.err
}
