package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/signet-ledger/signet/internal/signettest"
	"github.com/signet-ledger/signet/keys"
)

func TestKeygen(t *testing.T) {
	c := newCLI(t, signettest.New(t, signettest.Options{}))
	p := c.path("alice.jwk")
	kid := strings.TrimSpace(c.ok("keygen", "-o", p))
	st, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("keygen wrote mode %v, want 0600", st.Mode().Perm())
	}
	b, _ := os.ReadFile(p)
	k, err := keys.ParsePrivateJWK(b)
	if err != nil || k.Public().Thumbprint() != kid {
		t.Fatalf("keygen printed %q; the file holds %v (%v)", kid, k, err)
	}
	errOut := c.fails(ExitError, "keygen", "-o", p)
	wantContains(t, "keygen over an existing file: stderr", errOut, "refusing to overwrite", "hint:")
	if after, _ := os.ReadFile(p); string(after) != string(b) {
		t.Error("keygen changed an existing key file")
	}
	// The default is the state dir's key.jwk, whose folder is made 0700.
	c.ok("keygen")
	def := filepath.Join(c.env["XDG_CONFIG_HOME"], "signet", "key.jwk")
	if st, err := os.Stat(def); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("keygen default file: %v, %v", st, err)
	}
	if st, _ := os.Stat(filepath.Dir(def)); st.Mode().Perm() != 0o700 {
		t.Errorf("state dir mode = %v, want 0700", st.Mode().Perm())
	}
	var v struct{ Kid, File string }
	if err := json.Unmarshal([]byte(c.ok("keygen", "--json", "-o", c.path("b.jwk"))), &v); err != nil || v.Kid == "" || v.File != c.path("b.jwk") {
		t.Errorf("keygen --json = %+v, %v", v, err)
	}
}

