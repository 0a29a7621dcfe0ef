package signet

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"

	"golang.org/x/mod/sumdb/tlog"
)

// The c2sp.org/tlog-witness wire format, shared by the log's pusher
// (ledger) and Signet's witness (package witness).

// MaxAddCheckpointBody bounds an add-checkpoint request body. The largest body the
// spec allows (63 proof lines, a checkpoint with a few signatures) is
// about 5 KiB; 64 KiB leaves room for extension lines and many cosignatures.
const MaxAddCheckpointBody = 64 << 10

// maxProofLines is the most consistency proof lines a client may send
// (c2sp.org/tlog-witness: "MUST NOT send more than 63").
const maxProofLines = 63

// AddCheckpointRequest is a parsed add-checkpoint body.
type AddCheckpointRequest struct {
	OldSize    int64
	Proof      tlog.TreeProof
	Checkpoint []byte // the signed note, from its origin line to its end
}

// ParseAddCheckpoint parses an add-checkpoint body, c2sp.org/tlog-witness:
//
//	old <size>\n
//	<base64 hash>\n      (0 to 63 lines)
//	\n
//	<checkpoint>
//
// The size is decimal with no sign and no leading zero (0 is "0"); each
// proof line is the canonical standard base64 of 32 bytes; every line,
// the checkpoint's included, ends in "\n". Anything else is a
// [*AddCheckpointError]. The checkpoint is not verified.
// The result does not alias body.
func ParseAddCheckpoint(body []byte) (*AddCheckpointRequest, error) {
	line, rest, ok := bytes.Cut(body, []byte("\n"))
	if !ok {
		return nil, addCheckpointErrorf("no old size line")
	}
	size, ok := bytes.CutPrefix(line, []byte("old "))
	if !ok {
		return nil, addCheckpointErrorf("the first line is not \"old <size>\"")
	}
	old, err := parseSize(string(size))
	if err != nil {
		return nil, err
	}
	req := &AddCheckpointRequest{OldSize: old}
	for {
		line, rest, ok = bytes.Cut(rest, []byte("\n"))
		if !ok {
			return nil, addCheckpointErrorf("no empty line before the checkpoint")
		}
		if len(line) == 0 {
			break
		}
		if len(req.Proof) == maxProofLines {
			return nil, addCheckpointErrorf("more than %d consistency proof lines", maxProofLines)
		}
		h, err := tlog.ParseHash(string(line))
		if err != nil || h.String() != string(line) {
			return nil, addCheckpointErrorf("proof line %d is not the base64 of a 32-byte hash", len(req.Proof)+1)
		}
		req.Proof = append(req.Proof, h)
	}
	if len(rest) == 0 || rest[len(rest)-1] != '\n' {
		return nil, addCheckpointErrorf("the checkpoint is empty or does not end in a newline")
	}
	req.Checkpoint = bytes.Clone(rest)
	return req, nil
}

// parseSize parses a tree size in its one spelling.
func parseSize(s string) (int64, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || strconv.FormatInt(n, 10) != s {
		return 0, addCheckpointErrorf("the size %q is not a decimal with no leading zero", trunc(s))
	}
	return n, nil
}

// Marshal encodes r as an add-checkpoint body: ParseAddCheckpoint's
// inverse.
func (r *AddCheckpointRequest) Marshal() []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "old %d\n", r.OldSize)
	for _, h := range r.Proof {
		b.WriteString(h.String() + "\n")
	}
	b.WriteByte('\n')
	b.Write(r.Checkpoint)
	return b.Bytes()
}

// ParseTreeSize parses a text/x.tlog.size body, a witness's 409 answer:
// the size of the tree it last cosigned, in decimal with no leading zero,
// and a newline.
func ParseTreeSize(body []byte) (int64, error) {
	s, ok := bytes.CutSuffix(body, []byte("\n"))
	if !ok {
		return 0, addCheckpointErrorf("the tree size %q does not end in a newline", trunc(string(body)))
	}
	return parseSize(string(s))
}

// ErrMalformedAddCheckpoint means an add-checkpoint body or a tree size
// body is not in its one spelling.
var ErrMalformedAddCheckpoint = errors.New("signet: malformed tlog-witness message")

// AddCheckpointError is a malformed add-checkpoint body. It wraps
// [ErrMalformedAddCheckpoint].
type AddCheckpointError struct{ Reason string }

func (e *AddCheckpointError) Error() string {
	return "signet: malformed add-checkpoint body: " + e.Reason
}
func (e *AddCheckpointError) Unwrap() error { return ErrMalformedAddCheckpoint }

func addCheckpointErrorf(format string, args ...any) error {
	return &AddCheckpointError{Reason: fmt.Sprintf(format, args...)}
}
