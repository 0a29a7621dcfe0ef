package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/signet-ledger/signet"
	"github.com/signet-ledger/signet/client"
	"github.com/signet-ledger/signet/internal/atomicfile"
)

var receiptCmd = &command{
	name:     "receipt",
	synopsis: "INDEX [-o FILE] [--log-key KEY] [--policy FILE]",
	short:    "write a receipt of a record that signet verify --receipt checks offline",
	long: "Write a receipt of the record at INDEX: a c2sp.org/tlog-proof@v1 file holding the record, the key record " +
		"that added its signing key (and the key's revocation, if the log holds one), their inclusion proofs, and the " +
		"best checkpoint the server has for it with every cosignature it carries: the newest witnessed checkpoint " +
		"(GET /v1/checkpoint?witnessed=1) if it covers the record, else the latest. The checkpoint is trusted as signet " +
		"checkpoint trusts one (pinned log key, consistent with the last seen), and with --policy it must meet the " +
		"policy's quorum (else exit 3). The receipt is verified before it is written, to FILE or standard output. " +
		"Check it anywhere, with no network, with signet verify --receipt FILE --policy P.",
	run: runReceipt,
}

// receiptView is signet receipt's --json output.
type receiptView struct {
	Index          int64  `json:"index"`
	File           string `json:"file,omitempty"`
	CheckpointSize int64  `json:"checkpoint_size"`
	Witnessed      bool   `json:"witnessed"` // the server's newest witnessed checkpoint was used
	Cosignatures   int    `json:"cosignatures"`
	Witnesses      string `json:"witnesses"`
	KeyStatus      string `json:"key_status"`
}

func runReceipt(ctx context.Context, cmd *command, e *env, args []string) error {
	fs := cmd.flagSet(e)
	out := fs.String("o", "", "write the receipt to `FILE` (default: standard output)")
	logKey := fs.String("log-key", "", "pin the log's verifier `KEY` (or a file holding it) instead of trusting the server's on first use")
	policy := policyFlag(fs, e)
	pos, err := cmd.parse(e, fs, args)
	if err != nil {
		return err
	}
	if err := cmd.wantArgs(pos, 1, 1); err != nil {
		return err
	}
	i, err := parseIndex(pos[0])
	if err != nil {
		return err
	}
	if err := e.usePolicy(*policy); err != nil {
		return err
	}
	c := e.client()
	t, witnessed, err := e.receiptCheckpoint(ctx, c, i, *logKey)
	if err != nil {
		return err
	}
	if err := e.checkQuorum(t.CP.Note); err != nil {
		return err
	}
	r, err := c.Receipt(ctx, i, t.CP)
	if err != nil {
		return err
	}
	v, err := r.Verify(t.LogKey, e.policy)
	if err != nil {
		return verifyFailed("the receipt made of the server's answers does not verify: %v", err)
	}
	b, err := r.Marshal()
	if err != nil {
		return err
	}
	view := receiptView{Index: i, File: *out, CheckpointSize: t.CP.Size, Witnessed: witnessed,
		Cosignatures: cosignatures(t.CP.Note), Witnesses: e.witnessWords(t.CP.Note), KeyStatus: v.KeyStatus}
	if *out == "" {
		_, err := e.sys.Stdout.Write(b)
		return err
	}
	if err := atomicfile.Write(*out, b); err != nil {
		return fmt.Errorf("writing the receipt: %w", err)
	}
	return e.emit(view, func(w io.Writer) {
		how := "the latest checkpoint"
		if witnessed {
			how = "the newest witnessed checkpoint"
		}
		fmt.Fprintf(w, "receipt of record %d written to %s\ncheckpoint  size %d (%s), %d cosignatures\nwitnesses   %s\nkey         %s\n",
			i, *out, t.CP.Size, how, view.Cosignatures, safe(view.Witnesses), safe(view.KeyStatus))
	})
}

// receiptCheckpoint picks, and trusts ([env.trust]), the checkpoint a
// receipt of record i is proved in: the server's newest witnessed
// checkpoint if it has one that covers i, else its latest. A 404 for the
// witnessed one means none is witnessed yet (or the server has no
// witnesses). witnessed reports a checkpoint from the witnessed answer
// that carries cosignatures: a server that predates witnessing answers
// that request with its latest checkpoint.
func (e *env) receiptCheckpoint(ctx context.Context, c *client.Client, i int64, logKey string) (t *trusted, witnessed bool, err error) {
	msg, err := c.WitnessedCheckpoint(ctx)
	var p *client.Problem
	switch {
	case errors.As(err, &p) && p.Status == 404:
		msg = nil
	case err != nil:
		return nil, false, err
	}
	if msg != nil {
		if t, err = e.trust(ctx, c, msg, logKey, true); err != nil {
			return nil, false, err
		}
		if i < t.CP.Size {
			return t, cosignatures(t.CP.Note) > 0, nil
		}
		e.note("the newest witnessed checkpoint (size %d) does not cover record %d yet: using the latest", t.CP.Size, i)
	}
	t, err = e.trustedCheckpoint(ctx, c, logKey)
	return t, false, err
}

