package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/signet-ledger/signet/client"
	"github.com/signet-ledger/signet/ledger"
)

var verifyCmd = &command{
	name:     "verify",
	synopsis: "INDEX [--log-key KEY] [--policy FILE] | --receipt FILE [--log-key KEY] [--policy FILE]",
	short:    "ask the server to verify a record, then check it locally",
	long: "Ask the server to verify the record at INDEX, then check locally all it can: the record hash, " +
		"the chain links to its neighbours, the signature and every rule of the log with the registry replayed from the log's key records " +
		"(each proved in the checkpoint; the key's status is not the server's word), and its inclusion in the " +
		"latest checkpoint, verified with the pinned log key and proved consistent with the last one seen. " +
		"Where the server and the local checks disagree, says so loudly and exits 3. With --policy, that checkpoint " +
		"must meet the policy's witness quorum (exit 3 naming the missing witnesses). With --receipt FILE (signet receipt), " +
		"checks the receipt with no network at all: the checkpoint's signature with the log key (--log-key, the policy's log " +
		"line, or the key pinned for its log), the witness quorum of --policy, the record's hash and payload, its key record, " +
		"its signature and its inclusion; each failing check is named, exit 3.",
	run: runVerify,
}

// checkNames are the checks the server and the client both make.
var checkNames = []string{"signature", "record_hash", "chain_link", "inclusion"}

// verdict is the outcome of signet verify, as --json prints it.
type verdict struct {
	Index      int64                `json:"index"`
	Verified   bool                 `json:"verified"` // the server and every local check say so
	Agree      bool                 `json:"agree"`
	Server     *client.Verification `json:"server"`
	Local      localChecks          `json:"local"`
	Checkpoint int64                `json:"checkpoint_size,omitempty"`
	Witnesses  string               `json:"witnesses"`
}

// localChecks are the client's own checks of one record.
type localChecks struct {
	Checks    map[string]bool `json:"checks"`
	KeyStatus string          `json:"key_status,omitempty"`
	Problems  []string        `json:"problems"`
}

func (l *localChecks) set(name string, err error) {
	l.Checks[name] = err == nil
	if err != nil {
		l.Problems = append(l.Problems, name+": "+strings.TrimPrefix(err.Error(), "signet: local verification failed: "))
	}
}

func (l *localChecks) ok() bool {
	for _, ok := range l.Checks {
		if !ok {
			return false
		}
	}
	return true
}

func runVerify(ctx context.Context, cmd *command, e *env, args []string) error {
	fs := cmd.flagSet(e)
	logKey := fs.String("log-key", "", "pin the log's verifier `KEY` (or a file holding it) instead of trusting the server's on first use")
	policy := policyFlag(fs, e)
	receipt := fs.String("receipt", "", "check the receipt `FILE` offline instead of asking the server")
	pos, err := cmd.parse(e, fs, args)
	if err != nil {
		return err
	}
	if err := e.usePolicy(*policy); err != nil {
		return err
	}
	if *receipt != "" {
		if err := cmd.wantArgs(pos, 0, 1); err != nil {
			return err
		}
		return e.verifyReceipt(*receipt, *logKey, pos)
	}
	if err := cmd.wantArgs(pos, 1, 1); err != nil {
		return err
	}
	i, err := parseIndex(pos[0])
	if err != nil {
		return err
	}
	c := e.client()
	server, err := c.Verify(ctx, i)
	if err != nil {
		return err
	}
	t, err := e.trustedCheckpoint(ctx, c, *logKey)
	if err != nil {
		return err
	}
	if err := e.checkQuorum(t.CP.Note); err != nil {
		return err
	}
	v := &verdict{Index: i, Server: server, Local: localChecks{Checks: map[string]bool{}, Problems: []string{}}, Checkpoint: t.CP.Size,
		Witnesses: e.witnessWords(t.CP.Note)}
	if err := e.checkLocally(ctx, c, i, t, &v.Local); err != nil {
		return err
	}
	disagree := v.compare()
	v.Agree, v.Verified = len(disagree) == 0, len(disagree) == 0 && server.Verified
	if err := e.emit(v, func(w io.Writer) { v.print(w, t) }); err != nil {
		return err
	}
	switch {
	case !v.Agree:
		fmt.Fprintf(e.sys.Stderr, "\n!!! THE SERVER AND THE LOCAL CHECKS DISAGREE ON RECORD %d !!!\n", i)
		for _, d := range disagree {
			fmt.Fprintf(e.sys.Stderr, "!!! %s\n", safe(d))
		}
		return verifyFailed("the server's verification of record %d does not match the local checks: %s", i, strings.Join(disagree, "; "))
	case !v.Verified:
		return verifyFailed("record %d does not verify: %s", i, strings.Join(append(server.Problems, v.Local.Problems...), "; "))
	}
	return nil
}

// compare lists where the server and the local checks differ.
func (v *verdict) compare() []string {
	var d []string
	for _, name := range checkNames {
		s, l := v.Server.Checks[name], v.Local.Checks[name]
		if s != l {
			d = append(d, fmt.Sprintf("%s: the server says %s, the local check says %s", name, okWord(s), okWord(l)))
		}
	}
	if v.Server.Verified != v.Local.ok() {
		d = append(d, fmt.Sprintf("verified: the server says %v, the local checks say %v", v.Server.Verified, v.Local.ok()))
	}
	return d
}

func okWord(ok bool) string {
	if ok {
		return "ok"
	}
	return "FAILED"
}

