package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/signet-ledger/signet/client"
	"github.com/signet-ledger/signet/ledger"
	"golang.org/x/mod/sumdb/note"
)

// trusted is a checkpoint that verified with the pinned log key and is
// consistent with the last one this client saw of the log.
type trusted struct {
	CP       *ledger.Checkpoint
	LogKey   string
	PinnedAt bool               // the log key was pinned by this call (trust on first use)
	Previous *ledger.Checkpoint // the last checkpoint seen before, if any
}

// trustedCheckpoint fetches the server's latest checkpoint and trusts it
// ([env.trust]); as the latest, it may not be smaller than the last one
// seen.
func (e *env) trustedCheckpoint(ctx context.Context, c *client.Client, logKey string) (*trusted, error) {
	msg, err := c.Checkpoint(ctx)
	if client.IsProblem(err, "notFound") {
		return nil, withHint(err, "the log has no checkpoint until its first record is appended")
	}
	if err != nil {
		return nil, err
	}
	return e.trust(ctx, c, msg, logKey, false)
}

// trustAnswer trusts the checkpoint an answer to a write carried
// ([env.trust]). It may be older than the last one seen, if that one
// extends it: the answers to concurrent writes cross.
func (e *env) trustAnswer(ctx context.Context, c *client.Client, msg string) (*trusted, error) {
	if msg == "" {
		return nil, verifyFailed("the server's answer carries no checkpoint")
	}
	t, err := e.trust(ctx, c, []byte(msg), "", true)
	if err == nil && t.PinnedAt {
		e.note("pinned the log key %s of log %q, as the server served it (trust on first use)", safe(keyName(t.LogKey)), safe(t.CP.Origin))
	}
	return t, err
}

// trust checks the checkpoint msg against the client's state: the log
// key pinned for its origin (pinned now from logKey, or else from the
// server, if none is), the origin this server served before, and
// consistency with the last checkpoint seen, which it then replaces if
// msg is newer. Only with older may msg be smaller than the last one
// seen, and then the last one must extend it. A failed check wraps
// [client.ErrVerification]; a fork is a [*client.ForkError]. Calls are
// serialised, so that concurrent answers never pin an older checkpoint
// over a newer one.
func (e *env) trust(ctx context.Context, c *client.Client, msg []byte, logKey string, older bool) (*trusted, error) {
	e.trustMu.Lock()
	defer e.trustMu.Unlock()
	origin := ledger.CheckpointOrigin(msg)
	st := e.state()
	if was, ok, err := st.serverOrigin(e.g.Server); err != nil {
		return nil, err
	} else if ok && was != origin {
		return nil, withHint(verifyFailed("the server at %s served log %q before, and now log %q", e.g.Server, was, origin),
			"if the operator really moved the log, remove "+st.serverFile(e.g.Server))
	}
	t := &trusted{}
	logKey, err := e.policyLogKey(origin, logKey)
	if err != nil {
		return nil, err
	}
	if t.LogKey, t.PinnedAt, err = e.logKeyFor(ctx, c, origin, logKey); err != nil {
		return nil, err
	}
	if t.CP, err = client.OpenCheckpoint(msg, t.LogKey); err != nil {
		return nil, err
	}
	if t.Previous, err = e.checkLastSeen(ctx, c, t, older); err != nil {
		return nil, err
	}
	return t, e.remember(t)
}

// logKeyFor returns the log key to check origin's checkpoints with: the
// pinned one; else logKey (the --log-key flag), or the key the server
// serves, to be pinned once a checkpoint verifies with it.
func (e *env) logKeyFor(ctx context.Context, c *client.Client, origin, logKey string) (string, bool, error) {
	if logKey != "" {
		var err error
		if logKey, err = parseLogKey(logKey); err != nil {
			return "", false, err
		}
	}
	pinned, ok, err := e.state().pinnedKey(origin)
	switch {
	case err != nil:
		return "", false, err
	case ok && logKey != "" && logKey != pinned:
		return "", false, verifyFailed("--log-key is not the key pinned for log %q (%s)", origin, keyName(pinned))
	case ok:
		return pinned, false, nil
	case logKey != "":
		return logKey, true, nil
	}
	served, err := c.LogKey(ctx)
	if err != nil {
		return "", false, fmt.Errorf("fetching the log key to pin: %w", err)
	}
	if _, err := note.NewVerifier(served); err != nil {
		return "", false, verifyFailed("the server's log key is not a signed-note verifier key")
	}
	return served, true, nil
}

