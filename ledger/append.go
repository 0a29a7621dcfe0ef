package ledger

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sync"

	"github.com/signet-ledger/signet/keys"
	"github.com/signet-ledger/signet/registry"
	"golang.org/x/mod/sumdb/tlog"
)

// Signed is one signed request: a JWS and the URL path it was sent to.
// The JWS's protected url must name that path, so a request signed for one
// endpoint cannot be replayed at another.
type Signed struct {
	JWS  *keys.JWS
	Path string
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
	done := l.seq.track()
	defer done()
	if err := checkHeader(s, false); err != nil {
		return nil, err
	}
	if err := l.cfg.Payload.Validate(s.JWS.PayloadBytes()); err != nil {
		return nil, err
	}
	k, err := l.key(ctx, s.JWS.Header.Kid)
	if err != nil {
		return nil, err
	}
	rec := Record{Kind: KindEntry, Signer: k.Signer, KID: k.KID}
	return l.submit(ctx, s, k.PublicKey, rec, entryOp{}, done)
}

// Register registers a new signer with the key in the JWS's jwk header,
// which must have signed it. The payload is {"signer": "<id>"} and may carry
// other descriptive members. Only the operator may call it; the caller
// checks that.
func (l *Log) Register(ctx context.Context, s Signed) (*Appended, error) {
	done := l.seq.track()
	defer done()
	if err := checkHeader(s, true); err != nil {
		return nil, err
	}
	var p struct {
		Signer *string `json:"signer"`
	}
	if err := l.decodePayload(s.JWS.PayloadBytes(), &p, false); err != nil {
		return nil, err
	}
	if p.Signer == nil {
		return nil, malformedf(`the payload must have a "signer" member`)
	}
	if err := registry.CheckSignerID(*p.Signer); err != nil {
		return nil, err
	}
	pub := *s.JWS.Header.JWK
	rec := Record{Kind: KindRegistered, Signer: *p.Signer, KID: pub.Thumbprint()}
	return withKey(l.submit(ctx, s, pub, rec, registerOp{pub}, done))(rec.KID)
}

// AddKey adds a key to signer, as ACME's key change does: the outer JWS is
// signed by an active key of signer; its payload is an inner JWS (flattened
// JSON) signed by the new key, whose protected header has the new key in jwk
// and the same url, and whose payload is {"signer": signer, "old_kid": <kid of
// the outer key>}.
func (l *Log) AddKey(ctx context.Context, s Signed, signer string) (*Appended, error) {
	done := l.seq.track()
	defer done()
	k, err := l.signerKey(ctx, s, signer)
	if err != nil {
		return nil, err
	}
	inner, err := keys.ParseFlattened(s.JWS.PayloadBytes())
	if err != nil {
		return nil, fmt.Errorf("%w (the payload must be the new key's JWS in flattened JSON serialization)", err)
	}
	pub, err := checkInner(inner, s, signer, l.cfg.Payload)
	if err != nil {
		return nil, err
	}
	rec := Record{Kind: KindKeyAdded, Signer: signer, KID: k.KID}
	return withKey(l.submit(ctx, s, k.PublicKey, rec, addKeyOp{pub}, done))(pub.Thumbprint())
}

// checkInner checks the inner JWS of a key change and returns the new key.
func checkInner(inner *keys.JWS, outer Signed, signer string, rules PayloadRules) (keys.PublicKey, error) {
	h := inner.Header
	switch {
	case h.JWK == nil || h.Kid != "":
		return keys.PublicKey{}, malformedf("the inner JWS must carry the new key in jwk, and no kid")
	case h.Nonce != "":
		return keys.PublicKey{}, malformedf("the inner JWS must not carry a nonce")
	case h.URL != outer.JWS.Header.URL:
		return keys.PublicKey{}, malformedf("the inner JWS's url must equal the outer JWS's url")
	}
	var p struct {
		Signer string `json:"signer"`
		OldKID string `json:"old_kid"`
	}
	if err := decodeStrict(inner.PayloadBytes(), &p, rules, true); err != nil {
		return keys.PublicKey{}, err
	}
	if p.Signer != signer {
		return keys.PublicKey{}, malformedf("the inner JWS names signer %q, not %q", p.Signer, signer)
	}
	if p.OldKID != outer.JWS.Header.Kid {
		return keys.PublicKey{}, malformedf("the inner JWS's old_kid is not the kid of the outer JWS")
	}
	if err := inner.Verify(*h.JWK); err != nil {
		return keys.PublicKey{}, fmt.Errorf("%w (inner JWS, signed by the new key)", err)
	}
	return *h.JWK, nil
}

// RevokeRequest is the payload of a revocation.
type RevokeRequest struct {
	Reason string `json:"reason"`
	// CompromisedSince, if set, is the first log index from which records
	// signed by the key are suspect.
	CompromisedSince *int64 `json:"compromised_since,omitempty"`
}

