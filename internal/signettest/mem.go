package signettest

import (
	"context"
	"crypto/rand"
	"testing"

	"github.com/signet-ledger/signet/internal/memstore"
	"github.com/signet-ledger/signet/ledger"
	"golang.org/x/mod/sumdb/note"
)

// Mem is a ledger on an in-memory store, for tests of the engine that
// need neither PostgreSQL nor HTTP.
type Mem struct {
	Log      *ledger.Log
	Store    *memstore.Store // the Log's store: set its Faults to fail it
	DB       *memstore.DB    // the Store's database: open more Stores on it, or tamper with it
	Origin   string
	Verifier note.Verifier
}

// NewMem opens a Log on a new in-memory database, with a new log key.
// edit, if not nil, changes the config before Open. The Log is closed
// when the test ends.
func NewMem(t testing.TB, edit func(*ledger.Config)) *Mem {
	m := &Mem{DB: memstore.NewDB(), Origin: "signet.test/mem"}
	m.Store = m.DB.Open()
	skey, vkey, err := note.GenerateKey(rand.Reader, m.Origin)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	if m.Verifier, err = note.NewVerifier(vkey); err != nil {
		t.Fatal(err)
	}
	cfg := ledger.Config{Store: m.Store, Signer: signer, Verifier: m.Verifier, Origin: m.Origin}
	if edit != nil {
		edit(&cfg)
	}
	if m.Log, err = ledger.Open(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Log.Close)
	return m
}
