package ledger

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/signet-ledger/signet"
	"github.com/signet-ledger/signet/keys"
	"github.com/signet-ledger/signet/registry"
	"golang.org/x/mod/sumdb/tlog"
)

// Signed is one signed request: a JWS and the URL path it was sent to.
// The JWS's protected url must name that path, so a request signed for one
// endpoint cannot be replayed at another.
type Signed struct {
	JWS *keys.JWS
	// Raw is the JWS in flattened JSON, not yet parsed, for an entry of
	// [Log.AppendEntries] whose JWS is nil: it is parsed only once the
	// entry's Gate lets it through.
	Raw  []byte
	Path string
	// Gate, if set, is told how the request's checks go, so that the
	// caller can bound what requests that are not genuine cost. Optional.
	Gate Gate
}

// Gate bounds the work a request may cause before it is known to be
// genuine, and charges genuine requests to their key. The ledger calls its
// methods from the goroutine checking the request; the Gates of a batch's
// entries are called concurrently.
type Gate interface {
	// Check is called before the request's key is looked up and again
	// before its signature is checked. An error refuses the request.
	Check() error
	// Verified is called once the signature of a request that names its
	// key by kid (any but a registration) verified, with that kid, before
	// the request's nonce is used. An error refuses the request; its nonce
	// stays usable.
	Verified(kid string) error
	// Failed is called when the client's request is refused before its
	// signature verified: it does not decode, names no usable key, or its
	// signature is wrong. It is not called when the ledger cannot answer
	// (ErrUnavailable, ErrCorrupt, a cancelled context).
	Failed()
}

// openGate is the Gate of a request without one.
type openGate struct{}

func (openGate) Check() error          { return nil }
func (openGate) Verified(string) error { return nil }
func (openGate) Failed()               {}

func (s Signed) gate() Gate {
	if s.Gate == nil {
		return openGate{}
	}
	return s.Gate
}

// failed tells g of err if it is the client's fault, and returns err.
func failed(g Gate, err error) error {
	if err != nil && !errors.Is(err, ErrUnavailable) && !errors.Is(err, ErrCorrupt) &&
		!errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
		g.Failed()
	}
	return err
}

// Appended is the answer to an append: the record, and a signed checkpoint
// with the record's inclusion proof against it.
type Appended struct {
	Record *Record
	// Existing is true when the request was an identical resubmission of a
	// JWS already in the log: nothing was appended.
	Existing bool
	// Key is the kid a key event is about: the key registered, added or
	// revoked. Empty for entries.
	Key        string
	Checkpoint []byte
	TreeSize   int64
	Proof      tlog.RecordProof
}

// AppendEntry appends a journal entry signed by an active registered key.
func (l *Log) AppendEntry(ctx context.Context, s Signed) (*Appended, error) {
	return l.appendEntry(ctx, s, nil)
}

// appendEntry is AppendEntry; with slots, the entry first takes one of
// them, holding it while it is parsed, decoded and verified, and gives it
// back before it waits for its commit.
func (l *Log) appendEntry(ctx context.Context, s Signed, slots chan struct{}) (*Appended, error) {
	release := func() {}
	if slots != nil {
		var err error
		if release, err = takeSlot(ctx, slots); err != nil {
			return nil, err
		}
		defer release()
	}
	track := l.seq.track()
	done := func() { track(); release() }
	defer done()
	s, e, err := l.decodeEntry(s)
	if err != nil {
		return nil, err
	}
	return l.submit(ctx, s, e, done)
}

