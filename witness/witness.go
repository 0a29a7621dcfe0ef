// Package witness is a c2sp.org/tlog-witness witness for Signet logs that
// also audits what it cosigns and keeps a verified copy of each log: the
// "secured log server" and "incremental backup, line by line" of the
// design Signet descends from, in one process ("signet witness").
//
// # What it cosigns
//
// A log sends POST /add-checkpoint (c2sp.org/tlog-witness) with the size
// of the latest checkpoint the witness cosigned for it, the consistency
// proof from that size, and its new checkpoint. The witness makes every
// check the spec requires, in its order, and answers with the same
// statuses as any other witness:
//
//	400  the body is malformed (see [signet.ParseAddCheckpoint]), the checkpoint
//	     is not a checkpoint, or the old size exceeds its size
//	404  no configured log has the checkpoint's origin
//	403  no valid signature of the log's key, or a line naming that key
//	     fails to verify
//	409  the old size is not that of the latest cosigned checkpoint; the
//	     body, text/x.tlog.size, is that size and a newline
//	422  the proof does not verify, or the roots differ at one size, or a
//	     size-0 checkpoint does not have the empty tree's root
//	200  one cosignature line (c2sp.org/tlog-cosignature, cosignature/v1,
//	     Ed25519, timestamped), once the new state is on disk
//
// Before it cosigns a checkpoint of N records it does more: its copy of
// the log must hold N records, fetched from the log's export
// (GET /v1/log/export?from=<copy size>, with the reader token), each
// checked with the rules every Signet verifier runs (package signet:
// [signet.ParseExportLine], [signet.WireRecord.Record],
// [signet.CheckShownPayload] and one [signet.Replay] continued across
// fetches, as signet audit and signetd import do), whose Merkle tree
// has the checkpoint's root at N. So 422 also means:
//
//   - the checkpoint's root is not the root of the copy's first N
//     records: another history under the log's key (a fork);
//   - the log's records break a rule of the log (R1 to R22,
//     docs/PROTOCOL.md §8) although its tree is consistent: the log
//     signed a tree holding a record no honest log holds. The witness
//     then refuses the log for good: its copy stops before the batch
//     holding the record, and every larger checkpoint is refused. 422 is
//     the status the spec gives a checkpoint the witness may not cosign
//     because it contradicts what the witness verified; none fits
//     better, and a log that sees it raises the alarm it raises for a
//     fork.
//
// When the copy cannot reach N within [Config.CatchUpTimeout] (the log
// is slow or unreachable, or its export lags its checkpoints) the answer
// is 503 with Retry-After: the spec has no "try later" status, and a log
// treats 503 as a transient failure and sends again. The witness keeps
// catching up in the background ([Witness.Run] polls each log's
// /v1/checkpoint every [Config.PollInterval]), so an add-checkpoint
// usually finds the copy there already and answers at once.
//
// Every refusal of a checkpoint the log's key signed keeps the evidence
// under the log's folder: both checkpoints and the request, or the export
// lines that broke a rule with the checkpoint their tree verified against.
//
// GET /<hex SHA-256 of the origin>/checkpoint serves the latest cosigned
// checkpoint with the log's signature and the witness's cosignature (the
// spec's monitoring API).
//
// # On disk
//
//	STATE/LOCK                          flock: one witness per state dir
//	STATE/logs/<origin, %XX-escaped>/
//	    state.json                      the log's state, replaced atomically
//	    copy/<first index, 20 digits>.ndjson
//	                                    the copy: export record lines, as
//	                                    the log served them, in segments
//	    evidence/<kind>-<time>-<hash>/  what a refusal was based on
//
// state.json holds the copy's size, each segment's committed length and
// the export end line that closes the copy, the latest cosigned
// checkpoint, and any refusal. Every change (a fetched batch of records,
// a cosignature) writes the segment bytes and fsyncs them, then writes a
// new state.json: a temporary file, fsynced, renamed over the old one,
// and the folder fsynced. The rename is the commit: after a crash at any
// point, start-up cuts each segment back to its committed length and
// deletes uncommitted files, and the replay state (registry, nonces,
// tree) is rebuilt by replaying the copy with the same rules. Each
// state.json change is a compare-and-swap: it is made under the log's
// lock, checked against the state it replaces, the old size of a
// cosignature included, as the spec requires.
//
// The copy is an export ([Copy.Export]): "signet audit DIR" audits it
// offline, and "signet witness export" writes it to a file that
// signetd import loads.
package witness

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	fnote "github.com/transparency-dev/formats/note"
)

