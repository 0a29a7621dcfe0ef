package audit_test

import (
	"bytes"
	"errors"
	"slices"
	"testing"

	"github.com/signet-ledger/signet"
	"github.com/signet-ledger/signet/audit"
)

// resumeAt audits the fixture's first m records (an export stopping at
// m, with the proof to the checkpoint) and returns where it stopped.
func resumeAt(t *testing.T, f *fixture, m int64) *audit.Resume {
	t.Helper()
	export := append(bytes.Join(f.lines[:m], []byte("\n")), '\n')
	s, err := f.audit(t, append(export, f.g.endLine(m)...), audit.Options{})
	if err != nil || s.Resume == nil || s.Resume.Size != m {
		t.Fatalf("Audit(first %d records) = %+v, %v; want a resume state of %d records", m, s, err, m)
	}
	return s.Resume
}

// from returns the export of lines from record m to the end line.
func from(lines [][]byte, m int64) []byte {
	return append(bytes.Join(lines[m:], []byte("\n")), '\n')
}

// TestAuditResume audits the fixture in two parts, the second resumed
// where the first stopped, and gets the full audit's verdict and state.
func TestAuditResume(t *testing.T) {
	f := newFixture(t)
	full, err := f.audit(t, f.export(), audit.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []int64{1, 2, 5, 6, 8, 12, 13} {
		r := resumeAt(t, f, m)
		s, err := f.audit(t, from(f.lines, m), audit.Options{Resume: r, Checkpoint: f.g.checkpoint(f.g.signer, 13)})
		if err != nil {
			t.Fatalf("Audit(resumed at %d) = %v", m, err)
		}
		got, want := s.Resume, full.Resume
		if s.Records != 13 || s.Root != full.Root || got.Size != want.Size || got.Prev != want.Prev ||
			!slices.Equal(got.Tree, want.Tree) || len(got.KeyRecords) != len(want.KeyRecords) || got.Root() != full.Root {
			t.Errorf("Audit(resumed at %d) = %d records, root %s, resume %+v; want the full audit's %s, %+v", m, s.Records, s.Root, got, full.Root, want)
		}
	}
}

// TestAuditResumeDamage: a resumed audit still refuses what the full one
// refuses, from what the resume state holds: the key revoked before it,
// the chain link to it, its tree.
func TestAuditResumeDamage(t *testing.T) {
	f := newFixture(t)
	at := f.aliceRevoked + 1
	r := resumeAt(t, f, at)

	// An entry signed by the key revoked before the resume point.
	lines := rechain(t, insert(slices.Clone(f.lines), int(at), revokedKeyEntry(t, f, at)), int(at))
	_, err := f.audit(t, from(lines, at), audit.Options{Resume: r})
	wantFailure(t, err, at, signet.RuleKeyState)

	// A record that does not link to the last one audited.
	bad := *r
	bad.Prev[0] ^= 1
	_, err = f.audit(t, from(f.lines, at), audit.Options{Resume: &bad})
	wantFailure(t, err, at, signet.RuleChain)

	// Another tree before the resume point: the root is not the checkpoint's.
	bad = *r
	bad.Tree = slices.Clone(r.Tree)
	bad.Tree[0][0] ^= 1
	_, err = f.audit(t, from(f.lines, at), audit.Options{Resume: &bad})
	wantFailure(t, err, -1, signet.RuleTree)

	// A key record of the resume state changed, or left out: refused
	// outright, or the registry it makes refuses the records after it.
	bad = *r
	bad.KeyRecords = slices.Clone(r.KeyRecords)
	bad.KeyRecords[1] = bytes.Replace(bad.KeyRecords[1], []byte(`"index":2`), []byte(`"index":3`), 1)
	if _, err := f.audit(t, from(f.lines, at), audit.Options{Resume: &bad}); err == nil || errors.As(err, new(*audit.Error)) {
		t.Errorf("Audit(resume state with a key record changed) = %v, want it refused before reading", err)
	}
	bad.KeyRecords = slices.Delete(slices.Clone(r.KeyRecords), 1, 2) // bob's registration
	_, err = f.audit(t, from(f.lines, at), audit.Options{Resume: &bad})
	wantFailure(t, err, f.bobRevoked, signet.RuleRevokeTarget) // the operator revokes a key of a signer unknown

	// A resume state whose tree does not fit its size is refused outright.
	bad = *r
	bad.Tree = nil
	if _, err := f.audit(t, from(f.lines, at), audit.Options{Resume: &bad}); err == nil {
		t.Error("Audit(resume state without its tree) = nil, want an error")
	}
}
