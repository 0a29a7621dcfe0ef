package audit_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/signet-ledger/signet"
	"github.com/signet-ledger/signet/audit"
	"github.com/signet-ledger/signet/keys"
	"github.com/signet-ledger/signet/ledger"
	"golang.org/x/mod/sumdb/note"
)

// fixture is a small valid export with every kind of record, and what the
// tests need to damage it.
type fixture struct {
	g     *gen
	lines [][]byte // every line, the end line last, each without "\n"
	// indexes of interesting records
	aliceFirstKey, aliceKeyAdded, aliceRevoked, bobRevoked, htmlEntry int64
	alice1, alice2                                                    keys.PrivateKey
}

func newFixture(t *testing.T) *fixture {
	var buf bytes.Buffer
	g := newGen(t, &buf)
	f := &fixture{g: g}
	a1 := g.register("alice") // 0
	f.alice1 = a1
	g.entry("alice", a1, `{"journal_id":"JE1","amount":"10.00"}`)
	b1 := g.register("bob") // 2
	g.entry("bob", b1, `{"journal_id":"JE2","amount":"20.00"}`)
	g.entry("alice", a1, `{"journal_id":"JE3","amount":"30.00"}`)
	a2, _ := keys.GenerateKey()
	f.alice2, f.aliceKeyAdded = a2, g.n
	g.addKey("alice", a1, a2) // 5
	g.entry("alice", a2, `{"journal_id":"JE4","amount":"40.00"}`)
	f.aliceRevoked = g.n
	g.revoke("alice", a2, a1.Public().Thumbprint()) // 7
	g.entry("alice", a2, `{"journal_id":"JE5","amount":"50.00"}`)
	f.bobRevoked = g.n
	g.operatorRevoke("bob", b1.Public().Thumbprint()) // 9
	c1 := g.register("carol")
	f.htmlEntry = g.n
	g.entry("carol", c1, `{"memo":"<a & b> \u2028 déjà vu","n":[1,2.50,{"x":null}]}`)
	g.entry("alice", a2, `{"journal_id":"JE6","amount":"60.00"}`)
	g.close()
	f.lines = bytes.Split(bytes.TrimSuffix(buf.Bytes(), []byte("\n")), []byte("\n"))
	return f
}

func (f *fixture) export() []byte {
	return append(bytes.Join(f.lines, []byte("\n")), '\n')
}

func (f *fixture) audit(t *testing.T, export []byte, opts audit.Options) (*audit.Summary, error) {
	t.Helper()
	if opts.LogKey == "" && !opts.SkipCheckpointSignature {
		opts.LogKey = f.g.logKey
	}
	return audit.Audit(context.Background(), bytes.NewReader(export), opts)
}

func TestAuditOK(t *testing.T) {
	f := newFixture(t)
	s, err := f.audit(t, f.export(), audit.Options{})
	if err != nil {
		t.Fatalf("Audit = %v", err)
	}
	type counts struct{ Records, Entries, KeyEvents, Signers, Keys, Revoked, Failures int64 }
	want := counts{Records: 13, Entries: 7, KeyEvents: 6, Signers: 3, Keys: 4, Revoked: 2}
	got := counts{s.Records, s.Entries, s.KeyEvents, int64(s.Signers), int64(s.Keys), int64(s.Revoked), int64(len(s.Failures))}
	if got != want {
		t.Errorf("Audit summary = %+v, want %+v", got, want)
	}
	if !s.CheckpointSigned || s.Checkpoint.Size != 13 || s.Checkpoint.Root != s.Root {
		t.Errorf("Audit checkpoint = %+v signed %v, root %s", s.Checkpoint, s.CheckpointSigned, s.Root)
	}
}