// TestFlow drives every command through a life: register, submit, read,
// verify, checkpoint, rotate, revoke, export and audit.
func TestFlow(t *testing.T) {
	e := signettest.New(t, signettest.Options{})
	c := newCLI(t, e)
	alice := c.path("alice.jwk")
	aliceKID := strings.TrimSpace(c.ok("keygen", "-o", alice))
	c.env["SIGNET_KEY"] = alice

	out := c.ok("register", "--signer", "alice")
	wantContains(t, "register", out, "registered signer alice", aliceKID, "log index 0")
	delete(c.env, "SIGNET_ADMIN_TOKEN")
	wantContains(t, "register without the admin token", c.fails(ExitUsage, "register", "--signer", "bob"), "admin token", "hint:")
	c.env["SIGNET_ADMIN_TOKEN"] = e.AdminToken

	// register pinned the log key on first use, and its checkpoint; submit
	// checks its answer's checkpoint against that one, and pins it.
	c.stdin = `{"journal_id":"JE1","amount":"16453.24"}` + "\n"
	out = c.ok("submit", "-")
	wantContains(t, "submit", out, "index 1\n", "checked: included in the signed checkpoint of size 2, consistent with the checkpoint of size 1")

	out = c.ok("checkpoint")
	wantContains(t, "first checkpoint", out, "size     2", "the same as last seen")
	pinned := filepath.Join(c.env["XDG_CONFIG_HOME"], "signet", "logs", escapeName(e.Origin), "log.key")
	if b, err := os.ReadFile(pinned); err != nil || strings.TrimSpace(string(b)) != e.LogKey {
		t.Fatalf("pinned log key = %q, %v; want %q", b, err, e.LogKey)
	}

	var lines []string
	for i := range 20 {
		lines = append(lines, fmt.Sprintf(`{"journal_id":"JE%03d","amount":"%d.00"}`, i+2, i))
	}
	out = c.ok("submit", "--ndjson", "--concurrency", "4", c.write("entries.ndjson", strings.Join(lines, "\n")+"\n\n"))
	// Outcomes come in input order; indexes in the order the log took them.
	seen := map[int64]bool{}
	for i, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var line int
		var index int64
		if _, err := fmt.Sscanf(l, "line %d: index %d hash ", &line, &index); err != nil || line != i+1 || index < 2 || index > 21 || seen[index] {
			t.Fatalf("submit --ndjson line %d = %q (%v)", i+1, l, err)
		}
		seen[index] = true
	}
	if len(seen) != 20 {
		t.Fatalf("submit --ndjson printed %d outcomes, want 20:\n%s", len(seen), out)
	}
	c.stdin = `{"journal_id":"JE-json"}`
	var sub submitted
	if err := json.Unmarshal([]byte(c.ok("submit", "--json")), &sub); err != nil || sub.Index == nil || *sub.Index != 22 || !strings.HasPrefix(sub.Promise, "checked") {
		t.Fatalf("submit --json = %+v, %v", sub, err)
	}

	out = c.ok("get", "3")
	wantContains(t, "get 3", out, "index       3", "kind        entry", "signer      alice", `"journal_id": "JE0`)
	var rec struct {
		Index int64
		JWS   struct{ Signature string }
	}
	if err := json.Unmarshal([]byte(c.ok("get", "3", "--json")), &rec); err != nil || rec.Index != 3 || rec.JWS.Signature == "" {
		t.Errorf("get --json = %+v, %v", rec, err)
	}
	wantContains(t, "get 999", c.fails(ExitError, "get", "999"), "notFound")

	if n := strings.Count(c.ok("list"), "\n"); n != 23 {
		t.Errorf("list printed %d lines, want 23", n)
	}
	if n := strings.Count(c.ok("list", "--limit", "5", "--after", "2", "--json"), "\n"); n != 5 {
		t.Errorf("list --limit 5 printed %d lines, want 5", n)
	}

	out = c.ok("verify", "3")
	wantContains(t, "verify 3", out, "record 3: verified", "signature      ok       ok", "inclusion      ok       ok", "size 23", "the same as last seen")
	c.ok("verify", "0") // the registration: its key is in its own JWS
	out = c.ok("checkpoint")
	wantContains(t, "checkpoint again", out, "size     23", "the same as last seen")

	// Rotate to a new key, made on the spot, then revoke the old one.
	alice2 := c.path("alice2.jwk")
	out = c.ok("rotate-key", "--signer", "alice", "--new-key", alice2)
	wantContains(t, "rotate-key", out, "added key", "log index 23", "revoke-key --key "+alice2)
	c.stdin = `{"journal_id":"JE-new-key"}`
	c.ok("submit", "--key", alice2)
	out = c.ok("revoke-key", "--key", alice2, "--signer", "alice", "--kid", aliceKID, "--reason", "laptop lost")
	wantContains(t, "revoke-key", out, "revoked key "+aliceKID, "log index 25")
	c.stdin = `{"journal_id":"JE-old-key"}`
	wantContains(t, "submit with a revoked key", c.fails(ExitError, "submit"), "revokedKey", "hint:")

	// The operator revokes bob's only key.
	bob := c.path("bob.jwk")
	c.ok("keygen", "-o", bob)
	c.ok("register", "--signer", "bob", "--key", bob)
	bobKID := strings.TrimSpace(c.ok("keygen", "-o", c.path("unused.jwk")))
	_ = bobKID
	b, _ := os.ReadFile(bob)
	bk, _ := keys.ParsePrivateJWK(b)
	wantContains(t, "revoke-key --operator", c.ok("revoke-key", "--operator", "--signer", "bob", bk.Public().Thumbprint(), "--compromised-since", "26"), "log index 27")
	c.ok("verify", "27") // an operator record

	// Export and audit, with the key pinned by checkpoint.
	export := c.path("log.ndjson")
	out = c.ok("export", "-o", export)
	wantContains(t, "export", out, "exported records 0 to 27", "checkpoint of size 28")
	out = c.ok("audit", export)
	wantContains(t, "audit", out, "audit OK: 28 records (23 entries, 5 key events), 2 signers, 3 keys (2 revoked)", "signature checked")
	var av auditView
	if err := json.Unmarshal([]byte(c.ok("audit", export, "--json", "--log-key", e.LogKey)), &av); err != nil || !av.OK || av.Records != 28 {
		t.Errorf("audit --json = %+v, %v", av, err)
	}
	// A prefix, ending with a consistency proof to the checkpoint.
	c.ok("export", "--to", "10", "-o", c.path("prefix.ndjson"))
	wantContains(t, "audit of a prefix", c.ok("audit", c.path("prefix.ndjson")), "audit OK: 10 records", "size 28")
	// The last checkpoint this client saw, held apart.
	cp := c.write("seen.note", c.ok("checkpoint", "--json"))
	var cv checkpointView
	json.Unmarshal([]byte(c.ok("checkpoint", "--json")), &cv)
	cp = c.write("seen.note", cv.Checkpoint)
	c.ok("audit", export, "--checkpoint", cp)
	// To standard output.
	if out := c.ok("export", "--to", "3"); strings.Count(out, "\n") != 4 || !strings.Contains(out, `"tree_size":3`) {
		t.Errorf("export to stdout = %q", out)
	}
}
