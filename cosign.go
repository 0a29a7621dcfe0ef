package signet

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"fmt"

	"golang.org/x/mod/sumdb/note"
)

// A signed note is its text, a blank line, and one signature line per
// signature (c2sp.org/signed-note):
//
//	— <key name> <base64 of key id and signature>\n
//
// A cosigned checkpoint is the log's checkpoint note with the witnesses'
// cosignature lines (c2sp.org/tlog-cosignature) appended after the log's.

// sigPrefix starts every signature line: an em dash and a space.
const sigPrefix = "\u2014 "

// SignatureLines returns the signature lines of the note msg, each with
// its newline, or an error if msg is not a signed note.
func SignatureLines(msg []byte) ([][]byte, error) {
	i := bytes.LastIndex(msg, []byte("\n\n"))
	if i < 0 {
		return nil, fmt.Errorf("%w: not a signed note", ErrBadCheckpoint)
	}
	return splitSignatureLines(msg[i+2:])
}

func splitSignatureLines(b []byte) ([][]byte, error) {
	var out [][]byte
	for len(b) > 0 {
		j := bytes.IndexByte(b, '\n')
		if j < 0 {
			return nil, fmt.Errorf("%w: a signature line does not end with a newline", ErrBadCheckpoint)
		}
		line := b[:j+1]
		name, sig, ok := bytes.Cut(bytes.TrimPrefix(line[:j], []byte(sigPrefix)), []byte(" "))
		if !bytes.HasPrefix(line, []byte(sigPrefix)) || !ok || len(name) == 0 || len(sig) == 0 {
			return nil, fmt.Errorf("%w: %q is not a signature line", ErrBadCheckpoint, line)
		}
		out = append(out, line)
		b = b[j+1:]
	}
	return out, nil
}

// AddSignatureLines returns the note msg with the signature lines in
// lines (as a witness answers an add-checkpoint request) appended, each
// at most once: a line msg already carries is not added again. It checks
// the lines' form, not their signatures.
func AddSignatureLines(msg, lines []byte) ([]byte, error) {
	have, err := SignatureLines(msg)
	if err != nil {
		return nil, err
	}
	add, err := splitSignatureLines(lines)
	if err != nil {
		return nil, err
	}
	out := bytes.Clone(msg)
	for _, l := range add {
		dup := false
		for _, h := range have {
			dup = dup || bytes.Equal(h, l)
		}
		if !dup {
			out = append(out, l...)
			have = append(have, l)
		}
	}
	return out, nil
}

// NoteText returns the text of the signed note msg (everything before the
// signature lines, with its final newline), or nil if msg is not a note.
// Two notes with the same text are the same checkpoint, whoever signed
// them.
func NoteText(msg []byte) []byte {
	i := bytes.LastIndex(msg, []byte("\n\n"))
	if i < 0 {
		return nil
	}
	return msg[:i+1]
}

// onlySignedBy returns the note msg with only the signature lines of v's
// key (its name and key hash), the others (cosignatures) removed. msg
// must be a note that verified with v.
func onlySignedBy(msg []byte, v note.Verifier) []byte {
	lines, err := SignatureLines(msg)
	text := NoteText(msg)
	if err != nil || text == nil {
		return msg
	}
	out := append(bytes.Clone(text), '\n')
	for _, l := range lines {
		name, b64, _ := bytes.Cut(bytes.TrimSuffix(bytes.TrimPrefix(l, []byte(sigPrefix)), []byte("\n")), []byte(" "))
		sig, err := base64.StdEncoding.DecodeString(string(b64))
		if err == nil && len(sig) >= 4 && string(name) == v.Name() && binary.BigEndian.Uint32(sig) == v.KeyHash() {
			out = append(out, l...)
		}
	}
	return out
}
