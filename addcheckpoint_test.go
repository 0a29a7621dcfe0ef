package signet

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

const testCheckpoint = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n— example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n"

const proofLine = "PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=\n"

func TestParseAddCheckpoint(t *testing.T) {
	for _, c := range []struct {
		name, body string
		old        int64
		proof      int
	}{
		{"NoProof", "old 0\n\n" + testCheckpoint, 0, 0},
		{"Proof", "old 20852014\n" + proofLine + proofLine + "\n" + testCheckpoint, 20852014, 2},
		{"MaxProof", "old 1\n" + strings.Repeat(proofLine, 63) + "\n" + testCheckpoint, 1, 63},
	} {
		t.Run(c.name, func(t *testing.T) {
			r, err := ParseAddCheckpoint([]byte(c.body))
			if err != nil || r.OldSize != c.old || len(r.Proof) != c.proof || string(r.Checkpoint) != testCheckpoint {
				t.Fatalf("ParseAddCheckpoint = %+v, %v; want old %d, %d proof lines", r, err, c.old, c.proof)
			}
			if got := r.Marshal(); string(got) != c.body {
				t.Errorf("Marshal() = %q, want %q", got, c.body)
			}
		})
	}
	for _, c := range []struct{ name, body string }{
		{"Empty", ""},
		{"NoNewline", "old 0"},
		{"NoOld", "0\n\n" + testCheckpoint},
		{"OldTwoSpaces", "old  1\n\n" + testCheckpoint},
		{"OldLeadingZero", "old 01\n\n" + testCheckpoint},
		{"OldPlus", "old +1\n\n" + testCheckpoint},
		{"OldNegative", "old -1\n\n" + testCheckpoint},
		{"OldHex", "old 0x10\n\n" + testCheckpoint},
		{"OldOverflow", "old 99999999999999999999\n\n" + testCheckpoint},
		{"OldCRLF", "old 1\r\n\r\n" + testCheckpoint},
		{"NoEmptyLine", "old 1\n" + proofLine},
		{"ProofNotBase64", "old 1\nnot base64!\n\n" + testCheckpoint},
		{"ProofShort", "old 1\nPlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpka==\n\n" + testCheckpoint},
		{"ProofUnpadded", "old 1\nPlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw\n\n" + testCheckpoint},
		{"ProofNonCanonical", "old 1\nPlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkax=\n\n" + testCheckpoint},
		{"Proof64Lines", "old 1\n" + strings.Repeat(proofLine, 64) + "\n" + testCheckpoint},
		{"NoCheckpoint", "old 0\n\n"},
		{"CheckpointNoFinalNewline", "old 0\n\n" + strings.TrimSuffix(testCheckpoint, "\n")},
	} {
		t.Run(c.name, func(t *testing.T) {
			r, err := ParseAddCheckpoint([]byte(c.body))
			if !errors.Is(err, ErrMalformedAddCheckpoint) {
				t.Errorf("ParseAddCheckpoint(%q) = %+v, %v; want ErrMalformed", c.body, r, err)
			}
			if _, ok := errors.AsType[*AddCheckpointError](err); !ok {
				t.Errorf("ParseAddCheckpoint(%q) error %T is not a *AddCheckpointError", c.body, err)
			}
		})
	}
}

// FuzzParseAddCheckpoint checks that the parser never panics and that
// whatever it accepts re-encodes to the same bytes: one spelling per body.
func FuzzParseAddCheckpoint(f *testing.F) {
	f.Add([]byte("old 0\n\n" + testCheckpoint))
	f.Add([]byte("old 20852014\n" + proofLine + "\n" + testCheckpoint))
	f.Add([]byte("old 1\n\n\n"))
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := ParseAddCheckpoint(body)
		if err != nil {
			if !errors.Is(err, ErrMalformedAddCheckpoint) {
				t.Fatalf("ParseAddCheckpoint error %v is not ErrMalformed", err)
			}
			return
		}
		if got := r.Marshal(); !bytes.Equal(got, body) {
			t.Fatalf("ParseAddCheckpoint(%q).Marshal() = %q", body, got)
		}
	})
}
