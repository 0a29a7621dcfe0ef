package signet_test

import (
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	signet "github.com/signet-ledger/signet"
	"github.com/signet-ledger/signet/internal/signettest"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

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
	x1, x2, x3, y1 := signettest.NewWitness(t, "x1.example"), signettest.NewWitness(t, "x2.example"), signettest.NewWitness(t, "x3.example"), signettest.NewWitness(t, "y1.example")
	policy := fmt.Sprintf(`# two of the X witnesses and the Y one
log %s https://example.com/log
witness X1 %s https://x1.example/
witness X2 %s
	witness X3 %s
witness Y1 %s
group X 2 X1 X2 X3
group XY all X Y1
quorum XY
`, vkey, x1.VKey, x2.VKey, x3.VKey, y1.VKey)
	p, err := signet.ParsePolicy([]byte(policy))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Witnesses) != 4 || p.Witnesses[0].URL != "https://x1.example/" || p.Witnesses[1].URL != "" || p.Logs[0].Origin != "example.com/log" {
		t.Fatalf("parsed %+v", p)
	}

	for _, tc := range []struct {
		by      []signettest.Witness
		missing []string // nil: meets the quorum
	}{
		{nil, []string{"X1", "X2", "X3", "Y1"}},
		{[]signettest.Witness{x1, y1}, []string{"X2", "X3"}},
		{[]signettest.Witness{x1, x2}, []string{"X3", "Y1"}},
		{[]signettest.Witness{x1, x3, y1}, nil},
		{[]signettest.Witness{x1, x2, x3, y1}, nil},
	} {
		c := cp
		var names []string
		for _, w := range tc.by {
			c = w.Cosign(t, c)
			names = append(names, w.Name)
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
	for _, w := range []signettest.Witness{x1, x2, y1} {
		lines, _ := signet.SignatureLines(w.Cosign(t, other))
		forged, _ = signet.AddSignatureLines(forged, lines[1])
	}
	if got := p.Cosigners(forged); len(got) != 0 {
		t.Errorf("cosignatures of another checkpoint counted: %v", got)
	}
	// A log key given that the policy does not name is refused: neither
	// may be trusted over the other.
	_, vkey2, _ := note.GenerateKey(rand.Reader, "example.com/log")
	if _, err := p.Open(x1.Cosign(t, x3.Cosign(t, y1.Cosign(t, cp))), "example.com/log", vkey2); !errors.Is(err, signet.ErrPolicyLogKey) {
		t.Errorf("a log key the policy does not name: %v, want ErrPolicyLogKey", err)
	}
	if _, err := p.Open(x1.Cosign(t, x3.Cosign(t, y1.Cosign(t, cp))), "example.com/log", vkey); err != nil {
		t.Errorf("the policy's own log key given: %v", err)
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
	w1, w2 := signettest.NewWitness(t, "w1"), signettest.NewWitness(t, "w2")
	for _, tc := range []struct{ policy, want string }{
		{"", "no quorum line"},
		{"witness A " + w1.VKey + "\n", "no quorum line"},
		{"quorum A\n", "not defined"},
		{"witness A " + w1.VKey + "\nwitness A " + w2.VKey + "\nquorum A\n", "already defined"},
		{"witness A " + w1.VKey + "\nwitness B " + w1.VKey + "\nquorum A\n", "same key"},
		{"witness A " + w1.VKey + "\ngroup G 2 A\nquorum G\n", "threshold"},
		{"witness A " + w1.VKey + "\ngroup G 0 A\nquorum G\n", "threshold"},
		{"witness A " + w1.VKey + "\ngroup G 01 A\nquorum G\n", "threshold"},
		{"witness A " + w1.VKey + "\ngroup G any A A\nquorum G\n", "twice"},
		{"group G any B\nwitness B " + w2.VKey + "\nquorum G\n", "not defined"},
		{"witness none " + w1.VKey + "\nquorum none\n", "keyword"},
		{"witness A notakey\nquorum A\n", "witness key"},
		{"log " + vkey + "\nlog " + vkey + "\nquorum none\n", "same log key"},
		{"witness A " + w1.VKey + "\nquorum A\nquorum A\n", "second quorum"},
		{"frobnicate\nquorum none\n", "unknown keyword"},
		{"quorum none\x00\n", "control character"},
		{"witness A " + w1.VKey + " https://a/ extra\nquorum A\n", "want: witness"},
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
