package ledger

import (
	"context"
	"time"

	"github.com/signet-ledger/signet/registry"
	"golang.org/x/mod/sumdb/tlog"
)

// Head is the state of the log after its last committed batch.
type Head struct {
	Size       int64  // number of records
	Hash       Hash   // hash of record Size-1; zero when the log is empty
	Checkpoint []byte // signed note of the tree of Size records; nil when empty
}

// StoredHash is one of the Merkle tree's stored hashes (see
// [tlog.StoredHashIndex]).
type StoredHash struct {
	Index int64
	Hash  tlog.Hash
}

// Query selects records for [Store.Records]. An empty Signer or Kind, a
// false KeyEvents or a nil Match does not filter.
type Query struct {
	Signer string
	Kind   Kind
	// KeyEvents selects only key records: every kind but entry.
	KeyEvents bool
	// Match selects only records whose payload contains its object
	// ([Match]). A store answers it from an index of its own, never by
	// reading every record, and its answers are exactly those of
	// [Match.Selects] on every record.
	Match *Match
	After int64 // only records with index > After; -1 for all
	Limit int   // at most this many; must be > 0
}

// Store is the persistent state of one log.
//
// Records and stored hashes are immutable once committed. A store is safe for
// concurrent use by several goroutines and by several processes sharing the
// same database. Reads that find nothing return an error wrapping
// [ErrNotFound]; a store that cannot reach its database returns an error
// wrapping [ErrUnavailable].
type Store interface {
	// Sequence runs f in one transaction that holds the log's write lock
	// (exclusive across every process sharing the store), and commits it if
	// f returns nil. Nothing f wrote is visible to anyone if f or the commit
	// fails. Sequence does not retry: f runs at most once.
	Sequence(ctx context.Context, f func(ctx context.Context, tx Tx) error) error

	// Head returns the last committed head.
	Head(ctx context.Context) (Head, error)
	// Record returns the record at index i.
	Record(ctx context.Context, i int64) (*Record, error)
	// Records returns the records selected by q in index order.
	Records(ctx context.Context, q Query) ([]*Record, error)
	// RecordByNonce returns the record whose JWS carried nonce.
	RecordByNonce(ctx context.Context, nonce string) (*Record, error)
	// ReadHashes returns the stored hashes at indexes, in the same order. It
	// returns an error unless every one exists.
	ReadHashes(ctx context.Context, indexes []int64) ([]tlog.Hash, error)
	// Signer returns the signer id with its keys in the order added.
	Signer(ctx context.Context, id string) (registry.Signer, error)
	// Key returns the key kid.
	Key(ctx context.Context, kid string) (registry.Key, error)
	// Signers returns the signers whose ids sort after after (bytewise;
	// "" for the first), in id order, at most limit (> 0) of them, each
	// with its keys in the order added, as [Store.Signer] returns them.
	Signers(ctx context.Context, after string, limit int) ([]registry.Signer, error)
	// Secret returns the secret called name, first storing gen() under that
	// name if none exists; every process sharing the store gets the same one.
	Secret(ctx context.Context, name string, gen func() []byte) ([]byte, error)
	// Ping reports whether the database answers.
	Ping(ctx context.Context) error

	// AddCosignatures stores c in one transaction: its checkpoint note, if
	// none is stored for c.Size yet, and each of its cosignatures whose
	// witness has none stored on c.Size yet. What is stored stays as it is:
	// storing the same again is a no-op, and a witness keeps its first
	// cosignature of a size (a note may carry one signature per key). If a
	// different checkpoint note is stored for c.Size, it stores nothing and
	// returns an error wrapping [ErrCorrupt]. c.Checkpoint is not verified.
	AddCosignatures(ctx context.Context, c Cosigned) error
	// Cosigned returns the stored checkpoints of size at most maxSize that
	// have at least one cosignature, newest first, at most limit (> 0) of
	// them, each with its cosignatures ordered by witness.
	Cosigned(ctx context.Context, maxSize int64, limit int) ([]Cosigned, error)
	// WitnessSize returns the largest size on which witness has a stored
	// cosignature, or an error wrapping [ErrNotFound] if it has none.
	WitnessSize(ctx context.Context, witness string) (int64, error)
}

// Cosigned is a checkpoint with cosignatures (c2sp.org/tlog-cosignature)
// that witnesses returned for it.
type Cosigned struct {
	Size int64
	// Checkpoint is the checkpoint's signed note as the log signed it,
	// without cosignatures.
	Checkpoint   []byte
	Cosignatures []Cosignature
}

// Cosignature is one witness's cosignature on a checkpoint.
type Cosignature struct {
	// Witness names the witness by its verifier key, as its policy line
	// gives it ("<name>+<key id>+<key>"); a policy's short names are
	// local to the policy and may change.
	Witness string
	// Line is the note signature line, "— <name> <base64>\n".
	Line []byte
}

// Tx is the transaction of [Store.Sequence]. It is used by one goroutine.
//
// Snapshot comes first, once: it takes the lock, and a store may begin
// the transaction with it. ReadHashes and Write follow it.
type Tx interface {
	// Snapshot returns the head as of the lock, the part of the registry the
	// batch touches, the records that already used any of its nonces, and
	// which of its nonces refused requests spent.
	Snapshot(ctx context.Context, q SnapshotQuery) (*Snapshot, error)
	// ReadHashes is [Store.ReadHashes] inside the transaction.
	ReadHashes(ctx context.Context, indexes []int64) ([]tlog.Hash, error)
	// Write appends b's records and stored hashes, applies its registry
	// changes, records its spent nonces and moves the head to b.Head. A
	// batch with no records leaves the head as it is.
	Write(ctx context.Context, b *Batch) error
}

// SnapshotQuery says what [Tx.Snapshot] reads.
type SnapshotQuery struct {
	Signers []string // signers to load with all their keys
	KIDs    []string // keys to load, with all the keys of their signers
	Nonces  []string
	// Hashes are stored hashes to read if the head's size is HashesFor: the
	// caller's guess of the tree's frontier, which saves a round trip.
	Hashes    []int64
	HashesFor int64
}

// Snapshot is what [Tx.Snapshot] read.
type Snapshot struct {
	Head     Head
	Registry []registry.Signer
	ByNonce  map[string]*Record
	// Spent holds the nonces of SnapshotQuery.Nonces that a refused
	// request spent ([Batch.Spent]).
	Spent map[string]bool
	// Hashes holds SnapshotQuery.Hashes in order if Head.Size equalled
	// HashesFor, and is nil otherwise.
	Hashes []tlog.Hash
}

// Batch is what one [Tx.Write] commits.
type Batch struct {
	Records    []*Record // consecutive, starting at the old head's size
	Hashes     []StoredHash
	NewSigners []registry.Signer // without keys; their keys are in NewKeys
	NewKeys    []registry.Key
	Revoked    []registry.Key // keys whose Revocation is now set
	// Spent are the nonces of requests refused under the lock, each used
	// up as an accepted request's is, at SpentTime. Spent nonces recorded
	// before ForgetBefore are deleted: they have expired.
	Spent        []string
	SpentTime    time.Time
	ForgetBefore time.Time
	Head         Head
}