// takeSlot takes one of slots, and returns the func that gives it back
// (more than once is fine).
func takeSlot(ctx context.Context, slots chan struct{}) (func(), error) {
	select {
	case slots <- struct{}{}:
		return sync.OnceFunc(func() { <-slots }), nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// decodeEntry parses s's JWS if it is still raw, once its Gate lets it,
// and decodes it as an entry.
func (l *Log) decodeEntry(s Signed) (Signed, *signet.Event, error) {
	if s.JWS == nil {
		if err := s.gate().Check(); err != nil {
			return s, nil, err
		}
		j, err := keys.ParseFlattened(s.Raw)
		if err != nil {
			return s, nil, failed(s.gate(), err)
		}
		s.JWS = j
	}
	if err := l.cfg.Payload.checkSize(s.JWS.PayloadBytes()); err != nil {
		return s, nil, failed(s.gate(), err)
	}
	e, err := decode(s, KindEntry)
	if err != nil {
		return s, nil, failed(s.gate(), err)
	}
	return s, e, nil
}

// Register registers a new signer with the key in the JWS's jwk header,
// which must have signed it. The payload is {"signer": "<id>"} and may carry
// other descriptive members. Only the operator may call it; the caller
// checks that.
func (l *Log) Register(ctx context.Context, s Signed) (*Appended, error) {
	done := l.seq.track()
	defer done()
	e, err := decode(s, KindRegistered)
	if err != nil {
		return nil, failed(s.gate(), err)
	}
	return withKey(l.submit(ctx, s, e, done))(e.KID)
}

// AddKey adds a key to signer, as ACME's key change does: the outer JWS is
// signed by an active key of signer; its payload is an inner JWS (flattened
// JSON) signed by the new key, whose protected header has the new key in jwk
// and the same url, and whose payload is {"signer": signer, "old_kid": <kid of
// the outer key>}. signer is the one the request's path names.
func (l *Log) AddKey(ctx context.Context, s Signed, signer string) (*Appended, error) {
	done := l.seq.track()
	defer done()
	e, err := decode(s, KindKeyAdded)
	if err != nil {
		return nil, failed(s.gate(), err)
	}
	return withKey(l.submit(ctx, s, e, done))(e.NewKey.Thumbprint())
}

// Revoke revokes signer's key kid, as the request's path names them. The
// JWS is signed by an active key of signer, its payload a [RevokeRequest].
func (l *Log) Revoke(ctx context.Context, s Signed, signer, kid string) (*Appended, error) {
	done := l.seq.track()
	defer done()
	e, err := decode(s, KindKeyRevoked)
	if err != nil {
		return nil, failed(s.gate(), err)
	}
	return withKey(l.submit(ctx, s, e, done))(e.Revoke.KID)
}

// RevokeByOperator revokes signer's key kid on the operator's authority
// (the caller checked the admin token). body is a [RevokeRequest] as JSON.
// The record it would write, with an [OperatorRevocation] payload, is
// decoded by the same rules as any stored record.
func (l *Log) RevokeByOperator(ctx context.Context, signer, kid string, body []byte) (*Appended, error) {
	r, err := signet.DecodeRevokeRequest(body)
	if err != nil {
		return nil, err
	}
	payload, err := json.Marshal(OperatorRevocation{
		Signer: signer, KID: kid, Reason: r.Reason, CompromisedSince: r.CompromisedSince, RevokedBy: registry.Operator,
	})
	if err != nil {
		return nil, malformedf("the revocation cannot be encoded")
	}
	rec := Record{Kind: KindKeyRevoked, Signer: signer, Payload: base64.RawURLEncoding.EncodeToString(payload)}
	e, err := signet.DecodeRecord(&rec)
	if err != nil {
		return nil, err
	}
	p := &pending{rec: rec, event: e}
	return withKey(l.finish(ctx, l.seq.submit(ctx, p)))(kid)
}

// withKey sets the Key of a successful append.
func withKey(a *Appended, err error) func(kid string) (*Appended, error) {
	return func(kid string) (*Appended, error) {
		if a != nil {
			a.Key = kid
		}
		return a, err
	}
}

// decode applies the log's stateless rules to a request for a record of
// kind k ([signet.Decode]), and checks that it was sent to the path its
// url names: a request signed for one endpoint, or for one signer's keys,
// cannot be replayed at another.
func decode(s Signed, k Kind) (*signet.Event, error) {
	e, err := signet.Decode(k, s.JWS)
	if err != nil {
		return nil, err
	}
	if p, _ := signet.URLPath(s.JWS.Header.URL); p != s.Path {
		return nil, malformedf("the protected header's url %q does not name this endpoint, %s", trunc(s.JWS.Header.URL), s.Path)
	}
	return e, nil
}

// submit finds the key that must have signed e in the log's registry,
// verifies s with it, checks the nonce's authenticity and queues e. The
// request's Gate is consulted before the key lookup and the signature
// check, and told how they went.
func (l *Log) submit(ctx context.Context, s Signed, e *signet.Event, done func()) (*Appended, error) {
	pub, err := l.signingKey(ctx, s, e)
	if err != nil {
		return nil, err
	}
	if err := l.verifyOne(s, e, pub); err != nil {
		return nil, err
	}
	return l.queue(ctx, s, e, done)
}

// signingKey is the first part of submit: the Gate's check, then the key
// that must have signed e.
func (l *Log) signingKey(ctx context.Context, s Signed, e *signet.Event) (keys.PublicKey, error) {
	g := s.gate()
	if err := g.Check(); err != nil {
		return keys.PublicKey{}, err
	}
	pub, err := l.reg.signingKey(ctx, e)
	if err != nil {
		return keys.PublicKey{}, failed(g, err)
	}
	return pub, nil
}

// verifyOne is the second part of submit: the Gate's check, then the
// signature, in one of the log's verification slots.
func (l *Log) verifyOne(s Signed, e *signet.Event, pub keys.PublicKey) error {
	g := s.gate()
	l.verify <- struct{}{}
	if err := g.Check(); err != nil {
		<-l.verify
		return err
	}
	err := e.Verify(pub)
	<-l.verify
	if err != nil {
		return failed(g, err)
	}
	return nil
}

// queue is the last part of submit, for a request whose signature
// verified: the Gate's charge to its key, the nonce, and the sequencer.
// It calls done once the request is queued.
func (l *Log) queue(ctx context.Context, s Signed, e *signet.Event, done func()) (*Appended, error) {
	if e.Kind != KindRegistered {
		if err := s.gate().Verified(e.KID); err != nil {
			return nil, err
		}
	}
	rec := Record{Kind: e.Kind, Signer: e.Signer, KID: e.KID,
		Protected: s.JWS.Protected, Payload: s.JWS.Payload, Signature: s.JWS.Signature}
	if err := l.nonces.Check(e.Nonce); err != nil {
		return l.resubmitted(ctx, &rec, e.Nonce, err)
	}
	rec.Nonce = e.Nonce
	p := &pending{rec: rec, event: e}
	done()
	return l.finish(ctx, l.seq.submit(ctx, p))
}

// resubmitted answers a request whose nonce failed its check: if it is an
// exact resubmission of a record in the log, that record; otherwise nonceErr.
func (l *Log) resubmitted(ctx context.Context, rec *Record, nonce string, nonceErr error) (*Appended, error) {
	if nonce == "" {
		return nil, nonceErr
	}
	ex, err := l.store.RecordByNonce(ctx, nonce)
	if errors.Is(err, ErrNotFound) {
		return nil, nonceErr
	}
	if err != nil {
		return nil, err
	}
	return l.finish(ctx, resubmission(ex, rec))
}

// finish turns a sequencer result into an Appended with its proof.
func (l *Log) finish(ctx context.Context, r result) (*Appended, error) {
	if r.err != nil {
		return nil, r.err
	}
	a := &Appended{Record: r.rec, Existing: r.existing}
	read := l.hashReader(ctx, nil)
	if t := r.tree; t != nil {
		a.Checkpoint, a.TreeSize = t.checkpoint, t.size
		read = l.hashReader(ctx, t.hashes)
	} else {
		h, err := l.store.Head(ctx)
		if err != nil {
			return nil, err
		}
		a.Checkpoint, a.TreeSize = h.Checkpoint, h.Size
	}
	proof, err := tlog.ProveRecord(a.TreeSize, a.Record.Index, read)
	if err != nil {
		return nil, fmt.Errorf("ledger: proving record %d: %w", a.Record.Index, err)
	}
	a.Proof = proof
	return a, nil
}

// hashReader reads stored hashes from mem, then from the store.
func (l *Log) hashReader(ctx context.Context, mem map[int64]tlog.Hash) tlog.HashReader {
	return tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		return readThrough(mem, idx, func(miss []int64) ([]tlog.Hash, error) { return l.store.ReadHashes(ctx, miss) })
	})
}