func (v *verdict) print(w io.Writer, t *trusted) {
	state := "verified"
	switch {
	case !v.Agree:
		state = "DISAGREEMENT between the server and the local checks"
	case !v.Verified:
		state = "NOT verified (the server and the local checks agree)"
	}
	fmt.Fprintf(w, "record %d: %s\n", v.Index, state)
	s := v.Server.Signer
	fmt.Fprintf(w, "signer %s, key %s (%s; by the log's key records: %s)\n\n%-14s %-8s %s\n",
		safe(s.Signer), safe(s.KID), safe(s.KeyStatus), v.Local.KeyStatus, "check", "server", "local")
	for _, name := range checkNames {
		fmt.Fprintf(w, "%-14s %-8s %s\n", name, okWord(v.Server.Checks[name]), okWord(v.Local.Checks[name]))
	}
	if ok, has := v.Local.Checks["payload"]; has {
		fmt.Fprintf(w, "%-14s %-8s %s\n", "payload", "-", okWord(ok))
	}
	fmt.Fprintf(w, "\ncheckpoint     size %d, signed by %s, %s\n", t.CP.Size, safe(keyName(t.LogKey)), trustWords(t))
	fmt.Fprintf(w, "witnesses      %s\n", safe(v.Witnesses))
	for _, p := range v.Server.Problems {
		fmt.Fprintf(w, "server problem: %s\n", safe(p))
	}
	for _, p := range v.Local.Problems {
		fmt.Fprintf(w, "local problem:  %s\n", safe(p))
	}
}

// checkLocally fills l with the client's own checks of record i. Only a
// failure to ask the server is an error.
func (e *env) checkLocally(ctx context.Context, c *client.Client, i int64, t *trusted, l *localChecks) error {
	r, err := c.Entry(ctx, i)
	if err != nil {
		return err
	}
	rec, err := client.LedgerRecord(r)
	if err != nil {
		for _, name := range checkNames {
			l.set(name, verifyFailed("the server's record does not parse: %v", err))
		}
		return nil
	}
	l.set("record_hash", client.CheckRecordHash(rec))
	if r.JWS != nil {
		var err error
		if !ledger.SamePayload(r.Payload, rec.Payload) {
			err = verifyFailed("the payload shown is not the signed payload")
		}
		l.set("payload", err)
	}
	link, err := e.checkLinks(ctx, c, rec)
	if err != nil {
		return err
	}
	l.set("chain_link", link)
	sig, err := e.checkSignature(ctx, c, rec, t, l)
	if err != nil {
		return err
	}
	l.set("signature", sig)
	l.set("inclusion", e.checkInclusion(ctx, c, rec, t))
	return nil
}

// checkLinks checks rec's prev_hash against its predecessor's hash, and
// its successor's prev_hash against rec's hash, recomputing both
// neighbours' hashes. check is a failed check; err a failure to ask.
func (e *env) checkLinks(ctx context.Context, c *client.Client, rec *ledger.Record) (check, err error) {
	if rec.Index == 0 && rec.PrevHash != (ledger.Hash{}) {
		return verifyFailed("record 0 must have a zero prev_hash"), nil
	}
	if rec.Index > 0 {
		prev, err := e.neighbour(ctx, c, rec.Index-1)
		switch {
		case errors.Is(err, client.ErrVerification):
			return err, nil
		case err != nil:
			return nil, err
		case prev == nil:
			return verifyFailed("record %d is missing", rec.Index-1), nil
		case prev.Hash != rec.PrevHash:
			return verifyFailed("prev_hash is not the hash of record %d", rec.Index-1), nil
		}
	}
	next, err := e.neighbour(ctx, c, rec.Index+1)
	if errors.Is(err, client.ErrVerification) {
		return err, nil
	}
	if err != nil {
		return nil, err
	}
	if next != nil && next.PrevHash != rec.Hash {
		return verifyFailed("record %d's prev_hash is not this record's hash", rec.Index+1), nil
	}
	return nil, nil
}

// neighbour returns record i with its hash checked, nil if there is none.
func (e *env) neighbour(ctx context.Context, c *client.Client, i int64) (*ledger.Record, error) {
	r, err := c.Entry(ctx, i)
	if client.IsProblem(err, "notFound") {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	rec, err := client.LedgerRecord(r)
	if err != nil {
		return nil, verifyFailed("record %d does not parse: %v", i, err)
	}
	if err := client.CheckRecordHash(rec); err != nil {
		return nil, err
	}
	return rec, nil
}

// checkSignature checks rec by the log's rules, signature included, with
// the registry the log's key records make ([env.keyRecords],
// [replayKeys]), not the server's word on its keys. check is a failed
// check; err a failure to ask.
func (e *env) checkSignature(ctx context.Context, c *client.Client, rec *ledger.Record, t *trusted, l *localChecks) (check, err error) {
	events, err := e.keyRecords(ctx, c, t)
	if errors.Is(err, client.ErrVerification) {
		return err, nil
	}
	if err != nil {
		return nil, err
	}
	l.KeyStatus, check = replayKeys(events, rec)
	return check, nil
}

// checkInclusion proves rec in the trusted checkpoint.
func (e *env) checkInclusion(ctx context.Context, c *client.Client, rec *ledger.Record, t *trusted) error {
	if rec.Index >= t.CP.Size {
		return verifyFailed("record %d is not in the latest checkpoint (size %d)", rec.Index, t.CP.Size)
	}
	p, err := c.InclusionProof(ctx, rec.Index, t.CP.Size)
	if err != nil {
		return verifyFailed("no inclusion proof: %v", err)
	}
	return client.VerifyInclusion(rec, p, t.CP)
}

func trustWords(t *trusted) string {
	switch {
	case t.PinnedAt:
		return "log key pinned now (trust on first use)"
	case t.Previous == nil:
		return "first checkpoint seen"
	case t.Previous.Size == t.CP.Size:
		return "the same as last seen"
	}
	return fmt.Sprintf("consistent with the checkpoint of size %d seen before", t.Previous.Size)
}