// cosignatures counts a checkpoint note's signatures beyond the log's.
func cosignatures(cp []byte) int {
	lines, err := signet.SignatureLines(cp)
	if err != nil || len(lines) == 0 {
		return 0
	}
	return len(lines) - 1
}

// receiptVerdict is signet verify --receipt's --json output.
type receiptVerdict struct {
	Index     int64           `json:"index"`
	Verified  bool            `json:"verified"`
	Offline   bool            `json:"offline"` // always true: no network was used
	Checks    map[string]bool `json:"checks"`
	Problems  []string        `json:"problems"`
	Signer    string          `json:"signer"`
	KID       string          `json:"kid"`
	KeyStatus string          `json:"key_status"`
	Origin    string          `json:"origin"`
	Size      int64           `json:"checkpoint_size"`
	Cosigners []string        `json:"cosigners"`
}

// verifyReceipt checks the receipt file with no network: the log key is
// flagKey, the policy's log line or the key pinned for the receipt's
// log. pos may name the index the receipt must be of.
func (e *env) verifyReceipt(path, flagKey string, pos []string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	r, err := signet.ParseReceipt(b)
	if err != nil {
		return verifyFailed("%s is not a receipt: %v", path, err)
	}
	if len(pos) == 1 {
		i, err := parseIndex(pos[0])
		if err != nil {
			return err
		}
		if i != r.Index {
			return verifyFailed("%s is a receipt of record %d, not %d", path, r.Index, i)
		}
	}
	logKey, err := e.receiptLogKey(signet.CheckpointOrigin(r.Checkpoint), flagKey)
	if err != nil {
		return err
	}
	v, verr := r.Verify(logKey, e.policy)
	out := receiptVerdict{Index: r.Index, Verified: verr == nil, Offline: true, Checks: map[string]bool{}, Problems: []string{},
		Signer: r.Record.Signer, KID: r.Record.KID, KeyStatus: v.KeyStatus, Cosigners: v.Cosigners}
	if v.Checkpoint != nil {
		out.Origin, out.Size = v.Checkpoint.Origin, v.Checkpoint.Size
	}
	for c, err := range v.Results {
		out.Checks[string(c)] = err == nil
	}
	for _, f := range v.Failures() {
		out.Problems = append(out.Problems, string(f.Check)+": "+strings.TrimPrefix(f.Err.Error(), "signet: "))
	}
	if err := e.emit(out, func(w io.Writer) { out.print(w, logKey) }); err != nil {
		return err
	}
	if verr != nil {
		return verifyFailed("the receipt of record %d does not verify: %s", r.Index, strings.Join(out.Problems, "; "))
	}
	return nil
}

// receiptLogKey is the log key to check a receipt of origin with, from
// the flag, the policy or the key pinned, with no network.
func (e *env) receiptLogKey(origin, flagKey string) (string, error) {
	k, err := e.policyLogKey(origin, flagKey)
	if err != nil {
		return "", err
	}
	if k != "" && k == flagKey {
		if k, err = parseLogKey(k); err != nil {
			return "", err
		}
	}
	pinned, err := e.pinnedKeyFor(origin)
	switch {
	case err != nil:
		return "", err
	case k != "" && pinned != "" && k != pinned:
		return "", verifyFailed("--log-key is not the key pinned for log %q (%s)", origin, keyName(pinned))
	case k == "" && pinned == "":
		return "", withHint(usagef("no log key for log %q", origin),
			"pass --log-key KEY or a --policy with a log line, or run signet checkpoint against the log first to pin it")
	case k == "":
		return pinned, nil
	}
	return k, nil
}

func (v *receiptVerdict) print(w io.Writer, logKey string) {
	state := "verified offline"
	if !v.Verified {
		state = "NOT verified"
	}
	fmt.Fprintf(w, "receipt of record %d: %s\nsigner %s, key %s (%s)\n\n", v.Index, state, safe(v.Signer), safe(v.KID), safe(v.KeyStatus))
	for _, c := range signet.ReceiptChecks {
		ok, has := v.Checks[string(c)]
		word := "-"
		if has {
			word = okWord(ok)
		}
		fmt.Fprintf(w, "%-12s %s\n", c, word)
	}
	fmt.Fprintf(w, "\ncheckpoint   %s, size %d, log key %s\n", safe(v.Origin), v.Size, safe(keyName(logKey)))
	if len(v.Cosigners) > 0 {
		fmt.Fprintf(w, "cosigned by  %s\n", safe(strings.Join(v.Cosigners, ", ")))
	}
	for _, p := range v.Problems {
		fmt.Fprintf(w, "problem: %s\n", safe(p))
	}
}