func trunc(s string) string {
	if len(s) > 100 {
		return s[:100] + "..."
	}
	return s
}

// MaxEntriesPerBatch is the most entries [Log.AppendEntries] takes at once.
const MaxEntriesPerBatch = 1000

// EntryResult is the outcome of one entry of [Log.AppendEntries].
type EntryResult struct {
	Appended *Appended
	Err      error
}

// AppendEntries appends independently signed entries, each exactly as
// [Log.AppendEntry] would, concurrently so that they share commits. One
// entry's failure does not affect the others; results are in input order.
//
// A few entries at a time (two per core) are parsed, decoded and have
// their key looked up; each gives its turn back before waiting for its
// commit. So a batch that turns out invalid is checked entry by entry, and
// its Gates can stop it (an address out of failures) before the rest costs
// anything; and the entries waiting for a turn do not count as in flight,
// so they do not hold up other clients' commits.
//
// The signatures of each group of [verifyGroup] entries are checked
// together with [keys.VerifyBatch], whose verdicts are those of checking
// them one by one. An entry it refuses is checked alone, as AppendEntry
// would, for its error and its Gate's failure; and once a group of the
// batch held a bad signature, the rest of the batch is checked one by one,
// so that bad signatures cost the batch a failed group at most per core.
func (l *Log) AppendEntries(ctx context.Context, reqs []Signed) ([]EntryResult, error) {
	if len(reqs) == 0 || len(reqs) > MaxEntriesPerBatch {
		return nil, malformedf("a batch holds 1 to %d entries, got %d", MaxEntriesPerBatch, len(reqs))
	}
	out := make([]EntryResult, len(reqs))
	slots := make(chan struct{}, 2*runtime.GOMAXPROCS(0))
	if len(reqs) == 1 {
		out[0].Appended, out[0].Err = l.appendEntry(ctx, reqs[0], slots)
		return out, nil
	}
	b := &batchAdmission{l: l, slots: slots}
	var wg sync.WaitGroup
	for lo := 0; lo < len(reqs); lo += verifyGroup {
		hi := min(lo+verifyGroup, len(reqs))
		wg.Add(1)
		go func() {
			defer wg.Done()
			b.group(ctx, reqs[lo:hi], out[lo:hi])
		}()
	}
	wg.Wait()
	return out, nil
}

