package signet

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"

	"github.com/transparency-dev/formats/proof"
)

// tlogProofHeader is the first line of a c2sp.org/tlog-proof@v1 proof.
const tlogProofHeader = "c2sp.org/tlog-proof@v1"

// MaxReceiptSize bounds a receipt, and any tlog-proof [ParseTLogProof]
// reads: room for a record of 4 MiB twice over, in base64.
const MaxReceiptSize = 16 << 20

// maxProofHashes bounds an inclusion proof: a tree of up to 2^63 leaves
// has at most 63 hashes in one.
const maxProofHashes = 63

// ErrBadProof means a tlog-proof or a receipt is not in its one form.
var ErrBadProof = errors.New("signet: bad tlog-proof")

// ParseTLogProof parses a c2sp.org/tlog-proof@v1 proof:
//
//	c2sp.org/tlog-proof@v1\n
//	[extra <base64 of the extra data>\n]
//	index <decimal>\n
//	<base64 of a 32-byte hash>\n      (zero or more: the inclusion proof)
//	\n
//	<checkpoint: a signed note, verbatim>
//
// It accepts exactly the bytes that transparency-dev/formats'
// [proof.TLogProof.Marshal] writes for the result, and nothing else: lines
// end with "\n" alone; base64 is standard, padded and canonical; the index
// has no leading zero; the checkpoint is not empty, ends with a newline
// and has no control character but newline (c2sp.org/signed-note). It
// does not verify the checkpoint. Every error wraps [ErrBadProof].
//
// transparency-dev/formats' own [proof.TLogProof.Unmarshal] is lenient
// (it takes "\r\n", an index with leading zeros, non-canonical base64,
// a missing checkpoint) and refuses any line over 64 KiB, which a receipt's
// extra line may well be, so it serves only as the fuzz oracle of this
// parser.
func ParseTLogProof(b []byte) (*proof.TLogProof, error) {
	bad := func(format string, args ...any) (*proof.TLogProof, error) {
		return nil, fmt.Errorf("%w: %s", ErrBadProof, fmt.Sprintf(format, args...))
	}
	if len(b) > MaxReceiptSize {
		return bad("larger than %d bytes", MaxReceiptSize)
	}
	rest := b
	next := func() ([]byte, bool) {
		line, after, ok := bytes.Cut(rest, []byte("\n"))
		rest = after
		return line, ok
	}
	if line, ok := next(); !ok || string(line) != tlogProofHeader {
		return bad("the first line is not %q", tlogProofHeader)
	}
	p := &proof.TLogProof{}
	line, ok := next()
	if e, isExtra := bytes.CutPrefix(line, []byte("extra ")); ok && isExtra {
		var err error
		if p.ExtraData, err = canonicalBase64(e); err != nil {
			return bad("the extra line: %v", err)
		}
		line, ok = next()
	}
	idx, isIndex := bytes.CutPrefix(line, []byte("index "))
	if !ok || !isIndex {
		return bad(`no "index" line where it belongs`)
	}
	n, err := strconv.ParseUint(string(idx), 10, 64)
	if err != nil || strconv.FormatUint(n, 10) != string(idx) {
		return bad("the index %q is not a decimal number without leading zeros", trunc(string(idx)))
	}
	p.Index = n
	p.Hashes = [][32]byte{}
	for {
		line, ok := next()
		if !ok {
			return bad("no empty line before the checkpoint")
		}
		if len(line) == 0 {
			break
		}
		h, err := canonicalBase64(line)
		if err != nil || len(h) != 32 {
			return bad("proof hash %d is not the base64 of 32 bytes", len(p.Hashes)+1)
		}
		if len(p.Hashes) == maxProofHashes {
			return bad("more than %d proof hashes", maxProofHashes)
		}
		p.Hashes = append(p.Hashes, [32]byte(h))
	}
	if len(rest) == 0 || rest[len(rest)-1] != '\n' {
		return bad("the checkpoint is missing or does not end with a newline")
	}
	for _, c := range rest {
		if c < 0x20 && c != '\n' || c == 0x7f {
			return bad("the checkpoint has the control character %#02x", c)
		}
	}
	p.Checkpoint = bytes.Clone(rest)
	return p, nil
}

// canonicalBase64 decodes standard, padded base64 that is the one
// encoding of its bytes.
func canonicalBase64(s []byte) ([]byte, error) {
	b, err := base64.StdEncoding.Strict().DecodeString(string(s))
	if err != nil || base64.StdEncoding.EncodeToString(b) != string(s) {
		return nil, errors.New("not canonical standard base64")
	}
	return b, nil
}
