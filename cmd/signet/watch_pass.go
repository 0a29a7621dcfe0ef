package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/signet-ledger/signet"
	"github.com/signet-ledger/signet/audit"
	"github.com/signet-ledger/signet/client"
)

// watcher is one run of signet watch.
type watcher struct {
	e           *env
	c           *client.Client
	signer      string
	expectLocal bool
	batch       int64
	logKey      string
	flagged     int // records flagged in this run
}

// pass brings the signer's position up to the latest trusted checkpoint,
// a batch at a time, each verified, printed and saved before the next.
func (w *watcher) pass(ctx context.Context) error {
	t, err := w.checkpoint(ctx)
	if err != nil {
		return err
	}
	st := w.e.state()
	pos, err := st.watchPosition(t.CP.Origin, w.signer)
	if err != nil {
		return err
	}
	switch {
	case pos.Size == t.CP.Size && pos.Size > 0 && pos.Root() != t.CP.Root:
		return verifyFailed("fork: the checkpoint of %d records has root %s, but the records watched have root %s", t.CP.Size, t.CP.Root, pos.Root())
	case pos.Size > t.CP.Size && w.e.policy == nil:
		return verifyFailed("the log's checkpoint has %d records, fewer than the %d watched", t.CP.Size, pos.Size)
	case pos.Size >= t.CP.Size:
		return nil // a witnessed checkpoint may lag the records watched
	}
	var known map[signet.Hash]bool
	if w.expectLocal {
		if known, err = st.journalHashes(t.CP.Origin, pos.Size); err != nil {
			return err
		}
	}
	start := pos.Size
	bar := w.e.newProgress("watch: catching up", "records", t.CP.Size-start)
	defer bar.Done()
	for pos.Size < t.CP.Size {
		to := min(t.CP.Size, pos.Size+w.batch)
		progress := func(records, _ int64) { bar.Set(records-start, records-start) }
		if err := w.step(ctx, t, pos, to, known, progress); err != nil {
			return err
		}
	}
	return nil
}

// checkpoint fetches the checkpoint to watch up to and trusts it: the
// latest; with a policy, the newest the server says its witnesses
// cosigned (or the latest, if it names none), which must meet the
// policy's quorum, whatever the server says.
func (w *watcher) checkpoint(ctx context.Context) (*trusted, error) {
	if w.e.policy == nil {
		return w.e.trustedCheckpoint(ctx, w.c, w.logKey)
	}
	var t *trusted
	msg, err := w.c.WitnessedCheckpoint(ctx)
	switch {
	case client.IsProblem(err, "notFound"):
		t, err = w.e.trustedCheckpoint(ctx, w.c, w.logKey)
	case err == nil:
		t, err = w.e.trust(ctx, w.c, msg, w.logKey, true)
	}
	if err != nil {
		return nil, err
	}
	return t, w.e.checkQuorum(t.CP.Note)
}

// step exports the records from pos to to into a file, audits them
// resumed from pos, prints those of the signer and saves the new
// position. The batch that reaches t's size is checked against t's root.
func (w *watcher) step(ctx context.Context, t *trusted, pos *watchPosition, to int64, known map[signet.Hash]bool, progress func(records, bytes int64)) error {
	dir := filepath.Dir(w.e.state().watchFile(t.CP.Origin, w.signer))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".export-*.ndjson")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	if _, err := w.c.Export(ctx, pos.Size, to, f); err != nil {
		return fmt.Errorf("exporting records %d to %d: %w", pos.Size, to-1, err)
	}
	opts := audit.Options{LogKey: t.LogKey, Origin: t.CP.Origin, Progress: progress}
	if pos.Size > 0 {
		opts.Resume = &pos.Resume
	}
	if to == t.CP.Size {
		opts.Checkpoint = t.CP.Note
	}
	s, err := audit.Audit(ctx, rewound(f), opts)
	var ae *audit.Error
	if errors.As(err, &ae) {
		return fmt.Errorf("records %d to %d do not verify: %w", pos.Size, to-1, err)
	}
	if err != nil {
		return err
	}
	if err := w.report(rewound(f), known); err != nil {
		return err
	}
	pos.Resume = *s.Resume
	return w.e.state().saveWatchPosition(t.CP.Origin, pos)
}

// rewound returns f read from its start.
func rewound(f *os.File) io.Reader { return io.NewSectionReader(f, 0, 1<<62) }

// report prints each record of the signer in the audited export in,
// flagging those not in known when --expect-local.
func (w *watcher) report(in io.Reader, known map[signet.Hash]bool) error {
	sc := bufio.NewScanner(in)
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		// The audit read these bytes and found every line good.
		l, end, err := signet.ParseExportLine(sc.Bytes())
		if err != nil || end != nil {
			return err
		}
		if l.Signer != w.signer {
			continue
		}
		rec, err := l.Record()
		if err != nil {
			return err
		}
		v := describe(rec)
		if w.expectLocal {
			local := known[rec.Hash]
			v.Local, v.Flagged = &local, !local
		}
		if v.Flagged {
			w.flagged++
			fmt.Fprintf(w.e.sys.Stderr, "signet: watch: FLAGGED record %d, %s of signer %s: not made on this machine (not in its journal)\n",
				rec.Index, v.Event, safe(rec.Signer))
		}
		if err := w.e.emit(v, func(out io.Writer) { v.print(out) }); err != nil {
			return err
		}
	}
	return sc.Err()
}
