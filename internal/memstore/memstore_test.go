package memstore_test

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/signet-ledger/signet/internal/memstore"
	"github.com/signet-ledger/signet/ledger"
	"github.com/signet-ledger/signet/ledger/storetest"
)

// dbs are the databases the suite made, by name: two Opens of one name
// share one DB, as two processes share one database.
var (
	dbs   sync.Map // string -> *memstore.DB
	named atomic.Int64
)

func db(t *testing.T, name string) *memstore.DB {
	d, ok := dbs.Load(name)
	if !ok {
		t.Fatalf("no in-memory database %q", name)
	}
	return d.(*memstore.DB)
}

var backend = storetest.Backend{
	New: func(t *testing.T) string {
		name := fmt.Sprintf("mem-%d", named.Add(1))
		dbs.Store(name, memstore.NewDB())
		t.Cleanup(func() { dbs.Delete(name) })
		return name
	},
	Open: func(t *testing.T, name string) ledger.Store {
		s := db(t, name).Open()
		t.Cleanup(s.Close)
		return s
	},
	Tamper: func(t *testing.T, name, table, column string, key, value any) {
		if err := db(t, name).Tamper(table, column, key, value); err != nil {
			t.Fatal(err)
		}
	},
}

func TestStore(t *testing.T) { storetest.TestStore(t, backend) }
func TestLog(t *testing.T)   { storetest.TestLog(t, backend) }