func TestAuditNoLogKey(t *testing.T) {
	f := newFixture(t)
	if _, err := audit.Audit(context.Background(), bytes.NewReader(f.export()), audit.Options{}); !errors.Is(err, audit.ErrNoLogKey) {
		t.Fatalf("Audit without LogKey = %v, want ErrNoLogKey", err)
	}
	s, err := f.audit(t, f.export(), audit.Options{SkipCheckpointSignature: true})
	if err != nil || s.CheckpointSigned {
		t.Fatalf("Audit(SkipCheckpointSignature) = %+v, %v; want OK, unsigned", s, err)
	}
}

// TestAuditPrefix audits an export that stops before the checkpoint: the
// consistency proof links it.
func TestAuditPrefix(t *testing.T) {
	f := newFixture(t)
	for _, m := range []int64{1, 2, 7, 8, 12} {
		export := append(bytes.Join(f.lines[:m], []byte("\n")), '\n')
		export = append(export, f.g.endLine(m)...)
		s, err := f.audit(t, export, audit.Options{})
		if err != nil || s.Records != m || s.Checkpoint.Size != 13 {
			t.Errorf("Audit(first %d records) = %+v, %v", m, s, err)
		}
	}
	// A proof for another size does not link.
	export := append(bytes.Join(f.lines[:7], []byte("\n")), '\n')
	_, err := f.audit(t, append(export, bytes.Replace(f.g.endLine(6), []byte(`"tree_size":6`), []byte(`"tree_size":7`), 1)...), audit.Options{})
	wantFailure(t, err, -1, signet.RuleTree)
}

func TestAuditExternalCheckpoint(t *testing.T) {
	f := newFixture(t)
	other, _ := noteKey(t, f.g.origin)
	for _, tc := range []struct {
		name  string
		cp    []byte
		check signet.Rule // "" for OK
	}{
		{"Prefix", f.g.checkpoint(f.g.signer, 5), ""},
		{"Whole", f.g.checkpoint(f.g.signer, 13), ""},
		{"OtherKey", f.g.checkpoint(other, 5), signet.RuleExternalCpoint},
		{"Fork", forkedCheckpoint(t, f, 5), signet.RuleExternalCpoint},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.audit(t, f.export(), audit.Options{Checkpoint: tc.cp})
			if tc.check == "" {
				if err != nil {
					t.Fatalf("Audit = %v, want OK", err)
				}
				return
			}
			wantFailure(t, err, -1, tc.check)
		})
	}
	// Beyond the export: cannot be related, so the audit fails.
	export := append(bytes.Join(f.lines[:5], []byte("\n")), '\n')
	export = append(export, f.g.endLine(5)...)
	_, err := f.audit(t, export, audit.Options{Checkpoint: f.g.checkpoint(f.g.signer, 8)})
	wantFailure(t, err, -1, signet.RuleExternalCpoint)
}

// forkedCheckpoint signs, with the log's own key, a checkpoint of size
// records of another history.
func forkedCheckpoint(t *testing.T, f *fixture, size int64) []byte {
	var buf bytes.Buffer
	g := newGen(t, &buf)
	g.signer, g.origin = f.g.signer, f.g.origin
	k := g.register("mallory")
	for g.n < size {
		g.entry("mallory", k, `{"x":1}`)
	}
	return g.checkpoint(g.signer, size)
}

