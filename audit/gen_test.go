package audit_test

import (
	"bufio"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/signet-ledger/signet/keys"
	"github.com/signet-ledger/signet/ledger"
	"github.com/signet-ledger/signet/registry"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// gen writes a valid export offline, as the server would: records signed
// with real keys, hashed, chained and folded into a Merkle tree, and an
// end line with a checkpoint signed by a note key of its own.
type gen struct {
	t      testing.TB
	w      *bufio.Writer
	enc    *json.Encoder
	n      int64
	prev   ledger.Hash
	hashes map[int64]tlog.Hash
	origin string
	signer note.Signer
	logKey string
	now    time.Time
}

const base = "https://signet.test"

func newGen(t testing.TB, w io.Writer) *gen {
	g := &gen{t: t, w: bufio.NewWriterSize(w, 1<<16), hashes: map[int64]tlog.Hash{},
		origin: "signet.test/audit", now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	g.enc = json.NewEncoder(g.w)
	g.signer, g.logKey = noteKey(t, g.origin)
	return g
}

// noteKey returns a new checkpoint signer for origin and its verifier key.
func noteKey(t testing.TB, origin string) (note.Signer, string) {
	skey, vkey, err := note.GenerateKey(rand.Reader, origin)
	if err != nil {
		t.Fatal(err)
	}
	s, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	return s, vkey
}

func (g *gen) ReadHashes(idx []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(idx))
	for i, x := range idx {
		h, ok := g.hashes[x]
		if !ok {
			return nil, fmt.Errorf("no stored hash %d", x)
		}
		out[i] = h
	}
	return out, nil
}

// add sequences rec and writes its export line.
func (g *gen) add(rec *ledger.Record) {
	rec.Index, rec.PrevHash = g.n, g.prev
	rec.IntegratedTime = ledger.Time(g.now.Add(time.Duration(g.n) * 1001 * time.Microsecond))
	rec.Hash = ledger.RecordHash(rec)
	sh, err := tlog.StoredHashesForRecordHash(g.n, ledger.LeafHash(rec.Hash), g)
	if err != nil {
		g.t.Fatal(err)
	}
	for k, h := range sh {
		g.hashes[tlog.StoredHashIndex(0, g.n)+int64(k)] = h
	}
	if err := g.enc.Encode(wireOf(rec)); err != nil {
		g.t.Fatal(err)
	}
	g.n, g.prev = g.n+1, rec.Hash
}

// wireOf is rec as an export line shows it.
func wireOf(rec *ledger.Record) *ledger.WireRecord {
	p, _ := base64.RawURLEncoding.DecodeString(rec.Payload)
	if !json.Valid(p) {
		p = []byte("null")
	}
	return &ledger.WireRecord{Index: rec.Index, Kind: string(rec.Kind), Signer: rec.Signer, KID: rec.KID,
		IntegratedTime: rec.IntegratedTime.Format(time.RFC3339Nano), Hash: rec.Hash.String(),
		PrevHash: rec.PrevHash.String(), Payload: p,
		JWS: &ledger.WireJWS{Protected: rec.Protected, Payload: rec.Payload, Signature: rec.Signature}}
}

func (g *gen) sign(k keys.PrivateKey, h keys.Header, payload []byte) *keys.JWS {
	j, err := k.Sign(h, payload)
	if err != nil {
		g.t.Fatal(err)
	}
	return j
}

func signed(j *keys.JWS, kind ledger.Kind, signer, kid string) *ledger.Record {
	return &ledger.Record{Kind: kind, Signer: signer, KID: kid, Protected: j.Protected, Payload: j.Payload, Signature: j.Signature}
}

// register appends the registration of a signer with a new key.
func (g *gen) register(id string) keys.PrivateKey {
	k, err := keys.GenerateKey()
	if err != nil {
		g.t.Fatal(err)
	}
	pub := k.Public()
	j := g.sign(k, keys.Header{JWK: &pub, Nonce: g.nonce(), URL: base + "/v1/signers"}, fmt.Appendf(nil, `{"signer":%q}`, id))
	g.add(signed(j, ledger.KindRegistered, id, pub.Thumbprint()))
	return k
}

func (g *gen) nonce() string { return fmt.Sprintf("nonce-%d", g.n) }

// entryJWS signs an entry; it does not touch g's state but g.t, so it may
// run on several goroutines.
func (g *gen) entryJWS(k keys.PrivateKey, i int64, payload []byte) *keys.JWS {
	h := keys.Header{Kid: k.Public().Thumbprint(), Nonce: fmt.Sprintf("nonce-%d", i), URL: base + "/v1/entries"}
	return g.sign(k, h, payload)
}

// entry appends a journal entry signed by k.
func (g *gen) entry(id string, k keys.PrivateKey, payload string) {
	g.add(signed(g.entryJWS(k, g.n, []byte(payload)), ledger.KindEntry, id, k.Public().Thumbprint()))
}

// entries appends count entries signed by k, signing them in parallel.
func (g *gen) entries(id string, k keys.PrivateKey, count int) {
	const chunk = 4096
	kid := k.Public().Thumbprint()
	for done := 0; done < count; done += chunk {
		m := min(chunk, count-done)
		js := make([]*keys.JWS, m)
		var wg sync.WaitGroup
		workers := runtime.GOMAXPROCS(0)
		for w := range workers {
			wg.Go(func() {
				for i := w; i < m; i += workers {
					n := g.n + int64(i)
					js[i] = g.entryJWS(k, n, fmt.Appendf(nil, `{"journal_id":"JE%08d","amount":"%d.%02d","memo":"<generated & audited>"}`, n, n*37%100000, n%100))
				}
			})
		}
		wg.Wait()
		for _, j := range js {
			g.add(signed(j, ledger.KindEntry, id, kid))
		}
	}
}

// addKey appends a key change: next added to signer id, authorised by old.
func (g *gen) addKey(id string, old, next keys.PrivateKey) {
	u := base + "/v1/signers/" + id + "/keys"
	pub := next.Public()
	oldKID := old.Public().Thumbprint()
	inner := g.sign(next, keys.Header{JWK: &pub, URL: u}, fmt.Appendf(nil, `{"signer":%q,"old_kid":%q}`, id, oldKID))
	outer := g.sign(old, keys.Header{Kid: oldKID, Nonce: g.nonce(), URL: u}, inner.Flattened())
	g.add(signed(outer, ledger.KindKeyAdded, id, oldKID))
}

// revoke appends the revocation of id's key kid, signed by by.
func (g *gen) revoke(id string, by keys.PrivateKey, kid string) {
	byKID := by.Public().Thumbprint()
	j := g.sign(by, keys.Header{Kid: byKID, Nonce: g.nonce(), URL: base + ledger.RevokePath(id, kid)}, []byte(`{"reason":"rotated"}`))
	g.add(signed(j, ledger.KindKeyRevoked, id, byKID))
}

// operatorRevoke appends the operator's revocation of id's key kid.
func (g *gen) operatorRevoke(id, kid string) {
	p, _ := json.Marshal(ledger.OperatorRevocation{Signer: id, KID: kid, Reason: "compromised", RevokedBy: registry.Operator})
	g.add(&ledger.Record{Kind: ledger.KindKeyRevoked, Signer: id, Payload: base64.RawURLEncoding.EncodeToString(p)})
}

// checkpoint signs the checkpoint of the first size records.
func (g *gen) checkpoint(s note.Signer, size int64) []byte {
	root, err := tlog.TreeHash(size, g)
	if err != nil {
		g.t.Fatal(err)
	}
	cp, err := ledger.SignCheckpoint(s, g.origin, size, root)
	if err != nil {
		g.t.Fatal(err)
	}
	return cp
}

// endLine returns the end line of an export of the first treeSize
// records, against the checkpoint of all of them.
func (g *gen) endLine(treeSize int64) []byte {
	p := tlog.TreeProof{}
	if treeSize < g.n {
		var err error
		if p, err = tlog.ProveTree(g.n, treeSize, g); err != nil {
			g.t.Fatal(err)
		}
	}
	b, _ := json.Marshal(ledger.WireExportEnd{TreeSize: treeSize, Checkpoint: string(g.checkpoint(g.signer, g.n)), Consistency: p})
	return append(b, '\n')
}

// close writes the end line and flushes.
func (g *gen) close() {
	if _, err := g.w.Write(g.endLine(g.n)); err != nil {
		g.t.Fatal(err)
	}
	if err := g.w.Flush(); err != nil {
		g.t.Fatal(err)
	}
}

// entryWithNonce appends a journal entry signed by k with the nonce of
// the record at index at, as a replayed request would carry it.
func (g *gen) entryWithNonce(id string, k keys.PrivateKey, at int64, payload string) {
	g.add(signed(g.entryJWS(k, at, []byte(payload)), ledger.KindEntry, id, k.Public().Thumbprint()))
}