// Revoke revokes signer's key kid. The JWS is signed by any active key of
// signer, its payload a [RevokeRequest].
func (l *Log) Revoke(ctx context.Context, s Signed, signer, kid string) (*Appended, error) {
	done := l.seq.track()
	defer done()
	k, err := l.signerKey(ctx, s, signer)
	if err != nil {
		return nil, err
	}
	var r RevokeRequest
	if err := l.decodePayload(s.JWS.PayloadBytes(), &r, true); err != nil {
		return nil, err
	}
	rec := Record{Kind: KindKeyRevoked, Signer: signer, KID: k.KID}
	op := revokeOp{kid: kid, reason: r.Reason, compromisedSince: r.CompromisedSince}
	return withKey(l.submit(ctx, s, k.PublicKey, rec, op, done))(kid)
}

// OperatorRevocation is the payload the log writes for a revocation made by
// the operator: a record with no JWS signature, whose signer is the key's.
type OperatorRevocation struct {
	Signer           string `json:"signer"`
	KID              string `json:"kid"`
	Reason           string `json:"reason"`
	CompromisedSince *int64 `json:"compromised_since,omitempty"`
	RevokedBy        string `json:"revoked_by"` // always "operator"
}

// RevokeByOperator revokes signer's key kid on the operator's authority
// (the caller checked the admin token). body is a [RevokeRequest] as JSON.
func (l *Log) RevokeByOperator(ctx context.Context, signer, kid string, body []byte) (*Appended, error) {
	var r RevokeRequest
	if err := l.decodePayload(body, &r, true); err != nil {
		return nil, err
	}
	payload, _ := json.Marshal(OperatorRevocation{
		Signer: signer, KID: kid, Reason: r.Reason, CompromisedSince: r.CompromisedSince, RevokedBy: registry.Operator,
	})
	rec := Record{Kind: KindKeyRevoked, Signer: signer, Payload: base64.RawURLEncoding.EncodeToString(payload)}
	p := &pending{rec: rec, op: revokeOp{kid: kid, reason: r.Reason, compromisedSince: r.CompromisedSince}}
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

// signerKey checks a kid-signed request acting for signer and returns its key.
func (l *Log) signerKey(ctx context.Context, s Signed, signer string) (registry.Key, error) {
	if err := checkHeader(s, false); err != nil {
		return registry.Key{}, err
	}
	k, err := l.key(ctx, s.JWS.Header.Kid)
	if err != nil {
		return k, err
	}
	if k.Signer != signer {
		return k, fmt.Errorf("%w: key %s is not a key of signer %q", registry.ErrWrongSigner, k.KID, signer)
	}
	return k, nil
}

// submit verifies s with pub, checks its nonce and queues it as rec.
func (l *Log) submit(ctx context.Context, s Signed, pub keys.PublicKey, rec Record, o op, done func()) (*Appended, error) {
	l.verify <- struct{}{}
	err := s.JWS.Verify(pub)
	<-l.verify
	if err != nil {
		return nil, err
	}
	rec.Protected, rec.Payload, rec.Signature = s.JWS.Protected, s.JWS.Payload, s.JWS.Signature
	if err := l.nonces.Check(s.JWS.Header.Nonce); err != nil {
		return l.resubmitted(ctx, &rec, s.JWS.Header.Nonce, err)
	}
	rec.Nonce = s.JWS.Header.Nonce
	p := &pending{rec: rec, op: o}
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

// checkHeader checks the protected header fields every signed request
// needs: a url naming s.Path, and exactly one of jwk (when wantJWK) or kid.
func checkHeader(s Signed, wantJWK bool) error {
	h := s.JWS.Header
	if h.URL == "" {
		return malformedf("the protected header has no url")
	}
	u, err := url.Parse(h.URL)
	if err != nil || u.Path != s.Path {
		return malformedf("the protected header's url %q does not name this endpoint, %s", trunc(h.URL), s.Path)
	}
	switch {
	case h.JWK != nil && h.Kid != "":
		return malformedf("the protected header must not carry both jwk and kid")
	case wantJWK && h.JWK == nil:
		return malformedf("the protected header must carry the new key in jwk")
	case !wantJWK && h.JWK != nil:
		return malformedf("the protected header must name a registered key by kid, not carry a jwk")
	case !wantJWK && h.Kid == "":
		return malformedf("the protected header must carry the kid of a registered key")
	}
	return nil
}

// decodePayload validates p with the payload rules and decodes it into v.
func (l *Log) decodePayload(p []byte, v any, strict bool) error {
	return decodeStrict(p, v, l.cfg.Payload, strict)
}

// decodeStrict validates p with rules, then decodes it into v; when
// strict, members v does not name are refused.
func decodeStrict(p []byte, v any, rules PayloadRules, strict bool) error {
	if err := rules.Validate(p); err != nil {
		return err
	}
	d := json.NewDecoder(bytes.NewReader(p))
	if strict {
		d.DisallowUnknownFields()
	}
	if err := d.Decode(v); err != nil {
		return malformedf("the payload does not have the expected members: %s", trunc(err.Error()))
	}
	return nil
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
func (l *Log) AppendEntries(ctx context.Context, reqs []Signed) ([]EntryResult, error) {
	if len(reqs) == 0 || len(reqs) > MaxEntriesPerBatch {
		return nil, malformedf("a batch holds 1 to %d entries, got %d", MaxEntriesPerBatch, len(reqs))
	}
	out := make([]EntryResult, len(reqs))
	var wg sync.WaitGroup
	for i := range reqs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i].Appended, out[i].Err = l.AppendEntry(ctx, reqs[i])
		}()
	}
	wg.Wait()
	return out, nil
}
