// Package storetest is the conformance suite of [ledger.Store]. Every
// implementation runs it from its own tests:
//
//	func TestStore(t *testing.T) { storetest.TestStore(t, backend) }
//	func TestLog(t *testing.T)   { storetest.TestLog(t, backend) }
//
// [TestStore] checks each promise of the Store and Tx contracts directly:
// reads, the snapshot, writes, spent nonces, witnesses' cosignatures, not-found errors, secrets, transactions cut
// off at every point leaving no trace, concurrent writers on two handles
// never forking the chain, and stored fields read back as they are in the
// database, tampered or not. [TestLog] runs the ledger itself on the store,
// from two [ledger.Log]s sharing it as two processes would, and re-verifies
// the whole log afterwards as an auditor would.
//
// The records the suite writes are real: JWS signed with Ed25519 keys,
// record hashes, the hash chain, the Merkle tree's stored hashes and signed
// checkpoints, made as the sequencer makes them.
package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/signet-ledger/signet/ledger"
)

// Backend is how the suite reaches one implementation of [ledger.Store].
// Every field is required.
type Backend struct {
	// New creates an empty, migrated database for one test and returns its
	// name (a URL, a file path); it is removed when the test ends.
	New func(t *testing.T) string
	// Open opens a store on the database name, closed when the test ends.
	// Two stores opened on one name share it, as two processes would.
	Open func(t *testing.T, name string) ledger.Store
	// Tamper sets column of one row of table in the database name to
	// value, behind the stores' backs, as anyone with write access to the
	// database could. The row is the one whose key equals key: idx for
	// records and tree_hashes, id for log_head (always 1) and signers, kid
	// for signer_keys. A nil value sets NULL.
	Tamper func(t *testing.T, name, table, column string, key, value any)
	// Gapless says the store refuses a record whose index does not follow
	// the head's, even one written behind the rules (the in-memory store;
	// the SQL schemas have no such constraint). Optional.
	Gapless bool
	// ClearSearchIndex empties the content-search index of the database
	// name behind the stores' backs, leaving the records as they are. A
	// store with an index implements [SearchIndexer]; the suite checks
	// that a cleared index finds nothing (the store answers from it) and
	// that rebuilding it restores every answer. Optional: nil for a store
	// with no index.
	ClearSearchIndex func(t *testing.T, name string)
	// CheckSearchIndex fails t if the content-search index the stores
	// wrote into the database name as they appended differs from the one
	// rebuilding it from the records would make. Optional.
	CheckSearchIndex func(t *testing.T, name string)
}

// TestStore runs every check of the [ledger.Store] contract against b.
func TestStore(t *testing.T, b Backend) {
	t.Run("EmptyStore", func(t *testing.T) { testEmpty(t, b) })
	t.Run("WriteThenRead", func(t *testing.T) { testWriteRead(t, b) })
	t.Run("Secret", func(t *testing.T) { testSecret(t, b) })
	t.Run("NoTrace", func(t *testing.T) { testNoTrace(t, b) })
	t.Run("ChainNeverForks", func(t *testing.T) { testConcurrent(t, b) })
	t.Run("Tamper", func(t *testing.T) { testTamper(t, b) })
	t.Run("SpentNonces", func(t *testing.T) { testSpent(t, b) })
	t.Run("Cosignatures", func(t *testing.T) { testCosignatures(t, b) })
	t.Run("Match", func(t *testing.T) { testMatch(t, b) })
	t.Run("Signers", func(t *testing.T) { testSigners(t, b) })
}

// testCtx returns a context that ends with the test or after a minute.
func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}