// checkLastSeen proves t.CP consistent with the last checkpoint seen of
// its log, and returns that one (nil if none). With older, a t.CP smaller
// than the last one seen is proved a prefix of it.
func (e *env) checkLastSeen(ctx context.Context, c *client.Client, t *trusted, older bool) (*ledger.Checkpoint, error) {
	last, ok, err := e.state().lastCheckpoint(t.CP.Origin)
	if err != nil || !ok {
		return nil, err
	}
	prev, err := client.OpenCheckpoint(last, t.LogKey)
	if err != nil {
		return nil, withHint(fmt.Errorf("the stored checkpoint of %q does not verify with the pinned key: %w", t.CP.Origin, err),
			"the client state under "+e.g.StateDir+" was changed")
	}
	from, to := prev, t.CP
	if older && t.CP.Size < prev.Size {
		from, to = t.CP, prev
	}
	if err := c.VerifyConsistency(ctx, from, to); err != nil {
		return nil, err
	}
	return prev, nil
}

// remember pins the key (if new), the server's origin, and the checkpoint
// if it is newer than the last seen.
func (e *env) remember(t *trusted) error {
	st := e.state()
	if t.PinnedAt {
		if err := st.pinKey(t.CP.Origin, t.LogKey); err != nil {
			return err
		}
	}
	if err := st.setServerOrigin(e.g.Server, t.CP.Origin); err != nil {
		return err
	}
	if t.Previous == nil || t.CP.Size > t.Previous.Size {
		return st.saveCheckpoint(t.CP.Origin, t.CP.Note)
	}
	return nil
}

// parseLogKey accepts a signed-note verifier key, or a file holding one.
func parseLogKey(s string) (string, error) {
	s = strings.TrimSpace(s)
	if _, err := note.NewVerifier(s); err == nil {
		return s, nil
	}
	b, err := os.ReadFile(s)
	if err != nil {
		return "", usagef("--log-key is neither a signed-note verifier key (<name>+<hash>+<key>) nor a readable file")
	}
	k := strings.TrimSpace(string(b))
	if _, err := note.NewVerifier(k); err != nil {
		return "", usagef("--log-key file %s does not hold a signed-note verifier key", s)
	}
	return k, nil
}

// pinnedKeyFor returns the log key pinned for origin, if any.
func (e *env) pinnedKeyFor(origin string) (string, error) {
	k, ok, err := e.state().pinnedKey(origin)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", nil
	}
	return k, nil
}

// keyName is the "<name>+<hash>" of a verifier key.
func keyName(vkey string) string {
	parts := strings.SplitN(vkey, "+", 3)
	if len(parts) < 2 {
		return vkey
	}
	return parts[0] + "+" + parts[1]
}

// checkKeyEvent checks the answer to a registration, key change or
// revocation: its checkpoint is trusted ([env.trustAnswer]), and the
// record at its log index, which the server shows, is of its signer,
// hashes to what it states and is included in that checkpoint by the
// answer's proof. The record then goes into the journal.
func (e *env) checkKeyEvent(ctx context.Context, c *client.Client, ev *client.KeyEvent) error {
	t, err := e.trustAnswer(ctx, c, ev.Checkpoint)
	if err != nil {
		return err
	}
	r, err := c.Entry(ctx, ev.LogIndex)
	if err != nil {
		return fmt.Errorf("fetching record %d to check it: %w", ev.LogIndex, err)
	}
	rec, err := client.LedgerRecord(r)
	if err != nil {
		return verifyFailed("the server's record %d: %v", ev.LogIndex, err)
	}
	if rec.Signer != ev.Signer || rec.Kind == ledger.KindEntry {
		return verifyFailed("record %d is not a key event of signer %q", ev.LogIndex, ev.Signer)
	}
	if err := client.CheckRecordHash(rec); err != nil {
		return err
	}
	if err := client.VerifyInclusion(rec, &ev.InclusionProof, t.CP); err != nil {
		return err
	}
	return e.journal(t.CP.Origin, rec)
}
