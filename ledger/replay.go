package ledger

import (
	"github.com/signet-ledger/signet"
	"github.com/signet-ledger/signet/registry"
)

// Replay applies rec to st as the sequencer did when it appended rec: it
// is [signet.Check], the one definition of a record's validity. Replaying
// a log's records in order rebuilds its registry.
func Replay(st *registry.State, rec *Record) error {
	_, err := signet.Check(st, rec)
	return err
}
