package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/signet-ledger/signet/witness"
	"golang.org/x/mod/sumdb/note"
)

// witnessSpec says how to start one witness for one log.
type witnessSpec struct {
	Kind      string // "signet" (signet witness) or "omniwitness". Required.
	Name      string // its name in the policy and its key's name. Required.
	Bin       string // the binary. Required.
	Dir       string // its state, key and log file. Required.
	Origin    string // the log's origin. Required.
	LogVKey   string // the log's verifier key. Required.
	LogURL    string // the log's signetd, for signet witness's export reads
	TokenFile string // the log's reader token, for signet witness
	// Nice runs the witness at this niceness (nice -n), so that on a
	// shared machine it takes mostly idle CPU, as a witness on a machine
	// of its own would. Optional; 0 is the tool's own priority.
	Nice int
}

// witnessProc is a witness this tool started on loopback.
type witnessProc struct {
	spec       witnessSpec
	vkey, url  string // for the policy's witness line
	addr       string
	logPath    string
	cmd        *exec.Cmd
	exited     chan error
	monitorURL string // GET: its latest cosigned checkpoint of the log (signet witness)
}

// startWitness makes a key for s and starts the witness on a free
// loopback port; its output goes to <Dir>/witness.log.
func startWitness(ctx context.Context, s witnessSpec) (*witnessProc, error) {
	if err := os.MkdirAll(s.Dir, 0o700); err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	w := &witnessProc{spec: s, addr: fmt.Sprintf("127.0.0.1:%d", port), logPath: filepath.Join(s.Dir, "witness.log")}
	w.url = "http://" + w.addr
	var args []string
	switch s.Kind {
	case "signet":
		args, err = w.signetArgs()
	case "omniwitness":
		args, err = w.omniArgs()
	default:
		err = fmt.Errorf("unknown witness kind %q (signet or omniwitness)", s.Kind)
	}
	if err != nil {
		return nil, err
	}
	return w, w.start(ctx, args)
}

// signetArgs makes a key for signet witness and returns its flags.
func (w *witnessProc) signetArgs() ([]string, error) {
	s := w.spec
	skey, vkey, err := witness.GenerateKey(s.Name)
	if err != nil {
		return nil, err
	}
	w.vkey = vkey
	keyFile := filepath.Join(s.Dir, "witness.key")
	if err := os.WriteFile(keyFile, []byte(skey+"\n"), 0o600); err != nil {
		return nil, err
	}
	w.monitorURL = fmt.Sprintf("%s/%s/checkpoint", w.url, originHash(s.Origin))
	logLine := strings.TrimSpace(s.LogVKey + " " + s.LogURL + " " + s.TokenFile)
	return []string{"witness", "--listen", w.addr, "--key", keyFile, "--state", filepath.Join(s.Dir, "state"), "--log", logLine}, nil
}

// omniArgs makes a key and a logs file for omniwitness and returns its
// flags, as cmd/signetd/witness_interop_test.go runs it.
func (w *witnessProc) omniArgs() ([]string, error) {
	s := w.spec
	skey, vkey, err := note.GenerateKey(rand.Reader, s.Name)
	if err != nil {
		return nil, err
	}
	w.vkey = vkey
	keyFile, logsFile := filepath.Join(s.Dir, "witness.key"), filepath.Join(s.Dir, "logs.yaml")
	if err := os.WriteFile(keyFile, []byte(skey), 0o600); err != nil {
		return nil, err
	}
	logs := fmt.Sprintf("Logs:\n  - Origin: %s\n    URL: http://127.0.0.1:1\n    PublicKey: %s\n    Feeder: none\n", s.Origin, s.LogVKey)
	if err := os.WriteFile(logsFile, []byte(logs), 0o600); err != nil {
		return nil, err
	}
	metrics, err := freePort()
	if err != nil {
		return nil, err
	}
	return []string{"--listen", w.addr, "--metrics_listen", fmt.Sprintf("127.0.0.1:%d", metrics),
		"--db_file", filepath.Join(s.Dir, "witness.db"), "--private_key_path", keyFile,
		"--additional_logs", logsFile, "--logtostderr"}, nil
}