// TestAuditDamage changes an export in each way the issue lists, and
// more, and expects the first failing index and check.
func TestAuditDamage(t *testing.T) {
	f := newFixture(t)
	const hexDigits, b64 = "0123456789abcdef", "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	otherLog, _ := noteKey(t, "another.example/log")
	otherKey, _ := noteKey(t, f.g.origin)
	cases := []struct {
		name   string
		damage func(t *testing.T, lines [][]byte) [][]byte
		index  int64
		rule   signet.Rule
	}{
		{"PayloadShown", editByte(3, "payload", func(s string) string { return strings.Replace(s, "20.00", "29.00", 1) }), 3, signet.RuleShownPayload},
		{"PayloadShownHTML", editByte(f.htmlEntry, "payload", func(s string) string { return strings.Replace(s, "vu", "vo", 1) }), f.htmlEntry, signet.RuleShownPayload},
		{"PayloadSigned", editField(4, "jws.payload", bump(10, b64)), 4, signet.RuleHash},
		{"Signature", editField(6, "jws.signature", bump(20, b64)), 6, signet.RuleHash},
		{"Protected", editField(6, "jws.protected", bump(3, b64)), 6, signet.RuleHash},
		{"Hash", editField(4, "hash", bump(7, hexDigits)), 4, signet.RuleHash},
		{"PrevHash", editField(4, "prev_hash", bump(7, hexDigits)), 4, signet.RuleChain},
		{"Kid", editField(4, "kid", bump(5, b64)), 4, signet.RuleHash},
		{"Signer", editField(4, "signer", func(s string) string { return "bob" }), 4, signet.RuleHash},
		{"Time", editField(4, "integrated_time", func(s string) string { return strings.Replace(s, "05.", "06.", 1) }), 4, signet.RuleHash},
		{"TimeSpelling", editField(4, "integrated_time", func(s string) string { return strings.Replace(s, "Z", "+00:00", 1) }), 4, signet.RuleTime},
		{"HashUpperCase", editField(4, "hash", strings.ToUpper), 4, signet.RuleFormat},
		{"UnknownMember", func(t *testing.T, l [][]byte) [][]byte {
			l[4] = bytes.Replace(l[4], []byte(`{"index"`), []byte(`{"note":"x","index"`), 1)
			return l
		}, 4, signet.RuleFormat},
		{"NotJSON", func(t *testing.T, l [][]byte) [][]byte { l[2] = l[2][:40]; return l }, 2, signet.RuleFormat},
		{"LineDropped", func(t *testing.T, l [][]byte) [][]byte { return remove(l, 4) }, 4, signet.RuleIndex},
		{"FirstLineDropped", func(t *testing.T, l [][]byte) [][]byte { return remove(l, 0) }, 0, signet.RuleIndex},
		{"LineDuplicated", func(t *testing.T, l [][]byte) [][]byte { return insert(l, 5, l[4]) }, 5, signet.RuleIndex},
		{"LineMoved", func(t *testing.T, l [][]byte) [][]byte { return insert(remove(l, 3), 6, l[3]) }, 3, signet.RuleIndex},
		{"KeyRecordRemoved", func(t *testing.T, l [][]byte) [][]byte { return remove(l, int(f.aliceKeyAdded)) }, f.aliceKeyAdded, signet.RuleIndex},
		// Rewritten history: every later hash recomputed, so only the
		// deeper checks can catch it.
		{"KeyRecordRemovedRechained", func(t *testing.T, l [][]byte) [][]byte {
			return rechain(t, remove(l, int(f.aliceKeyAdded)), int(f.aliceKeyAdded))
		}, f.aliceKeyAdded, signet.RuleKeyState}, // alice's second key is unknown
		{"SignatureRechained", func(t *testing.T, l [][]byte) [][]byte {
			return rechain(t, editField(6, "jws.signature", bump(20, b64))(t, l), 6)
		}, 6, signet.RuleSignature},
		{"PayloadRechained", func(t *testing.T, l [][]byte) [][]byte {
			return rechain(t, editField(4, "jws.payload", bump(10, b64))(t, l), 4)
		}, 4, signet.RuleEntryPayload}, // the bumped base64 no longer decodes to UTF-8
		{"RevocationRemovedRechained", func(t *testing.T, l [][]byte) [][]byte {
			return rechain(t, remove(l, int(f.aliceRevoked)), int(f.aliceRevoked))
		}, -1, signet.RuleTree}, // every record is fine on its own; the tree is not
		{"EntryBySignedRevokedKey", func(t *testing.T, l [][]byte) [][]byte {
			return rechain(t, insert(l, int(f.aliceRevoked)+1, revokedKeyEntry(t, f, f.aliceRevoked+1)), int(f.aliceRevoked)+1)
		}, f.aliceRevoked + 1, signet.RuleKeyState},
		{"OperatorRevocationEdited", func(t *testing.T, l [][]byte) [][]byte {
			return rechain(t, editField(f.bobRevoked, "kid", func(string) string { return "x" })(t, l), int(f.bobRevoked))
		}, f.bobRevoked, signet.RuleJWS}, // an operator record names no kid
		{"Truncated", func(t *testing.T, l [][]byte) [][]byte { return l[:len(l)-1] }, -1, signet.RuleEnd},
		{"TruncatedMidRecord", func(t *testing.T, l [][]byte) [][]byte { l = l[:len(l)-1]; l[len(l)-1] = l[len(l)-1][:30]; return l }, 12, signet.RuleFormat},
		{"AfterEnd", func(t *testing.T, l [][]byte) [][]byte { return append(l, l[3]) }, -1, signet.RuleEnd},
		{"TreeSize", func(t *testing.T, l [][]byte) [][]byte {
			l[len(l)-1] = bytes.Replace(l[len(l)-1], []byte(`"tree_size":13`), []byte(`"tree_size":12`), 1)
			return l
		}, -1, signet.RuleTree},
		{"CheckpointOtherLog", endCheckpoint(func() []byte { return checkpointFor(t, f, otherLog, "another.example/log") }), -1, signet.RuleCheckpoint},
		{"CheckpointOtherKey", endCheckpoint(func() []byte { return f.g.checkpoint(otherKey, 13) }), -1, signet.RuleCheckpoint},
		{"CheckpointOtherTree", endCheckpoint(func() []byte { return forkedCheckpoint(t, f, 13) }), -1, signet.RuleTree},
		{"CheckpointSignatureByte", func(t *testing.T, l [][]byte) [][]byte {
			end := l[len(l)-1]
			i := bytes.LastIndex(end, []byte(`\n"`)) - 10
			end[i] = bump(0, b64)(string(end[i : i+1]))[0]
			return l
		}, -1, signet.RuleCheckpoint},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			lines := make([][]byte, len(f.lines))
			for i, l := range f.lines {
				lines[i] = bytes.Clone(l)
			}
			damaged := tc.damage(t, lines)
			export := append(bytes.Join(damaged, []byte("\n")), '\n')
			if bytes.Equal(export, f.export()) {
				t.Fatal("the damage changed nothing")
			}
			_, err := f.audit(t, export, audit.Options{})
			wantFailure(t, err, tc.index, tc.rule)
		})
	}
}

