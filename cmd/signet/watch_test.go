package main

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/signet-ledger/signet/internal/signettest"
)

// watched parses signet watch --json output.
func watched(t *testing.T, out string) []watchedRecord {
	t.Helper()
	var recs []watchedRecord
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if l == "" {
			continue
		}
		var v watchedRecord
		if err := json.Unmarshal([]byte(l), &v); err != nil {
			t.Fatalf("watch --json line %q: %v", l, err)
		}
		recs = append(recs, v)
	}
	return recs
}

// indexes returns the indexes of recs for which keep holds.
func indexes(recs []watchedRecord, keep func(watchedRecord) bool) []int64 {
	var out []int64
	for _, r := range recs {
		if keep(r) {
			out = append(out, r.Index)
		}
	}
	return out
}

func all(watchedRecord) bool       { return true }
func flagged(r watchedRecord) bool { return r.Flagged }

// TestWatch: alice's machine watches her signer. An entry and a key
// change made with her key on another machine, and the operator's
// revocation, are flagged; her own records are not; the position
// persists, so a second watch sees only what is new.
func TestWatch(t *testing.T) {
	e := signettest.New(t, signettest.Options{})
	alice := newCLI(t, e)
	alice.env["SIGNET_KEY"] = alice.path("alice.jwk")
	alice.ok("keygen")
	alice.ok("register", "--signer", "alice") // 0
	submit := func(c *cli, payload string) int64 {
		c.stdin = payload
		var s submitted
		if err := json.Unmarshal([]byte(c.ok("submit", "--json")), &s); err != nil || s.Index == nil {
			t.Fatalf("submit --json = %+v, %v", s, err)
		}
		return *s.Index
	}
	own := []int64{0, submit(alice, `{"journal_id":"JE1"}`), submit(alice, `{"journal_id":"JE2"}`)}

	// Another machine with a copy of alice's key, and its own state dir.
	other := newCLI(t, e)
	other.env["SIGNET_KEY"] = alice.env["SIGNET_KEY"]
	foreign := []int64{submit(other, `{"journal_id":"JE-not-alice"}`)}
	other.ok("keygen", "-o", other.path("bob.jwk"))
	other.ok("register", "--signer", "bob", "--key", other.path("bob.jwk"))
	foreign = append(foreign, submit(other, `{"n":1}`))                               // 5, alice's key still
	other.ok("rotate-key", "--signer", "alice", "--new-key", other.path("extra.jwk")) // 6
	foreign = append(foreign, 6)
	extra := kidOf(t, other.path("extra.jwk"))
	// The operator revokes the key the other machine added.
	operator := newCLI(t, e)
	operator.ok("revoke-key", "--operator", "--signer", "alice", "--kid", extra, "--reason", "not ours") // 7
	foreign = append(foreign, 7)
	own = append(own, submit(alice, `{"journal_id":"JE3"}`))

	out, errOut, code := alice.run("watch", "--signer", "alice", "--once", "--expect-local", "--json", "--batch", "2")
	if code != ExitVerify {
		t.Fatalf("watch --expect-local = exit %d, want 3\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	recs := watched(t, out)
	aliceRecords := append(slices.Clone(own), foreign...)
	slices.Sort(aliceRecords)
	if got := indexes(recs, all); !slices.Equal(got, aliceRecords) {
		t.Errorf("watch printed records %v, want alice's %v", got, aliceRecords)
	}
	if got := indexes(recs, flagged); !slices.Equal(got, foreign) {
		t.Errorf("watch flagged records %v, want those made elsewhere %v", got, foreign)
	}
	for _, i := range foreign {
		wantContains(t, "watch stderr", errOut, fmt.Sprintf("FLAGGED record %d,", i))
	}
	byIndex := map[int64]watchedRecord{}
	for _, r := range recs {
		byIndex[r.Index] = r
	}
	if r := byIndex[6]; r.Event != "key added" || r.Key != extra {
		t.Errorf("record 6 = %+v, want the key %s added", r, extra)
	}
	if r := byIndex[7]; r.Event != "key revoked" || !r.Operator || r.Key != extra || r.Reason != "not ours" {
		t.Errorf("record 7 = %+v, want the operator's revocation of %s", r, extra)
	}
	if r := byIndex[1]; r.Event != "entry" || string(r.Payload) != `{"journal_id":"JE1"}` || r.Local == nil || !*r.Local {
		t.Errorf("record 1 = %+v, want alice's own entry JE1", r)
	}

	// The position persists: nothing new, nothing printed, exit 0.
	if out := alice.ok("watch", "--signer", "alice", "--once", "--expect-local", "--json"); out != "" {
		t.Errorf("second watch printed %q, want nothing", out)
	}
	next := submit(alice, `{"journal_id":"JE4"}`)
	other.stdin = `{"n":3}` // bob's: verified, not printed
	other.ok("submit", "--key", other.path("bob.jwk"))
	out = alice.ok("watch", "--signer", "alice", "--once", "--expect-local")
	if f := strings.Fields(out); strings.Count(out, "\n") != 1 || len(f) < 2 || f[0] != fmt.Sprint(next) || f[1] != "entry" {
		t.Errorf("third watch printed %q, want only alice's record %d, unflagged", out, next)
	}

	// Without --expect-local nothing is flagged; a fresh state dir
	// replays the log from index 0.
	fresh := newCLI(t, e)
	out = fresh.ok("watch", "--signer", "alice", "--once", "--json")
	if got := watched(t, out); len(got) != len(aliceRecords)+1 || len(indexes(got, flagged)) != 0 {
		t.Errorf("watch without --expect-local = %v, want %d records, none flagged", got, len(aliceRecords)+1)
	}
}

// TestWatchRewrittenHistory: a server whose checkpoint is not consistent
// with the one the watch pinned is an error, exit 3, and the position
// stays where it was.
func TestWatchRewrittenHistory(t *testing.T) {
	envs := sameKeyServers(t, 2)
	honest, rewritten := envs[0], envs[1]
	grow(t, honest, "alice", 3)
	grow(t, rewritten, "alice", 5)
	c := newCLI(t, honest)
	if n := strings.Count(c.ok("watch", "--signer", "alice", "--once"), "\n"); n != 3 {
		t.Fatalf("watch of the honest log printed %d records, want 3", n)
	}
	st := state{c.env["XDG_CONFIG_HOME"] + "/signet"}
	before, _ := os.ReadFile(st.watchFile(honest.Origin, "alice"))
	c.env["SIGNET_SERVER"] = rewritten.URL
	wantContains(t, "watch of a rewritten log", c.fails(ExitVerify, "watch", "--signer", "alice", "--once"), "fork")
	if after, _ := os.ReadFile(st.watchFile(honest.Origin, "alice")); string(after) != string(before) {
		t.Error("a fork moved the watch position")
	}
}

// TestWatchPolicy: with --policy every checkpoint the watch relies on
// must meet the policy: quorum none passes; a quorum the server's
// checkpoints lack, or another log key, is exit 3 before any record is
// printed or the position moves.
func TestWatchPolicy(t *testing.T) {
	l := newWitnessedLog(t)
	c := l.c
	out, errOut, code := c.run("watch", "--signer", "alice", "--once", "--policy", l.two)
	if code != ExitVerify || out != "" || !strings.Contains(errOut, "missing W1, W2") {
		t.Errorf("watch --policy two = exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	wantContains(t, "watch --policy wrong", c.fails(ExitVerify, "watch", "--signer", "alice", "--once", "--policy", l.wrong), "policy")
	if n := strings.Count(c.ok("watch", "--signer", "alice", "--once", "--policy", l.none), "\n"); n != 4 {
		t.Errorf("watch --policy none printed %d records, want 4", n)
	}
}
