package audit_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/signet-ledger/signet"
	"github.com/signet-ledger/signet/audit"
)

// failureAt is an expected failure: index and rule.
type failureAt struct {
	index int64
	rule  signet.Rule
}

func failuresOf(s *audit.Summary) []failureAt {
	var out []failureAt
	for _, e := range s.Failures {
		out = append(out, failureAt{e.Index, e.Rule})
	}
	return out
}

// TestAuditAllFailures damages an export in several places at once and
// expects every failure, in order, and none of their consequences.
func TestAuditAllFailures(t *testing.T) {
	f := newFixture(t)
	const hexDigits = "0123456789abcdef"
	cases := []struct {
		name   string
		damage []func(t *testing.T, l [][]byte) [][]byte
		want   []failureAt
	}{
		{"PayloadKindHash", []func(t *testing.T, l [][]byte) [][]byte{
			editByte(3, "payload", func(s string) string { return strings.Replace(s, "20.00", "29.00", 1) }),
			editField(6, "kind", func(string) string { return "entry.v2" }),
			editField(11, "hash", bump(7, hexDigits)),
		}, []failureAt{{3, signet.RuleShownPayload}, {6, signet.RuleKind}, {11, signet.RuleHash}, {-1, signet.RuleTree}}},
		// A record whose fields were changed, the stated hash kept.
		{"SignerEdited", []func(t *testing.T, l [][]byte) [][]byte{
			editField(4, "signer", func(string) string { return "bob" }),
		}, []failureAt{{4, signet.RuleHash}}},
		// A key record that breaks a rule is not applied: the records
		// that need it fail too.
		{"KeyRecordHash", []func(t *testing.T, l [][]byte) [][]byte{
			editField(f.aliceKeyAdded, "hash", bump(7, hexDigits)),
		}, []failureAt{{f.aliceKeyAdded, signet.RuleHash}, {f.aliceKeyAdded + 1, signet.RuleKeyState}, {f.aliceKeyAdded + 2, signet.RuleKeyState},
			{f.aliceKeyAdded + 3, signet.RuleKeyState}, {12, signet.RuleKeyState}, {-1, signet.RuleTree}}},
		{"TimeAndSignature", []func(t *testing.T, l [][]byte) [][]byte{
			func(t *testing.T, l [][]byte) [][]byte {
				return rechain(t, editField(8, "jws.signature", bump(20, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"))(t, l), 8)
			},
			editField(1, "integrated_time", func(s string) string { return strings.Replace(s, "Z", "+00:00", 1) }),
		}, []failureAt{{1, signet.RuleTime}, {8, signet.RuleSignature}, {-1, signet.RuleTree}}},
		// A dropped line is one index failure, not one per later record;
		// the tree then has one leaf too few.
		{"LineDroppedAndPayload", []func(t *testing.T, l [][]byte) [][]byte{
			editByte(f.htmlEntry, "payload", func(s string) string { return strings.Replace(s, "vu", "vo", 1) }),
			func(t *testing.T, l [][]byte) [][]byte { return remove(l, 4) },
		}, []failureAt{{4, signet.RuleIndex}, {f.htmlEntry, signet.RuleShownPayload}, {-1, signet.RuleTree}}},
		// An unreadable line leaves a hole: the next record is taken as it
		// comes, the tree is not compared.
		{"NotJSONAndRegistry", []func(t *testing.T, l [][]byte) [][]byte{
			func(t *testing.T, l [][]byte) [][]byte { l[2] = l[2][:40]; return l }, // bob's registration
		}, []failureAt{{2, signet.RuleFormat}, {3, signet.RuleKeyState}, {f.bobRevoked, signet.RuleRevokeTarget}}},
		{"EndAndAfter", []func(t *testing.T, l [][]byte) [][]byte{
			editField(4, "prev_hash", bump(0, hexDigits)),
			func(t *testing.T, l [][]byte) [][]byte { return append(l, l[3]) },
		}, []failureAt{{4, signet.RuleChain}, {4, signet.RuleHash}, {-1, signet.RuleEnd}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			lines := cloneLines(f.lines)
			for _, d := range tc.damage {
				lines = d(t, lines)
			}
			s, err := f.audit(t, joinLines(lines), audit.Options{})
			got := failuresOf(s)
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Fatalf("Audit failures = %v, want %v\n%v", got, tc.want, s.Failures)
			}
			wantFailure(t, err, tc.want[0].index, tc.want[0].rule)
			if s.Stopped {
				t.Errorf("Audit Stopped = true, want false")
			}
			for _, e := range s.Failures {
				t.Log(e)
			}
		})
	}
}

// TestAuditMaxFailures damages every entry's shown payload and expects
// the audit to stop at MaxFailures.
func TestAuditMaxFailures(t *testing.T) {
	f := newFixture(t)
	lines := cloneLines(f.lines)
	for i, l := range lines[:len(lines)-1] {
		lines[i] = bytes.Replace(l, []byte(`.00"}`), []byte(`.01"}`), 1)
	}
	export := joinLines(lines)
	for _, tc := range []struct {
		max, want int
		stopped   bool
	}{{1, 1, true}, {3, 3, true}, {0, 6, false}, {6, 6, true}, {7, 6, false}} {
		s, err := f.audit(t, export, audit.Options{MaxFailures: tc.max})
		if len(s.Failures) != tc.want || s.Stopped != tc.stopped || err != s.Failures[0] {
			t.Errorf("Audit(MaxFailures %d) = %d failures, stopped %v, %v; want %d, %v", tc.max, len(s.Failures), s.Stopped, err, tc.want, tc.stopped)
		}
		for _, e := range s.Failures {
			if e.Rule != signet.RuleShownPayload {
				t.Errorf("Audit(MaxFailures %d) failure %v, want rule R7", tc.max, e)
			}
		}
	}
}

// TestAuditNonceReused audits two otherwise valid entries with one nonce,
// far apart so that the workers verify them in any order: R22 belongs to
// the later, every time.
func TestAuditNonceReused(t *testing.T) {
	var buf bytes.Buffer
	g := newGen(t, &buf)
	k := g.register("alice")
	g.entry("alice", k, `{"n":1}`) // 1, nonce-1
	g.entries("alice", k, 300)
	later := g.n
	g.entryWithNonce("alice", k, 1, `{"n":"again"}`)
	g.entries("alice", k, 300)
	g.close()
	for _, workers := range []int{1, 2, 8} {
		for range 5 {
			s, err := audit.Audit(t.Context(), bytes.NewReader(buf.Bytes()), audit.Options{LogKey: g.logKey, Workers: workers})
			want := []failureAt{{later, signet.RuleNonceUnique}}
			if got := failuresOf(s); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("Audit(Workers %d) failures = %v, want %v", workers, s.Failures, want)
			}
			if e := s.Failures[0]; e.Line != later+1 || !strings.Contains(e.Reason, "record 1") {
				t.Fatalf("Audit(Workers %d) = %v, want line %d, used by record 1", workers, err, later+1)
			}
		}
	}
}

func cloneLines(l [][]byte) [][]byte {
	out := make([][]byte, len(l))
	for i := range l {
		out[i] = bytes.Clone(l[i])
	}
	return out
}

func joinLines(l [][]byte) []byte { return append(bytes.Join(l, []byte("\n")), '\n') }
