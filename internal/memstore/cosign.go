package memstore

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/signet-ledger/signet/ledger"
)

// cosignTables are the checkpoints and cosignatures tables. Their own
// lock guards them: AddCosignatures is a transaction of its own, not part
// of [Store.Sequence], in the real stores too.
type cosignTables struct {
	mu    sync.RWMutex
	notes map[int64][]byte               // checkpoints: size -> note
	rows  map[int64][]ledger.Cosignature // cosignatures of a size, by witness
}

// AddCosignatures stores c's checkpoint note and the cosignatures of the
// witnesses that have none on c.Size yet, all at once.
func (s *Store) AddCosignatures(ctx context.Context, c ledger.Cosigned) error {
	if err := s.enter(ctx, OpCosign); err != nil {
		return err
	}
	t := &s.db.cosigned
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.notes == nil {
		t.notes, t.rows = map[int64][]byte{}, map[int64][]ledger.Cosignature{}
	}
	if n, ok := t.notes[c.Size]; ok && !bytes.Equal(n, c.Checkpoint) {
		return fmt.Errorf("%w: memstore: a different checkpoint of size %d is stored", ledger.ErrCorrupt, c.Size)
	}
	t.notes[c.Size] = bytes.Clone(c.Checkpoint)
	for _, cs := range c.Cosignatures {
		if !slices.ContainsFunc(t.rows[c.Size], func(r ledger.Cosignature) bool { return r.Witness == cs.Witness }) {
			t.rows[c.Size] = append(t.rows[c.Size], ledger.Cosignature{Witness: cs.Witness, Line: bytes.Clone(cs.Line)})
		}
		slices.SortFunc(t.rows[c.Size], func(a, b ledger.Cosignature) int { return strings.Compare(a.Witness, b.Witness) })
	}
	return nil
}

// Cosigned returns the newest cosigned checkpoints of size at most maxSize.
func (s *Store) Cosigned(ctx context.Context, maxSize int64, limit int) ([]ledger.Cosigned, error) {
	if err := s.enter(ctx, OpRead); err != nil {
		return nil, err
	}
	t := &s.db.cosigned
	t.mu.RLock()
	defer t.mu.RUnlock()
	var sizes []int64
	for size, rows := range t.rows {
		if size <= maxSize && len(rows) > 0 {
			sizes = append(sizes, size)
		}
	}
	slices.Sort(sizes)
	slices.Reverse(sizes)
	var out []ledger.Cosigned
	for _, size := range sizes[:min(limit, len(sizes))] {
		c := ledger.Cosigned{Size: size, Checkpoint: bytes.Clone(t.notes[size])}
		for _, r := range t.rows[size] {
			c.Cosignatures = append(c.Cosignatures, ledger.Cosignature{Witness: r.Witness, Line: bytes.Clone(r.Line)})
		}
		out = append(out, c)
	}
	return out, nil
}

// WitnessSize returns the largest size witness cosigned.
func (s *Store) WitnessSize(ctx context.Context, witness string) (int64, error) {
	if err := s.enter(ctx, OpRead); err != nil {
		return 0, err
	}
	t := &s.db.cosigned
	t.mu.RLock()
	defer t.mu.RUnlock()
	best, found := int64(0), false
	for size, rows := range t.rows {
		if (!found || size > best) && slices.ContainsFunc(rows, func(r ledger.Cosignature) bool { return r.Witness == witness }) {
			best, found = size, true
		}
	}
	if !found {
		return 0, fmt.Errorf("%w: no cosignature of this witness is stored", ledger.ErrNotFound)
	}
	return best, nil
}
