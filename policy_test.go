package signet_test

import (
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	signet "github.com/signet-ledger/signet"
	fnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// testWitness is a cosignature/v1 signer and the vkey a policy names it by.
type testWitness struct {
	name, vkey string
	signer     note.Signer
}

func newTestWitness(t *testing.T, name string) testWitness {
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
	return testWitness{name: name, vkey: cvkey, signer: s}
}

// cosign returns cp with w's cosignature line appended.
func (w testWitness) cosign(t *testing.T, cp []byte) []byte {
	t.Helper()
	n, err := note.Sign(&note.Note{Text: string(signet.NoteText(cp))}, w.signer)
	if err != nil {
		t.Fatal(err)
	}
	lines, err := signet.SignatureLines(n)
	if err != nil {
		t.Fatal(err)
	}
	out, err := signet.AddSignatureLines(cp, lines[0])
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestPolicyQuorum(t *testing.T) {
	skey, vkey, err := note.GenerateKey(rand.Reader, "example.com/log")
	if err != nil {
		t.Fatal(err)
	}
	s, _ := note.NewSigner(skey)
	cp, err := signet.SignCheckpoint(s, "example.com/log", 5, tlog.Hash{1})
	if err != nil {
		t.Fatal(err)
	}
	x1, x2, x3, y1 := newTestWitness(t, "x1.example"), newTestWitness(t, "x2.example"), newTestWitness(t, "x3.example"), newTestWitness(t, "y1.example")
	policy := fmt.Sprintf(`# two of the X witnesses and the Y one
log %s https://example.com/log
witness X1 %s https://x1.example/
witness X2 %s
	witness X3 %s
witness Y1 %s
group X 2 X1 X2 X3
group XY all X Y1
quorum XY
`, vkey, x1.vkey, x2.vkey, x3.vkey, y1.vkey)
	p, err := signet.ParsePolicy([]byte(policy))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Witnesses) != 4 || p.Witnesses[0].URL != "https://x1.example/" || p.Witnesses[1].URL != "" || p.Logs[0].Origin != "example.com/log" {
		t.Fatalf("parsed %+v", p)
	}

	for _, tc := range []struct {
		by      []testWitness
		missing []string // nil: meets the quorum
	}{
		{nil, []string{"X1", "X2", "X3", "Y1"}},
		{[]testWitness{x1, y1}, []string{"X2", "X3"}},
		{[]testWitness{x1, x2}, []string{"X3", "Y1"}},
		{[]testWitness{x1, x3, y1}, nil},
		{[]testWitness{x1, x2, x3, y1}, nil},
	} {
		c := cp
		var names []string
		for _, w := range tc.by {
			c = w.cosign(t, c)
			names = append(names, w.name)
		}
		_, err := p.Open(c, "example.com/log", "")
		var qe *signet.QuorumError
		switch {
		case tc.missing == nil && err != nil:
			t.Errorf("cosigned by %v: %v", names, err)
		case tc.missing != nil && !errors.As(err, &qe):
			t.Errorf("cosigned by %v: got %v, want a QuorumError", names, err)
		case tc.missing != nil && !slices.Equal(qe.Missing, tc.missing):
			t.Errorf("cosigned by %v: missing %v, want %v", names, qe.Missing, tc.missing)
		}
	}

	// A cosignature of another checkpoint, or a broken one, counts for nothing.
	other, _ := signet.SignCheckpoint(s, "example.com/log", 6, tlog.Hash{1})
	forged := append(signet.NoteText(cp), '\n')
	forged = append(forged, cp[len(signet.NoteText(cp))+1:]...)
	for _, w := range []testWitness{x1, x2, y1} {
		lines, _ := signet.SignatureLines(w.cosign(t, other))
		forged, _ = signet.AddSignatureLines(forged, lines[1])
	}
	if got := p.Cosigners(forged); len(got) != 0 {
		t.Errorf("cosignatures of another checkpoint counted: %v", got)
	}
	// A checkpoint of another log key is refused before the quorum.
	_, vkey2, _ := note.GenerateKey(rand.Reader, "example.com/log")
	if _, err := p.Open(x1.cosign(t, x3.cosign(t, y1.cosign(t, cp))), "example.com/log", vkey2); err != nil {
		t.Errorf("the policy's log key should win over the one given: %v", err)
	}
	p2, _ := signet.ParsePolicy([]byte(fmt.Sprintf("log %s\nquorum none\n", vkey2)))
	if _, err := p2.Open(cp, "example.com/log", ""); !errors.Is(err, signet.ErrBadCheckpoint) {
		t.Errorf("a checkpoint of another key: %v", err)
	}
	if _, err := p2.Open(cp, "other.example/log", ""); err == nil {
		t.Errorf("an origin the policy does not list was accepted")
	}
}

func TestParsePolicyErrors(t *testing.T) {
	_, vkey, _ := note.GenerateKey(rand.Reader, "example.com/log")
	w1, w2 := newTestWitness(t, "w1"), newTestWitness(t, "w2")
	for _, tc := range []struct{ policy, want string }{
		{"", "no quorum line"},
		{"witness A " + w1.vkey + "\n", "no quorum line"},
		{"quorum A\n", "not defined"},
		{"witness A " + w1.vkey + "\nwitness A " + w2.vkey + "\nquorum A\n", "already defined"},
		{"witness A " + w1.vkey + "\nwitness B " + w1.vkey + "\nquorum A\n", "same key"},
		{"witness A " + w1.vkey + "\ngroup G 2 A\nquorum G\n", "threshold"},
		{"witness A " + w1.vkey + "\ngroup G 0 A\nquorum G\n", "threshold"},
		{"witness A " + w1.vkey + "\ngroup G 01 A\nquorum G\n", "threshold"},
		{"witness A " + w1.vkey + "\ngroup G any A A\nquorum G\n", "twice"},
		{"group G any B\nwitness B " + w2.vkey + "\nquorum G\n", "not defined"},
		{"witness none " + w1.vkey + "\nquorum none\n", "keyword"},
		{"witness A notakey\nquorum A\n", "witness key"},
		{"log " + vkey + "\nlog " + vkey + "\nquorum none\n", "same log key"},
		{"witness A " + w1.vkey + "\nquorum A\nquorum A\n", "second quorum"},
		{"frobnicate\nquorum none\n", "unknown keyword"},
		{"quorum none\x00\n", "control character"},
		{"witness A " + w1.vkey + " https://a/ extra\nquorum A\n", "want: witness"},
	} {
		_, err := signet.ParsePolicy([]byte(tc.policy))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: got %v, want an error containing %q", tc.policy, err, tc.want)
		}
	}
	if p, err := signet.ParsePolicy([]byte("  # none needed\n\nquorum none\n")); err != nil || p.Check([]byte("x")) != nil {
		t.Errorf("quorum none: %v", err)
	}
}
