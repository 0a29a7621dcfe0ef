package witness

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"

	"github.com/signet-ledger/signet"
	"github.com/signet-ledger/signet/client"
	"github.com/signet-ledger/signet/internal/atomicfile"
	"github.com/signet-ledger/signet/keys"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// logState is one log: its configuration, its state and copy.
type logState struct {
	w        *Witness
	origin   string
	vkey     string
	verifier note.Verifier
	client   *client.Client
	dir      string

	// Only the follower (Run's goroutine for this log) uses replay and
	// writes seg and hashes; it holds mu to change them.
	replay *signet.Replay
	keys   keys.BatchKeyCache // for replay.NextAll
	seg    *os.File           // the last segment, open for writing; nil while none

	mu      sync.Mutex
	st      *state
	hashes  []tlog.Hash   // the copy's tree: tlog stored hashes of its st.Copy.Size records
	changed chan struct{} // closed and replaced at every commit
	kick    chan struct{} // asks the follower to sync now
}

// openLog opens lc's state and copy, cut back to their last commit, and
// replays the copy.
func openLog(w *Witness, lc LogConfig) (*logState, error) {
	v, err := note.NewVerifier(lc.VerifierKey)
	if err != nil {
		return nil, fmt.Errorf("witness: log key %q: %w", lc.VerifierKey, err)
	}
	if lc.URL == "" {
		return nil, fmt.Errorf("witness: log %s has no URL", v.Name())
	}
	opts := []client.Option{client.WithHTTPClient(w.cfg.HTTPClient)}
	if lc.Token != "" {
		opts = append(opts, client.WithToken(lc.Token))
	}
	l := &logState{w: w, origin: v.Name(), vkey: lc.VerifierKey, verifier: v, client: client.New(lc.URL, opts...),
		dir: filepath.Join(w.cfg.StateDir, "logs", logDirName(v.Name())), changed: make(chan struct{}), kick: make(chan struct{}, 1)}
	if err := os.MkdirAll(l.dir, 0o700); err != nil {
		return nil, err
	}
	if err := atomicfile.RemoveTemps(l.dir); err != nil {
		return nil, err
	}
	if l.st, err = readState(l.dir); err != nil {
		return nil, err
	}
	switch {
	case l.st.Origin == "":
		l.st.Origin, l.st.LogKey = l.origin, l.vkey
	case l.st.Origin != l.origin || l.st.LogKey != l.vkey:
		return nil, fmt.Errorf("witness: %s holds log %s with key %s, not key %s", l.dir, l.st.Origin, l.st.LogKey, l.vkey)
	}
	if err := cutCopy(l.dir, &l.st.Copy); err != nil {
		return nil, err
	}
	if err := l.load(); err != nil {
		return nil, err
	}
	return l, l.openSegment()
}

// load replays the committed copy with the log's rules, rebuilding the
// replay state and the tree, and checks its root against its end line.
func (l *logState) load() error {
	l.replay = signet.NewReplay()
	var n int64
	for _, s := range l.st.Copy.Segments {
		if s.First != n {
			return fmt.Errorf("witness: %s: segment %s starts at %d, not %d", l.dir, s.Name, s.First, n)
		}
		f, err := os.Open(filepath.Join(l.dir, copyDirName, s.Name))
		if err != nil {
			return err
		}
		err = l.loadSegment(f, s, &n)
		f.Close()
		if err != nil {
			return fmt.Errorf("witness: %s: the copy does not replay: %w", filepath.Join(l.dir, copyDirName, s.Name), err)
		}
	}
	if n != l.st.Copy.Size {
		return fmt.Errorf("witness: %s: the copy holds %d records, its state says %d", l.dir, n, l.st.Copy.Size)
	}
	if n == 0 {
		return nil
	}
	return l.checkEnd(l.st.Copy.End, n, l.hashReader(nil))
}

func (l *logState) loadSegment(f *os.File, s segment, n *int64) error {
	sc := bufio.NewScanner(io.NewSectionReader(f, 0, s.Bytes))
	sc.Buffer(make([]byte, 64<<10), maxLine)
	for sc.Scan() {
		rec, _, err := parseRecordLine(sc.Bytes())
		if err == nil && rec == nil {
			err = fmt.Errorf("an end line in the middle of the copy")
		}
		if err != nil {
			return err
		}
		if _, err := l.replay.Next(rec); err != nil {
			return err
		}
		sh, err := tlog.StoredHashesForRecordHash(*n, signet.LeafHash(rec.Hash), l.hashReader(nil))
		if err != nil {
			return err
		}
		l.hashes = append(l.hashes, sh...)
		*n++
	}
	if err := sc.Err(); err != nil {
		return err
	}
	if *n != s.First+s.Records {
		return fmt.Errorf("it holds %d records, its state says %d", *n-s.First, s.Records)
	}
	return nil
}

// checkEnd checks an export end line for the copy's first n records,
// whose tree hashes r reads: its checkpoint is signed by the log (R24)
// and of those records, or of more with the proof to it (R25).
func (l *logState) checkEnd(end *signet.WireExportEnd, n int64, r tlog.HashReader) error {
	if end == nil {
		return fmt.Errorf("witness: no end line for %d records", n)
	}
	if err := end.CheckTreeSize(n); err != nil {
		return err
	}
	cp, err := signet.OpenCheckpoint([]byte(end.Checkpoint), l.origin, l.verifier)
	if err != nil {
		return err
	}
	root, err := tlog.TreeHash(n, r)
	if err != nil {
		return err
	}
	return signet.CheckTree(cp, n, root, end.Consistency)
}

// hashReader reads the copy's stored hashes, then those of pending,
// the stored hashes of records being added after them.
func (l *logState) hashReader(pending []tlog.Hash) tlog.HashReader {
	base := l.hashes
	return tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			switch {
			case x < int64(len(base)):
				out[i] = base[x]
			case x-int64(len(base)) < int64(len(pending)):
				out[i] = pending[x-int64(len(base))]
			default:
				return nil, fmt.Errorf("witness: stored hash %d is beyond the copy", x)
			}
		}
		return out, nil
	})
}

// openSegment opens the last segment for appending, if there is one.
func (l *logState) openSegment() error {
	segs := l.st.Copy.Segments
	if len(segs) == 0 {
		return nil
	}
	f, err := os.OpenFile(filepath.Join(l.dir, copyDirName, segs[len(segs)-1].Name), os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	l.seg = f
	return nil
}

func (l *logState) close() {
	if l.seg != nil {
		l.seg.Close()
	}
}

// parseRecordLine checks one export line on its own: R1 (the line), R2
// and R3 (kind and time), R7 (the shown payload). It returns the record,
// or the end line with a nil record.
func parseRecordLine(b []byte) (*signet.Record, *signet.WireExportEnd, error) {
	w, end, err := signet.ParseExportLine(b)
	if err != nil || end != nil {
		return nil, end, err
	}
	rec, err := w.Record()
	if err != nil {
		return nil, nil, err
	}
	if err := signet.CheckShownPayload(w.Payload, rec.Payload); err != nil {
		return nil, nil, err
	}
	return rec, nil, nil
}

// maxLine bounds one export line: the audit's default.
const maxLine = 16 << 20
