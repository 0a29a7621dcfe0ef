package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/signet-ledger/signet/internal/signettest"
	"github.com/signet-ledger/signet/witness"
	fnote "github.com/transparency-dev/formats/note"
)

func TestWitnessCLI(t *testing.T) {
	e := signettest.New(t, signettest.Options{})
	grow(t, e, "alice", 6)
	c := newCLI(t, e)
	keyFile := filepath.Join(c.dir, "witness.key")
	vkey := strings.TrimSpace(c.ok("witness", "keygen", "--name", "witness.test/w9", "-o", keyFile))
	if st, err := os.Stat(keyFile); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("the witness key file: %v, %v; want mode 0600", st, err)
	}
	if _, err := fnote.NewVerifierForCosignatureV1(vkey); err != nil {
		t.Errorf("NewVerifierForCosignatureV1(%q) = %v", vkey, err)
	}
	// name+hash+base64: the base64 may itself hold a '+'.
	if f := strings.SplitN(vkey, "+", 3); len(f) != 3 {
		t.Errorf("the vkey %q is not name+hash+key", vkey)
	} else if b, _ := base64.StdEncoding.DecodeString(f[2]); len(b) != 33 || b[0] != 0x04 {
		t.Errorf("the vkey %q is not of type 0x04 (cosignature/v1)", vkey)
	}
	if got := strings.TrimSpace(c.ok("witness", "vkey", "--key", keyFile)); got != vkey {
		t.Errorf("witness vkey = %q, want %q", got, vkey)
	}
	os.Chmod(keyFile, 0o644)
	c.fails(ExitError, "witness", "--key", keyFile, "--state", t.TempDir(), "--log", e.LogKey+" "+e.URL)
	os.Chmod(keyFile, 0o600)
	c.fails(ExitUsage, "witness", "--key", keyFile, "--state", t.TempDir(), "--log", e.LogKey)

	state := t.TempDir()
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int)
	var stderr bytes.Buffer
	go func() {
		done <- Main(ctx, []string{"witness", "--listen", addr, "--key", keyFile, "--state", state,
			"--log", e.LogKey + " " + e.URL}, System{Stdout: io.Discard, Stderr: &stderr, Getenv: func(string) string { return "" }})
	}()
	cp, err := e.Client.Checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	body := (&witness.AddCheckpointRequest{Checkpoint: cp}).Marshal()
	status, answer := postWhenUp(t, "http://"+addr+"/add-checkpoint", body)
	cancel()
	if code := <-done; code != ExitOK {
		t.Errorf("signet witness exited %d: %s", code, stderr.String())
	}
	if status != http.StatusOK || !strings.HasPrefix(answer, "— witness.test/w9 ") {
		t.Fatalf("add-checkpoint = %d %q, want a cosignature", status, answer)
	}

	logDir := filepath.Join(state, "logs", "signet.test%2Flog")
	wantContains(t, "audit of the witness's folder", c.ok("audit", logDir, "--log-key", e.LogKey), "audit OK: 6 records")
	wantContains(t, "audit of the state dir", c.ok("audit", state, "--log-key", e.LogKey), "audit OK: 6 records")
	out := filepath.Join(c.dir, "copy.ndjson")
	c.ok("witness", "export", "--state", state, "-o", out, e.Origin)
	wantContains(t, "audit of the exported copy", c.ok("audit", out, "--log-key", e.LogKey), "audit OK: 6 records")
}

// freeAddr returns a loopback address with a free port.
func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// postWhenUp posts body to url once the server there answers.
func postWhenUp(t *testing.T, url string, body []byte) (int, string) {
	for range 100 {
		resp, err := http.Post(url, "text/plain", bytes.NewReader(body))
		if err != nil {
			time.Sleep(50 * time.Millisecond)
			continue
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp.StatusCode, string(b)
	}
	t.Fatalf("nothing answers at %s", url)
	return 0, ""
}
