package witness

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/signet-ledger/signet"
	"github.com/signet-ledger/signet/internal/atomicfile"
	"golang.org/x/mod/sumdb/tlog"
)

// stateFile is the name of a log's state in its folder.
const stateFile = "state.json"

// state is one log's persistent state: what its copy holds, the latest
// checkpoint the witness cosigned, and whether it refused the log. It is
// replaced whole, atomically, on every change ([writeState]).
type state struct {
	Origin string `json:"origin"`
	LogKey string `json:"log_key"`
	// Generation counts the state's versions: each write is the one after
	// the version it replaces.
	Generation int64     `json:"generation"`
	Copy       copyState `json:"copy"`
	Cosigned   *cosigned `json:"cosigned,omitempty"`
	Refused    *refusal  `json:"refused,omitempty"`
}

// copyState is the committed part of the copy: the segments' committed
// lengths and the end line that makes them an export.
type copyState struct {
	Size     int64     `json:"size"`
	Segments []segment `json:"segments"`
	// End is the export end line of the copy's Size records: a checkpoint
	// signed by the log of exactly Size records, or of more with the
	// consistency proof to it. Nil while the copy is empty.
	End *signet.WireExportEnd `json:"end,omitempty"`
}

// segment is one NDJSON file of the copy: records First to
// First+Records-1, in Bytes bytes. Bytes beyond it are an update that
// did not commit, cut off at start-up.
type segment struct {
	Name    string `json:"name"`
	First   int64  `json:"first"`
	Records int64  `json:"records"`
	Bytes   int64  `json:"bytes"`
}

// cosigned is the latest checkpoint the witness cosigned.
type cosigned struct {
	Size int64     `json:"size"`
	Root tlog.Hash `json:"root"`
	// Checkpoint is the note with the log's signatures the witness
	// verified and the witness's cosignature: what GET
	// /<origin hash>/checkpoint serves.
	Checkpoint string    `json:"checkpoint"`
	Time       time.Time `json:"time"`
}

// refusal records that the log's records broke a rule: the copy stops
// before them and no larger checkpoint is ever cosigned.
type refusal struct {
	Index    int64     `json:"index"`
	Rule     string    `json:"rule"`
	Reason   string    `json:"reason"`
	Evidence string    `json:"evidence"`
	Time     time.Time `json:"time"`
}

// readState reads dir's state; a missing file is the empty state.
func readState(dir string) (*state, error) {
	b, err := os.ReadFile(filepath.Join(dir, stateFile))
	if errors.Is(err, fs.ErrNotExist) {
		return &state{}, nil
	}
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var st state
	if err := dec.Decode(&st); err != nil {
		return nil, fmt.Errorf("witness: %s: %w", filepath.Join(dir, stateFile), err)
	}
	return &st, nil
}

// writeState replaces dir's state with st atomically: a temporary file,
// written and fsynced, renamed over the state, then the folder fsynced.
// A crash leaves the old state or the new one, and perhaps a temporary
// file, which [atomicfile.RemoveTemps] deletes.
func writeState(dir string, st *state) error {
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.Write(filepath.Join(dir, stateFile), append(b, '\n'))
}

// ErrLocked means another process holds the state dir.
var ErrLocked = errors.New("witness: another process holds the state dir")

// lockDir takes an exclusive lock on dir/LOCK, held until the file is
// closed, so that two witnesses never share a state dir.
func lockDir(dir string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, "LOCK"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w: %s", ErrLocked, dir)
		}
		return nil, err
	}
	return f, nil
}