// verifyGroup is how many entries of a batch [Log.AppendEntries] verifies
// with one [keys.VerifyBatch] call.
const verifyGroup = keys.BatchGroup

// batchAdmission is one call of [Log.AppendEntries].
type batchAdmission struct {
	l     *Log
	slots chan struct{}
	// bad is set once a group of the batch held a signature that does not
	// verify: the rest of the batch is verified one by one.
	bad atomic.Bool
}

// admitted is an entry of a batch whose signature is next to be checked.
type admitted struct {
	s    Signed
	e    *signet.Event
	pub  keys.PublicKey
	done func() // ends the entry's tracking as in flight
}

// group appends reqs, answering into out: each is decoded and has its key
// looked up as [Log.submit] does, then the signatures of those that got
// that far are verified together, and each goes on alone.
func (b *batchAdmission) group(ctx context.Context, reqs []Signed, out []EntryResult) {
	l := b.l
	ad := make([]*admitted, len(reqs))
	var wg sync.WaitGroup
	for i := range reqs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			release, err := takeSlot(ctx, b.slots)
			if err != nil {
				out[i].Err = err
				return
			}
			defer release()
			track := l.seq.track()
			s, e, err := l.decodeEntry(reqs[i])
			var pub keys.PublicKey
			if err == nil {
				pub, err = l.signingKey(ctx, s, e)
			}
			if err != nil {
				track()
				out[i].Err = err
				return
			}
			ad[i] = &admitted{s: s, e: e, pub: pub, done: track}
		}()
	}
	wg.Wait()
	verified := b.verify(ad, out)
	for i, a := range ad {
		if a == nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer a.done()
			if !verified[i] {
				if err := l.verifyOne(a.s, a.e, a.pub); err != nil {
					out[i].Err = err
					return
				}
			}
			out[i].Appended, out[i].Err = l.queue(ctx, a.s, a.e, a.done)
		}()
	}
	wg.Wait()
}

// verify checks the signatures of ad's entries with one [keys.VerifyBatch]
// call, in one of the log's verification slots, and reports which
// verified. An entry its Gate refuses is answered into out and removed
// from ad, as [Log.verifyOne] would refuse it. Once the batch held a bad
// signature, verify checks nothing and reports none verified.
func (b *batchAdmission) verify(ad []*admitted, out []EntryResult) []bool {
	l := b.l
	verified := make([]bool, len(ad))
	if b.bad.Load() {
		return verified
	}
	l.verify <- struct{}{}
	defer func() { <-l.verify }()
	if b.bad.Load() {
		return verified
	}
	var entries []keys.BatchEntry
	var idx []int
	for i, a := range ad {
		if a == nil {
			continue
		}
		if err := a.s.gate().Check(); err != nil {
			out[i].Err = err
			a.done()
			ad[i] = nil
			continue
		}
		entries = append(entries, a.s.JWS.BatchEntry(l.batchKeys.Get(a.e.KID, a.pub)))
		idx = append(idx, i)
	}
	if len(entries) == 0 {
		return verified
	}
	for j, ok := range keys.VerifyBatch(entries) {
		verified[idx[j]] = ok
		if !ok {
			b.bad.Store(true)
		}
	}
	return verified
}
