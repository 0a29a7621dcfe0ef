package ledger

import "sync"

// openedHead remembers the checkpoint [Log.openHead] opened last.
type openedHead struct {
	mu   sync.Mutex
	note string
	cp   Checkpoint
}

// openHead opens h's checkpoint, as [OpenCheckpoint] with the log's origin
// and key does, verifying its signature only if its note is not the one
// opened last: every read of one head would verify the same bytes with the
// same key. The Checkpoint returned is the caller's.
func (l *Log) openHead(h Head) (*Checkpoint, error) {
	o := &l.opened
	o.mu.Lock()
	if o.note != "" && o.note == string(h.Checkpoint) {
		cp := o.cp
		o.mu.Unlock()
		return &cp, nil
	}
	o.mu.Unlock()
	cp, err := OpenCheckpoint(h.Checkpoint, l.cfg.Origin, l.cfg.Verifier)
	if err != nil {
		return nil, err
	}
	o.mu.Lock()
	o.note, o.cp = string(h.Checkpoint), *cp
	o.mu.Unlock()
	return cp, nil
}
