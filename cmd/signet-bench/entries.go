package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/signet-ledger/signet/keys"
	"github.com/signet-ledger/signet/ledger"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// loadURL is the url every loaded entry is signed for. Only its path
// matters to the server, and only when appending.
const loadURL = "http://127.0.0.1:8080/v1/entries"

// entryMaker signs entries for the loader.
type entryMaker struct {
	signers []benchSigner
	kids    []string
	payload int
	nonces  *ledger.Nonces
}

func newEntryMaker(signers []benchSigner, payload int) *entryMaker {
	key := make([]byte, 32)
	rand.Read(key)
	m := &entryMaker{signers: signers, payload: payload, nonces: ledger.NewNonces(key, time.Hour)}
	for _, s := range signers {
		m.kids = append(m.kids, s.key.Public().Thumbprint())
	}
	return m
}

// signedChunk is one chunk of records, signed but not yet sequenced.
type signedChunk struct {
	recs []*ledger.Record
	took time.Duration
}

// produce signs chunks of entries for indexes from to target on every
// core and sends them in order, closing out at the end.
func (m *entryMaker) produce(ctx context.Context, from, target int64, chunk int, out chan<- signedChunk) {
	defer close(out)
	for at := from; at < target && ctx.Err() == nil; at += int64(chunk) {
		t0 := time.Now()
		recs := m.sign(at, int(min(int64(chunk), target-at)))
		select {
		case out <- signedChunk{recs: recs, took: time.Since(t0)}:
		case <-ctx.Done():
		}
	}
}

// sign makes n entry records for indexes from, from+1, ...
//
// Each carries a nonce in the server's format from a key of the loader's
// own: the server checks nonces only when appending, and a loaded record
// needs only a nonce no other record has, which the unique index enforces.
func (m *entryMaker) sign(from int64, n int) []*ledger.Record {
	recs := make([]*ledger.Record, n)
	workers := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += workers {
				recs[i] = m.entry(from + int64(i))
			}
		}()
	}
	wg.Wait()
	return recs
}

func (m *entryMaker) entry(seq int64) *ledger.Record {
	k := int(seq % int64(len(m.signers)))
	s := m.signers[k]
	h := keys.Header{Kid: m.kids[k], Nonce: m.nonces.New(), URL: loadURL}
	j, err := s.key.Sign(h, benchPayload(s.id, seq, m.payload))
	if err != nil {
		panic(err) // a valid key and payload always sign
	}
	return &ledger.Record{Kind: ledger.KindEntry, Signer: s.id, KID: h.Kid, Nonce: h.Nonce,
		Protected: j.Protected, Payload: j.Payload, Signature: j.Signature}
}

// signerLine is one line of the signers file: a signer this tool
// registered and its private key.
type signerLine struct {
	ID  string          `json:"id"`
	JWK json.RawMessage `json:"jwk"`
}

func readSigners(file string) ([]benchSigner, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []benchSigner
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var l signerLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		k, err := keys.ParsePrivateJWK(l.JWK)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		out = append(out, benchSigner{id: l.ID, key: k})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s lists no signers", file)
	}
	return out, sc.Err()
}

// registerSigners starts signetd on the log (which migrates the schema and
// creates the log key), registers c.Signers signers through the API as any
// operator would, saves their keys to file, and stops it.
func registerSigners(ctx context.Context, c loadConfig, dbURL, file string, log io.Writer) ([]benchSigner, error) {
	if c.Signetd == "" {
		return nil, fmt.Errorf("a new log needs --signetd to register its signers")
	}
	d, err := startDaemon(ctx, daemonConfig{Bin: c.Signetd, DBURL: dbURL, DataDir: c.Data,
		Origin: "signet-bench/" + c.Schema, NonceTTL: 10 * time.Minute})
	if err != nil {
		return nil, err
	}
	defer d.stop()
	t := newTarget("load", d.base, d.admin, d.pid(), c.Payload, time.Minute)
	if err := t.register(ctx, c.Signers); err != nil {
		return nil, err
	}
	var b strings.Builder
	for _, s := range t.signers {
		jwk, err := s.key.MarshalJWK()
		if err != nil {
			return nil, err
		}
		line, _ := json.Marshal(signerLine{ID: s.id, JWK: jwk})
		b.Write(append(line, '\n'))
	}
	if err := os.WriteFile(file, []byte(b.String()), 0o600); err != nil {
		return nil, err
	}
	fmt.Fprintf(log, "registered %d signers through %s; keys in %s\n", len(t.signers), d.base, file)
	return t.signers, nil
}

// logSigner signs checkpoints with the server's own log key.
type logSigner struct {
	signer note.Signer
	origin string
}

// openLogSigner reads the log key file and takes the origin from the
// log's latest checkpoint, so that loaded checkpoints read as the
// server's.
func openLogSigner(keyFile string, checkpoint []byte) (*logSigner, error) {
	skey, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, fmt.Errorf("reading the log key: %w", err)
	}
	s, err := note.NewSigner(strings.TrimSpace(string(skey)))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", keyFile, err)
	}
	origin, _, ok := strings.Cut(string(checkpoint), "\n")
	if !ok || origin == "" {
		return nil, fmt.Errorf("the log has no checkpoint to take its origin from")
	}
	return &logSigner{signer: s, origin: origin}, nil
}

func (s *logSigner) sign(size int64, root tlog.Hash) ([]byte, error) {
	return ledger.SignCheckpoint(s.signer, s.origin, size, root)
}
