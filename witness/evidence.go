package witness

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/signet-ledger/signet/internal/atomicfile"
)

// evidence is the files a refusal keeps, by name: held.checkpoint (what
// the witness held), presented.checkpoint (what it was shown),
// request.body (an add-checkpoint's body, with its proof), records.ndjson
// and end.json (an export's lines), and reason.txt, which
// [logState.refuse] adds.
type evidence map[string][]byte

// refuse keeps ev under the log's evidence folder and returns the
// [*RefusedError] naming it. The same evidence is kept once: a log that
// sends the same refused checkpoint again adds nothing. A failure to
// keep it is logged, and the refusal returned without it.
func (l *logState) refuse(kind, reason string, ev evidence, cause error) error {
	err := &RefusedError{Origin: l.origin, Kind: kind, Reason: reason, Err: cause}
	dir, kerr := l.keep(kind, reason, ev)
	if kerr != nil {
		l.w.log.Error("witness: keeping evidence", "origin", l.origin, "err", kerr)
	}
	err.Evidence = dir
	l.w.log.Warn("witness: refused", "origin", l.origin, "kind", kind, "reason", reason, "evidence", dir)
	return err
}

// keep writes ev to evidence/<kind>-<time>-<hash of ev>, fsynced and
// renamed into place whole, unless a folder with that hash exists.
func (l *logState) keep(kind, reason string, ev evidence) (string, error) {
	h := sha256.New()
	names := make([]string, 0, len(ev))
	for name := range ev {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		fmt.Fprintf(h, "%s %d\n", name, len(ev[name]))
		h.Write(ev[name])
	}
	sum := hex.EncodeToString(h.Sum(nil)[:8])
	root := filepath.Join(l.dir, "evidence")
	if old, _ := filepath.Glob(filepath.Join(root, kind+"-*-"+sum)); len(old) > 0 {
		return old[0], nil
	}
	if err := os.MkdirAll(root, 0o700); err != nil {
		return "", err
	}
	now := time.Now().UTC()
	tmp, err := os.MkdirTemp(root, ".tmp-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp) // a no-op once renamed
	ev["reason.txt"] = fmt.Appendf(nil, "%s\nlog %s, refused at %s: %s\n", kind, l.origin, now.Format(time.RFC3339), reason)
	for name, b := range ev {
		if err := writeSynced(filepath.Join(tmp, name), b); err != nil {
			return "", err
		}
	}
	if err := atomicfile.SyncDir(tmp); err != nil {
		return "", err
	}
	dir := filepath.Join(root, fmt.Sprintf("%s-%s-%s", kind, now.Format("20060102T150405Z"), sum))
	if err := os.Rename(tmp, dir); err != nil {
		return "", err
	}
	return dir, atomicfile.SyncDir(root)
}

func writeSynced(path string, b []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
