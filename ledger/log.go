package ledger

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"time"

	"github.com/signet-ledger/signet"
	"github.com/signet-ledger/signet/keys"
	"github.com/signet-ledger/signet/registry"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// Config configures a [Log].
type Config struct {
	Store Store // Required.
	// Signer signs checkpoints with the log's key. Required.
	Signer note.Signer
	// Verifier is the log key's verifier, used to read back checkpoints.
	// Required.
	Verifier note.Verifier
	// Origin is the first line of every checkpoint. Required.
	Origin string
	// NonceTTL is how long a nonce stays valid. Optional. Default 10 minutes.
	NonceTTL time.Duration
	// Payload bounds the size of entry payloads. Optional. Default
	// DefaultPayloadRules.
	Payload PayloadRules
	// MaxBatch is the most records committed in one transaction.
	// Optional. Default 1000.
	MaxBatch int
	// MaxDelay is the longest a batch waits for requests still being
	// verified. Optional. Default 2ms.
	MaxDelay time.Duration
	// Queue is how many verified requests may wait for the sequencer before
	// new ones are refused with ErrUnavailable. Optional. Default 20000.
	Queue int
	// NaiveCommit commits each append in its own transaction, holding the
	// head lock through the commit: the baseline for benchmarks only.
	// Optional. Default false.
	NaiveCommit bool
	// TileCache bounds the bytes of full tiles and entry bundles kept in
	// memory for [Log.Tile]. Optional. Default DefaultTileCache; negative
	// keeps none.
	TileCache int64
	// Logger receives errors the client does not see. Optional.
	Logger *slog.Logger
	// Observer is told of commits, verifications, store failures and
	// witness failures, for metrics (see the observing section of
	// observe.go). Optional. Default nil: nothing is told.
	Observer Observer

	// Witnesses is the witness policy (c2sp.org/tlog-policy): every new
	// checkpoint is sent to each of its witnesses, at the URL of its line,
	// and their cosignatures are stored (see the witnessing section of
	// witness.go); [Log.WitnessedCheckpoint] checks its quorum. Every
	// witness needs a URL, and a log line, if any, must be this log's key.
	// Optional. Default nil: no witnessing.
	Witnesses *signet.Policy
	// WitnessTimeout bounds one add-checkpoint request. Optional. Default
	// 10 seconds.
	WitnessTimeout time.Duration
	// WitnessBackoff is how long a witness that failed sits out, doubled
	// at each failure in a row up to WitnessMaxBackoff. Optional. Defaults
	// 1 second and 5 minutes.
	WitnessBackoff, WitnessMaxBackoff time.Duration
	// WitnessInterval is the least time from the start of one witnessing
	// round to the start of the next: heads that move sooner wait and are
	// coalesced, so a log appending continuously sends each witness at
	// most one checkpoint per interval, and stores at most one round of
	// cosignatures. A head that moves after a quiet spell longer than the
	// interval is sent at once. Optional. Default 0: a round starts as
	// soon as the previous one ends.
	WitnessInterval time.Duration
}