func wantFailure(t *testing.T, err error, index int64, rule signet.Rule) {
	t.Helper()
	var ae *audit.Error
	if !errors.As(err, &ae) {
		t.Fatalf("Audit = %v, want an *audit.Error at index %d, rule %s", err, index, rule)
	}
	if ae.Index != index || ae.Rule != rule || ae.Check != audit.Check(rule.Name()) {
		t.Fatalf("Audit = %v (index %d, rule %s, check %s), want index %d, rule %s, check %s", err, ae.Index, ae.Rule, ae.Check, index, rule, rule.Name())
	}
	t.Logf("%v", err)
}

// editField changes one string member of record line i (dotted path for
// jws members), re-encoding the line as the server does, so that only
// that member's bytes change.
func editField(i int64, field string, edit func(string) string) func(t *testing.T, l [][]byte) [][]byte {
	return func(t *testing.T, l [][]byte) [][]byte {
		t.Helper()
		var w ledger.WireRecord
		if err := json.Unmarshal(l[i], &w); err != nil {
			t.Fatal(err)
		}
		ptr := map[string]*string{"kind": &w.Kind, "signer": &w.Signer, "kid": &w.KID, "integrated_time": &w.IntegratedTime,
			"hash": &w.Hash, "prev_hash": &w.PrevHash, "jws.protected": &w.JWS.Protected, "jws.payload": &w.JWS.Payload,
			"jws.signature": &w.JWS.Signature}[field]
		before := string(l[i])
		*ptr = edit(*ptr)
		l[i] = encodeLine(t, &w)
		if before == string(l[i]) {
			t.Fatalf("editField(%s) changed nothing", field)
		}
		return l
	}
}

