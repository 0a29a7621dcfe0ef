package signettest

import (
	"crypto/rand"
	"testing"

	signet "github.com/signet-ledger/signet"
	fnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"
)

// Witness is a test witness key: a c2sp.org/tlog-cosignature (cosignature/v1)
// signer, made with transparency-dev's signer, and the vkey a policy's
// witness line names it by.
type Witness struct {
	Name   string
	VKey   string
	Signer note.Signer
}

// NewWitness returns a new witness key named name.
func NewWitness(t testing.TB, name string) Witness {
	t.Helper()
	skey, vkey, err := note.GenerateKey(rand.Reader, name)
	if err != nil {
		t.Fatal(err)
	}
	s, err := fnote.NewSignerForCosignatureV1(skey)
	if err != nil {
		t.Fatal(err)
	}
	cvkey, err := fnote.VKeyToCosignatureV1(vkey)
	if err != nil {
		t.Fatal(err)
	}
	return Witness{Name: name, VKey: cvkey, Signer: s}
}

// Cosign returns the checkpoint note cp with w's cosignature line added,
// as signetd adds a witness's answer.
func (w Witness) Cosign(t testing.TB, cp []byte) []byte {
	t.Helper()
	out, err := signet.AddSignatureLines(cp, w.Line(t, cp))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Line returns w's cosignature line for the checkpoint note cp, as a
// witness answers add-checkpoint.
func (w Witness) Line(t testing.TB, cp []byte) []byte {
	t.Helper()
	n, err := note.Sign(&note.Note{Text: string(signet.NoteText(cp))}, w.Signer)
	if err != nil {
		t.Fatal(err)
	}
	lines, err := signet.SignatureLines(n)
	if err != nil {
		t.Fatal(err)
	}
	return lines[0]
}