func (c *Config) defaults() {
	if c.NonceTTL == 0 {
		c.NonceTTL = 10 * time.Minute
	}
	if c.Payload.MaxBytes == 0 {
		c.Payload.MaxBytes = DefaultPayloadRules.MaxBytes
	}
	if c.MaxBatch == 0 {
		c.MaxBatch = 1000
	}
	if c.MaxDelay == 0 {
		c.MaxDelay = 2 * time.Millisecond
	}
	if c.Queue == 0 {
		c.Queue = 20000
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.WitnessTimeout == 0 {
		c.WitnessTimeout = 10 * time.Second
	}
	if c.WitnessBackoff == 0 {
		c.WitnessBackoff = time.Second
	}
	if c.WitnessMaxBackoff == 0 {
		c.WitnessMaxBackoff = 5 * time.Minute
	}
	if c.TileCache == 0 {
		c.TileCache = DefaultTileCache
	}
	if c.Observer == nil {
		c.Observer = nopObserver{}
	} else if c.Store != nil {
		c.Store = observedStore{c.Store, c.Observer}
	}
}

// Log is a signed, append-only log of records. Its methods are safe for
// concurrent use; several Logs in several processes may share one Store.
type Log struct {
	cfg    Config
	store  Store
	nonces *Nonces
	seq    *sequencer
	verify chan struct{} // one slot per core: bounds concurrent signature checks
	// batchKeys are the signing keys prepared for keys.VerifyBatch, by
	// kid, for AppendEntries.
	batchKeys keys.BatchKeyCache
	reg       *logRegistry
	wit       *witnessing // nil without a witness policy
	tiles     *tileCache
	opened    openedHead
}

// Open returns a Log on cfg.Store. Call Close to stop it. It refuses, with
// a [*KeyMismatchError], a log whose latest checkpoint was not signed by
// cfg.Verifier's key for cfg.Origin.
func Open(ctx context.Context, cfg Config) (*Log, error) {
	cfg.defaults()
	if cfg.Store == nil || cfg.Signer == nil || cfg.Verifier == nil || cfg.Origin == "" {
		return nil, errors.New("ledger: Config needs Store, Signer, Verifier and Origin")
	}
	if err := checkKey(ctx, cfg); err != nil {
		return nil, err
	}
	if err := checkWitnessPolicy(cfg); err != nil {
		return nil, err
	}
	key, err := cfg.Store.Secret(ctx, "nonce-hmac-key", func() []byte {
		b := make([]byte, 32)
		rand.Read(b)
		return b
	})
	if err != nil {
		return nil, fmt.Errorf("ledger: reading the nonce key: %w", err)
	}
	l := &Log{cfg: cfg, store: cfg.Store, nonces: NewNonces(key, cfg.NonceTTL), reg: newLogRegistry(cfg.Store),
		tiles: newTileCache(cfg.TileCache)}
	l.verify = make(chan struct{}, runtime.GOMAXPROCS(0))
	sign := func(size int64, root tlog.Hash) ([]byte, error) {
		return SignCheckpoint(cfg.Signer, cfg.Origin, size, root)
	}
	var onCommit func()
	if cfg.Witnesses != nil {
		l.wit = startWitnessing(&l.cfg)
		onCommit = l.wit.poke
	}
	l.seq = newSequencer(sequencerConfig{
		Naive: cfg.NaiveCommit, MaxBatch: cfg.MaxBatch, MaxDelay: cfg.MaxDelay, Queue: cfg.Queue, Timeout: 30 * time.Second,
		NonceTTL: cfg.NonceTTL, OnCommit: onCommit, Observer: cfg.Observer,
	}, cfg.Store, l.reg, sign, func(note []byte) (*Checkpoint, error) {
		return OpenCheckpoint(note, cfg.Origin, cfg.Verifier)
	})
	return l, nil
}

// Close stops the sequencer once every queued request is answered, then
// stops witnessing, cancelling requests to witnesses in flight. Calls that
// append after Close panic; stop taking requests first.
func (l *Log) Close() {
	l.seq.close()
	if l.wit != nil {
		l.wit.stop()
	}
}

// Origin returns the log's checkpoint origin.
func (l *Log) Origin() string { return l.cfg.Origin }

// NewNonce returns a fresh nonce for the next signed request.
func (l *Log) NewNonce() string { return l.nonces.New() }

// Ping reports whether the log's database answers.
func (l *Log) Ping(ctx context.Context) error { return l.store.Ping(ctx) }

// Head returns the state of the log after its last committed batch.
func (l *Log) Head(ctx context.Context) (Head, error) { return l.store.Head(ctx) }

// Record returns the record at index i.
func (l *Log) Record(ctx context.Context, i int64) (*Record, error) {
	if i < 0 {
		return nil, fmt.Errorf("%w: no record has a negative index", ErrNotFound)
	}
	return l.store.Record(ctx, i)
}

// Records returns the records q selects, in index order.
func (l *Log) Records(ctx context.Context, q Query) ([]*Record, error) {
	if q.Limit < 1 || q.Limit > 1000 {
		return nil, malformedf("limit must be between 1 and 1000")
	}
	return l.store.Records(ctx, q)
}

// Signer returns the signer id and its keys.
func (l *Log) Signer(ctx context.Context, id string) (registry.Signer, error) {
	if err := registry.CheckSignerID(id); err != nil {
		return registry.Signer{}, fmt.Errorf("%w: %w", ErrNotFound, err)
	}
	return l.store.Signer(ctx, id)
}

// MaxSignersPage bounds the limit of [Log.Signers].
const MaxSignersPage = 1000

// Signers returns a page of the signer directory: the signers whose ids
// sort after after, in id order, at most limit of them, with their keys.
// A limit outside 1 to [MaxSignersPage] wraps [ErrMalformed].
func (l *Log) Signers(ctx context.Context, after string, limit int) ([]registry.Signer, error) {
	if limit < 1 || limit > MaxSignersPage {
		return nil, malformedf("limit must be between 1 and %d", MaxSignersPage)
	}
	return l.store.Signers(ctx, after, limit)
}
