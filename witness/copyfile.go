package witness

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/signet-ledger/signet"
	"github.com/signet-ledger/signet/internal/atomicfile"
	"golang.org/x/mod/sumdb/tlog"
)

// copyDirName is the folder of a log's copy, under the log's folder.
const copyDirName = "copy"

// segmentName is the file name of the segment whose first record is first:
// 20 digits, so that the names sort in log order.
func segmentName(first int64) string { return fmt.Sprintf("%020d.ndjson", first) }

// cutCopy brings the copy's files back to cs, its committed state: each
// segment is cut to its committed length and files no segment names
// (a segment begun by an update that did not commit) are deleted.
func cutCopy(dir string, cs *copyState) error {
	cdir := filepath.Join(dir, copyDirName)
	if err := os.MkdirAll(cdir, 0o700); err != nil {
		return err
	}
	keep := map[string]int64{}
	for _, s := range cs.Segments {
		keep[s.Name] = s.Bytes
	}
	ents, err := os.ReadDir(cdir)
	if err != nil {
		return err
	}
	for _, e := range ents {
		p := filepath.Join(cdir, e.Name())
		n, ok := keep[e.Name()]
		if !ok {
			if err := os.Remove(p); err != nil {
				return err
			}
			continue
		}
		if err := os.Truncate(p, n); err != nil {
			return err
		}
		delete(keep, e.Name())
	}
	for name := range keep {
		return fmt.Errorf("witness: %s: segment %s of the copy is missing", dir, name)
	}
	return atomicfile.SyncDir(cdir)
}

// Copy is the witness's verified copy of one log, read from its state
// dir: its committed records and the end line that makes them an export
// (docs: the package's "On disk").
type Copy struct {
	Origin string
	Size   int64
	End    *signet.WireExportEnd // nil while the copy is empty
	dir    string
	segs   []segment
}

// ErrNoCopy means a folder holds no witness copy.
var ErrNoCopy = errors.New("witness: no witness copy here")

// OpenCopy reads the copy in a log's folder (STATE/logs/<origin>, the
// folder holding state.json), or in a state dir that holds exactly one
// log. It may run while the witness runs: it reads only what committed.
func OpenCopy(dir string) (*Copy, error) {
	if _, err := os.Stat(filepath.Join(dir, stateFile)); err != nil {
		logs, _ := filepath.Glob(filepath.Join(dir, "logs", "*", stateFile))
		if len(logs) != 1 {
			return nil, fmt.Errorf("%w: %s has no %s, nor logs/*/%s for exactly one log", ErrNoCopy, dir, stateFile, stateFile)
		}
		dir = filepath.Dir(logs[0])
	}
	st, err := readState(dir)
	if err != nil {
		return nil, err
	}
	return &Copy{Origin: st.Origin, Size: st.Copy.Size, End: st.Copy.End, dir: dir, segs: st.Copy.Segments}, nil
}

// OpenLogCopy opens the copy of origin's log in the state dir stateDir.
func OpenLogCopy(stateDir, origin string) (*Copy, error) {
	return OpenCopy(filepath.Join(stateDir, "logs", logDirName(origin)))
}

// Export returns the copy as an export (docs/PROTOCOL.md §7): its
// segments' committed records, then its end line. [audit.Audit] checks
// it as any export, and signetd import loads it when the end line's
// checkpoint is of exactly the copy's records (as it is once the copy
// caught up with a checkpoint the log published). The caller closes it.
func (c *Copy) Export() (io.ReadCloser, error) {
	if c.End == nil {
		return nil, fmt.Errorf("%w: the copy of %s is empty", ErrNoCopy, c.Origin)
	}
	var rs []io.Reader
	var files []*os.File
	closeAll := func() {
		for _, f := range files {
			f.Close()
		}
	}
	for _, s := range c.segs {
		f, err := os.Open(filepath.Join(c.dir, copyDirName, s.Name))
		if err != nil {
			closeAll()
			return nil, err
		}
		files = append(files, f)
		rs = append(rs, io.NewSectionReader(f, 0, s.Bytes))
	}
	end, err := endLine(c.End)
	if err != nil {
		closeAll()
		return nil, err
	}
	rs = append(rs, bytes.NewReader(end))
	return &multiCloser{Reader: io.MultiReader(rs...), close: closeAll}, nil
}

// endLine encodes an export's end line, with "consistency" never null.
func endLine(e *signet.WireExportEnd) ([]byte, error) {
	end := *e
	if end.Consistency == nil {
		end.Consistency = tlog.TreeProof{}
	}
	b, err := json.Marshal(end)
	return append(b, '\n'), err
}

type multiCloser struct {
	io.Reader
	close func()
}

func (m *multiCloser) Close() error { m.close(); return nil }

// logDirName is the folder name of a log: its origin with every byte
// outside [A-Za-z0-9.-] written %XX, so that "/" makes no subfolder.
func logDirName(origin string) string {
	var b strings.Builder
	for i := 0; i < len(origin); i++ {
		c := origin[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}