// editByte edits the raw text of a JSON member of line i (for payload).
func editByte(i int64, field string, edit func(string) string) func(t *testing.T, l [][]byte) [][]byte {
	return func(t *testing.T, l [][]byte) [][]byte {
		t.Helper()
		before := string(l[i])
		k := strings.Index(before, `"`+field+`":`)
		after := before[:k] + edit(before[k:])
		if diff(before, after) != 1 {
			t.Fatalf("editByte changed %d bytes, want 1", diff(before, after))
		}
		l[i] = []byte(after)
		return l
	}
}

func diff(a, b string) int {
	if len(a) != len(b) {
		return -1
	}
	n := 0
	for i := range len(a) {
		if a[i] != b[i] {
			n++
		}
	}
	return n
}

// bump changes the character at position i of s to the next one in alphabet.
func bump(i int, alphabet string) func(string) string {
	return func(s string) string {
		k := strings.IndexByte(alphabet, s[i])
		return s[:i] + string(alphabet[(k+1)%len(alphabet)]) + s[i+1:]
	}
}

func encodeLine(t *testing.T, w *ledger.WireRecord) []byte {
	var b bytes.Buffer
	if err := json.NewEncoder(&b).Encode(w); err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

func remove(l [][]byte, i int) [][]byte { return append(l[:i:i], l[i+1:]...) }

func insert(l [][]byte, i int, line []byte) [][]byte {
	return append(l[:i:i], append([][]byte{bytes.Clone(line)}, l[i:]...)...)
}

// rechain renumbers the record lines from i on and recomputes their
// prev_hash and hash, as someone rewriting history would; the end line's
// tree_size follows, its checkpoint does not.
func rechain(t *testing.T, l [][]byte, from int) [][]byte {
	t.Helper()
	var prev ledger.Hash
	for i := range l[:len(l)-1] {
		var w ledger.WireRecord
		if err := json.Unmarshal(l[i], &w); err != nil {
			t.Fatal(err)
		}
		rec, err := w.Record()
		if err != nil {
			t.Fatal(err)
		}
		if i >= from {
			rec.Index, rec.PrevHash = int64(i), prev
			rec.Hash = ledger.RecordHash(rec)
			w.Index, w.PrevHash, w.Hash = rec.Index, rec.PrevHash.String(), rec.Hash.String()
			l[i] = encodeLine(t, &w)
		}
		prev = rec.Hash
	}
	var end map[string]any
	json.Unmarshal(l[len(l)-1], &end)
	end["tree_size"] = len(l) - 1
	l[len(l)-1], _ = json.Marshal(end)
	return l
}

// revokedKeyEntry returns the line of a new entry signed by alice's first
// key, to be placed at index at; rechain fixes its hashes.
func revokedKeyEntry(t *testing.T, f *fixture, at int64) []byte {
	j := f.g.entryJWS(f.alice1, at, []byte(`{"journal_id":"JE-late"}`))
	rec := signed(j, ledger.KindEntry, "alice", f.alice1.Public().Thumbprint())
	rec.Index, rec.IntegratedTime = at, f.g.now
	return encodeLine(t, wireOf(rec))
}

// endCheckpoint replaces the end line's checkpoint.
func endCheckpoint(cp func() []byte) func(t *testing.T, l [][]byte) [][]byte {
	return func(t *testing.T, l [][]byte) [][]byte {
		var end ledger.WireExportEnd
		if err := json.Unmarshal(l[len(l)-1], &end); err != nil {
			t.Fatal(err)
		}
		end.Checkpoint = string(cp())
		l[len(l)-1], _ = json.Marshal(end)
		return l
	}
}

// checkpointFor signs the fixture's tree under another origin and key.
func checkpointFor(t *testing.T, f *fixture, s note.Signer, origin string) []byte {
	g := *f.g
	g.origin = origin
	return g.checkpoint(s, 13)
}
