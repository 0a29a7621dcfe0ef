package signet

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"time"

	fnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"
)

// NoteSignature is what one signature line of a signed note says of
// itself, unverified: the key's name and hash and, for a cosignature
// (c2sp.org/tlog-cosignature, cosignature/v1), the time the witness
// cosigned.
type NoteSignature struct {
	Name    string
	KeyHash uint32
	// Time is the cosignature/v1 timestamp, read with transparency-dev's
	// [fnote.CoSigV1Timestamp]; zero for an Ed25519 note signature, such
	// as the log's own.
	Time time.Time
}

// NoteSignatures returns the signature lines of the signed note msg
// ([SignatureLines]) as they read, in order. It verifies none: who may be
// believed is the verifier's business ([OpenCheckpoint], [Policy.Check]).
func NoteSignatures(msg []byte) ([]NoteSignature, error) {
	lines, err := SignatureLines(msg)
	if err != nil {
		return nil, err
	}
	out := make([]NoteSignature, 0, len(lines))
	for _, l := range lines {
		name, b64, _ := bytes.Cut(bytes.TrimSuffix(bytes.TrimPrefix(l, []byte(sigPrefix)), []byte("\n")), []byte(" "))
		s := NoteSignature{Name: string(name)}
		if raw, err := base64.StdEncoding.DecodeString(string(b64)); err == nil && len(raw) >= 4 {
			s.KeyHash = binary.BigEndian.Uint32(raw)
		}
		if t, err := fnote.CoSigV1Timestamp(note.Signature{Name: s.Name, Hash: s.KeyHash, Base64: string(b64)}); err == nil {
			s.Time = t.UTC()
		}
		out = append(out, s)
	}
	return out, nil
}