// Config configures a [Witness].
type Config struct {
	// Key is the witness's signed-note private key,
	// "PRIVATE+KEY+<name>+<hash>+<base64>", Ed25519 (type 0x01 or 0x04),
	// as [GenerateKey] makes. Required.
	Key string
	// StateDir holds the witness's state and copies. Required; created
	// (mode 0700) if missing.
	StateDir string
	// Logs are the logs the witness accepts checkpoints from. Required.
	Logs []LogConfig
	// PollInterval is how often each log's checkpoint is fetched in the
	// background. Optional. Default 5s.
	PollInterval time.Duration
	// CatchUpTimeout bounds how long an add-checkpoint waits for the
	// copy to reach its checkpoint before answering 503. Optional.
	// Default 10s.
	CatchUpTimeout time.Duration
	// FetchRecords is how many records one export request fetches and
	// one update commits. Optional. Default 4096.
	FetchRecords int64
	// SegmentRecords is how many records a segment file holds before the
	// next begins. Optional. Default 1,000,000.
	SegmentRecords int64
	// HTTPClient fetches from the logs. Optional. Default: a client with
	// a 10-minute timeout per request.
	HTTPClient *http.Client
	// Logger reports progress and refusals. Optional. Default: discard.
	Logger *slog.Logger
}

// LogConfig is one log the witness follows.
type LogConfig struct {
	// VerifierKey is the log's signed-note verifier key, as the log
	// serves at /v1/log/key. Its name is the log's origin
	// (c2sp.org/tlog-policy). Required.
	VerifierKey string
	// URL is the base URL of the log's signetd, to fetch its checkpoint
	// and export from. Required.
	URL string
	// Token is the reader bearer token for the log's reads. Optional:
	// empty for a log with public reads.
	Token string
}

// Witness is a running witness: its logs' states and copies, open and
// locked. Its methods are safe for concurrent use.
type Witness struct {
	cfg    Config
	signer *fnote.Signer
	vkey   string
	logs   map[string]*logState
	lock   *os.File
	log    *slog.Logger

	closeOnce sync.Once
}

// New opens the state dir, takes its lock, and opens every log's state
// and copy: it cuts each copy back to its last commit and replays it with
// the log's rules to rebuild the replay state, so it takes time in
// proportion to the copies' sizes. It fails with [ErrLocked] if another
// process holds the state dir.
func New(cfg Config) (*Witness, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	signer, err := fnote.NewSignerForCosignatureV1(cfg.Key)
	if err != nil {
		return nil, fmt.Errorf("witness: the witness key: %w", err)
	}
	vkey, err := cosignatureVKey(cfg.Key)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(cfg.StateDir, "logs"), 0o700); err != nil {
		return nil, err
	}
	lock, err := lockDir(cfg.StateDir)
	if err != nil {
		return nil, err
	}
	w := &Witness{cfg: cfg, signer: signer, vkey: vkey, logs: map[string]*logState{}, lock: lock, log: cfg.Logger}
	for _, lc := range cfg.Logs {
		l, err := openLog(w, lc)
		if err != nil {
			w.Close()
			return nil, err
		}
		if w.logs[l.origin] != nil {
			w.Close()
			return nil, fmt.Errorf("witness: log %s is configured twice", l.origin)
		}
		w.logs[l.origin] = l
	}
	return w, nil
}

func (c *Config) defaults() error {
	switch {
	case c.Key == "":
		return errors.New("witness: Config.Key is required")
	case c.StateDir == "":
		return errors.New("witness: Config.StateDir is required")
	case len(c.Logs) == 0:
		return errors.New("witness: Config.Logs is empty")
	}
	if c.PollInterval <= 0 {
		c.PollInterval = 5 * time.Second
	}
	if c.CatchUpTimeout <= 0 {
		c.CatchUpTimeout = 10 * time.Second
	}
	if c.FetchRecords <= 0 {
		c.FetchRecords = 4096
	}
	if c.SegmentRecords <= 0 {
		c.SegmentRecords = 1_000_000
	}
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{Timeout: 10 * time.Minute}
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return nil
}

// VerifierKey returns the witness's cosignature/v1 verifier key (type
// 0x04), the key a tlog-policy "witness" line names.
func (w *Witness) VerifierKey() string { return w.vkey }

// Run catches every log up in the background, polling its checkpoint
// every PollInterval and whenever an add-checkpoint needs records the
// copy lacks, until ctx is done.
func (w *Witness) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for _, l := range w.logs {
		wg.Go(func() { l.follow(ctx) })
	}
	wg.Wait()
}

// Size returns the copy's size and the latest cosigned size of origin's
// log, and whether the log is refused.
func (w *Witness) Size(origin string) (copySize, cosignedSize int64, refused bool, err error) {
	l := w.logs[origin]
	if l == nil {
		return 0, 0, false, ErrUnknownLog
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.st.Cosigned != nil {
		cosignedSize = l.st.Cosigned.Size
	}
	return l.st.Copy.Size, cosignedSize, l.st.Refused != nil, nil
}

// Close closes the copies' files and releases the state dir. Run must
// have returned.
func (w *Witness) Close() error {
	w.closeOnce.Do(func() {
		for _, l := range w.logs {
			l.close()
		}
		w.lock.Close()
	})
	return nil
}