// start runs the witness (under nice if asked) and waits until it listens.
func (w *witnessProc) start(ctx context.Context, args []string) error {
	logf, err := os.OpenFile(w.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer logf.Close()
	bin := w.spec.Bin
	if w.spec.Nice != 0 {
		// nice execs the witness: the PID stays the witness's, and every
		// thread it makes inherits the niceness.
		args = append([]string{"-n", strconv.Itoa(w.spec.Nice), bin}, args...)
		bin = "nice"
	}
	w.cmd = exec.Command(bin, args...)
	w.cmd.Stdout, w.cmd.Stderr, w.cmd.Env = logf, logf, cleanEnv()
	if err := w.cmd.Start(); err != nil {
		return fmt.Errorf("starting %s: %w", w.spec.Bin, err)
	}
	w.exited = make(chan error, 1)
	go func() { w.exited <- w.cmd.Wait() }()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-w.exited:
			return fmt.Errorf("witness %s exited during start-up (%v); see %s", w.spec.Name, err, w.logPath)
		case <-ctx.Done():
			w.stop()
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if c, err := net.DialTimeout("tcp", w.addr, time.Second); err == nil {
			c.Close()
			return nil
		}
	}
	w.stop()
	return fmt.Errorf("witness %s is not listening on %s after 30s; see %s", w.spec.Name, w.addr, w.logPath)
}

func (w *witnessProc) pid() int { return w.cmd.Process.Pid }

// stop sends SIGTERM and waits for the witness to exit.
func (w *witnessProc) stop() {
	w.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-w.exited:
	case <-time.After(20 * time.Second):
		w.cmd.Process.Kill()
		<-w.exited
	}
}

// originHash is the path element of the witness monitoring API for
// origin: the hex SHA-256 of the origin.
func originHash(origin string) string {
	return fmt.Sprintf("%x", sha256.Sum256([]byte(origin)))
}

// writePolicy writes a c2sp.org/tlog-policy file naming the log and ws,
// with a quorum of all of them.
func writePolicy(file, logVKey string, ws []*witnessProc) error {
	var b strings.Builder
	fmt.Fprintf(&b, "log %s\n", logVKey)
	var names []string
	for _, w := range ws {
		fmt.Fprintf(&b, "witness %s %s %s\n", w.spec.Name, w.vkey, w.url)
		names = append(names, w.spec.Name)
	}
	fmt.Fprintf(&b, "group everyone all %s\nquorum everyone\n", strings.Join(names, " "))
	return os.WriteFile(file, []byte(b.String()), 0o600)
}

// witnessStatus is one witness in signetd's /readyz.
type witnessStatus struct {
	Name         string `json:"name"`
	CosignedSize int64  `json:"cosigned_size"`
	Failures     int    `json:"failures"`
	LastError    string `json:"last_error"`
	Alarm        string `json:"alarm"`
}

// readyWitnesses reads the witnesses' status from base's /readyz.
func readyWitnesses(ctx context.Context, base string) ([]witnessStatus, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/readyz", nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var body struct {
		Witnesses []witnessStatus `json:"witnesses"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return nil, fmt.Errorf("%s/readyz: %w", base, err)
	}
	return body.Witnesses, nil
}

// waitCosigned waits until signetd at base reports every witness of its
// policy has cosigned a tree of at least size records, and returns how
// long that took.
func waitCosigned(ctx context.Context, base string, size int64, patience time.Duration) (time.Duration, error) {
	t0 := time.Now()
	for {
		ws, err := readyWitnesses(ctx, base)
		if err != nil {
			return 0, err
		}
		behind := ""
		for _, w := range ws {
			if w.Alarm != "" {
				return 0, fmt.Errorf("witness %s raised an alarm: %s", w.Name, w.Alarm)
			}
			if w.CosignedSize < size {
				behind += fmt.Sprintf(" %s at %d (failures %d: %s)", w.Name, w.CosignedSize, w.Failures, w.LastError)
			}
		}
		if len(ws) == 0 {
			return 0, fmt.Errorf("%s/readyz lists no witnesses", base)
		}
		if behind == "" {
			return time.Since(t0), nil
		}
		if time.Since(t0) > patience {
			return 0, fmt.Errorf("the witnesses did not cosign size %d within %s:%s", size, patience, behind)
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}
