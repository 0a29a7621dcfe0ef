package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/signet-ledger/signet/ledger"
	"github.com/signet-ledger/signet/registry"
)

var errBoom = errors.New("storetest: f failed")

// cutOff is one way a Sequence ends without committing: f is the
// function Sequence runs after the snapshot.
type cutOff struct {
	name string
	f    func(t *testing.T, ctx context.Context, tx ledger.Tx, in *cutIn) error
	// want is the error Sequence must return (errors.Is); nil for any.
	want error
}

// cutIn is what a cut-off works on: the fixture, a valid batch that
// appends to its head, and the cancel func of the Sequence's context.
type cutIn struct {
	f      *fixture
	next   *ledger.Batch
	cancel context.CancelFunc
}

var cutOffs = []cutOff{
	{"ErrorBeforeWrite", func(t *testing.T, ctx context.Context, tx ledger.Tx, in *cutIn) error {
		return errBoom
	}, errBoom},
	{"ErrorAfterWrite", func(t *testing.T, ctx context.Context, tx ledger.Tx, in *cutIn) error {
		mustWrite(t, ctx, tx, in.next)
		return errBoom
	}, errBoom},
	{"ContextCanceledAfterWrite", func(t *testing.T, ctx context.Context, tx ledger.Tx, in *cutIn) error {
		mustWrite(t, ctx, tx, in.next)
		in.cancel()
		return nil
	}, nil},
	{"PanicAfterWrite", func(t *testing.T, ctx context.Context, tx ledger.Tx, in *cutIn) error {
		mustWrite(t, ctx, tx, in.next)
		panic(errBoom)
	}, errBoom},
	{"BadSecondWrite", func(t *testing.T, ctx context.Context, tx ledger.Tx, in *cutIn) error {
		mustWrite(t, ctx, tx, in.next)
		return tx.Write(ctx, in.next) // the same records again
	}, nil},
	{"UsedNonce", badWrite(func(f *fixture, b *ledger.Batch) {
		b.Records[1].Nonce = f.m.recs[f.aliceEntry].Nonce
	}), nil},
	{"IndexTaken", badWrite(func(f *fixture, b *ledger.Batch) {
		for _, r := range b.Records {
			r.Index--
		}
	}), nil},
	{"SignerTaken", badWrite(func(f *fixture, b *ledger.Batch) {
		b.NewSigners = append(b.NewSigners, registry.Signer{ID: "alice", RegisteredAt: b.Records[0].Index, RegisteredTime: b.Records[0].IntegratedTime})
	}), nil},
	{"KIDTaken", badWrite(func(f *fixture, b *ledger.Batch) {
		k, _ := f.m.st.Key(kid(f.a1))
		k.AddedAt, k.Revocation = b.Records[0].Index, nil
		b.NewKeys = append(b.NewKeys, k)
	}), nil},
	{"KeyOfUnknownSigner", badWrite(func(f *fixture, b *ledger.Batch) {
		k := newKey(f.w.t)
		b.NewKeys = append(b.NewKeys, registry.Key{KID: kid(k), Signer: "ghost", PublicKey: k.Public(),
			AddedAt: b.Records[0].Index, AddedTime: b.Records[0].IntegratedTime})
	}), nil},
}

// badWrite is a cut-off whose Write must fail: the valid batch changed by
// bad. A Write that succeeds is an error of the store under test.
func badWrite(bad func(f *fixture, b *ledger.Batch)) func(*testing.T, context.Context, ledger.Tx, *cutIn) error {
	return func(t *testing.T, ctx context.Context, tx ledger.Tx, in *cutIn) error {
		bad(in.f, in.next)
		if err := tx.Write(ctx, in.next); err != nil {
			return err
		}
		t.Errorf("Write(a batch that breaks the schema's constraints) succeeded")
		return errBoom
	}
}

func mustWrite(t *testing.T, ctx context.Context, tx ledger.Tx, b *ledger.Batch) {
	if err := tx.Write(ctx, b); err != nil {
		t.Errorf("Write(a valid batch) = %v", err)
	}
}

// testNoTrace cuts a Sequence off at every point, with an error, a
// panic, a canceled context or a Write that breaks a constraint, and
// checks that it left no trace: the store holds exactly what it held, and
// the next Sequence commits.
func testNoTrace(t *testing.T, b Backend) {
	for _, c := range cutOffs {
		t.Run(c.name, func(t *testing.T) {
			f := &fixture{name: b.New(t), w: newWorld(t)}
			f.s, f.m = b.Open(t, f.name), newModel(f.w)
			f.a1 = newKey(t)
			write(t, f.s, f.m, f.m.next(f.w.register("alice", f.a1), f.w.entry("alice", f.a1, "one"), f.w.entry("alice", f.a1, "two")))
			f.aliceEntry = 1
			next := f.m.next(f.w.entry("alice", f.a1, "lost"), f.w.entry("alice", f.a1, "lost"),
				f.w.register("bob", newKey(t)))
			var nonces []string
			for _, r := range next.Records {
				nonces = append(nonces, r.Nonce)
			}
			err := runCutOff(t, f, c, next)
			if err == nil || (c.want != nil && !errors.Is(err, c.want)) {
				t.Errorf("Sequence = %v, want %v", err, c.want)
			}
			compare(t, f.s, f.m)
			for _, n := range nonces {
				if _, err := f.s.RecordByNonce(testCtx(t), n); !errors.Is(err, ledger.ErrNotFound) {
					t.Errorf("RecordByNonce(a nonce of the cut-off batch) = %v, want ErrNotFound", err)
				}
			}
			if _, err := f.s.Signer(testCtx(t), "bob"); !errors.Is(err, ledger.ErrNotFound) {
				t.Errorf("Signer(bob), registered by the cut-off batch, = %v; want ErrNotFound", err)
			}
			write(t, f.s, f.m, f.m.next(f.w.entry("alice", f.a1, "after")))
			checkLog(t, f.s, f.w)
		})
	}
}

// runCutOff runs c in a Sequence, turning a panic that escapes Sequence
// into an error that wraps it.
func runCutOff(t *testing.T, f *fixture, c cutOff, next *ledger.Batch) (err error) {
	ctx, cancel := context.WithCancel(testCtx(t))
	defer cancel()
	defer func() {
		if p := recover(); p != nil {
			e, _ := p.(error)
			err = fmt.Errorf("storetest: Sequence panicked: %v (%w)", p, e)
		}
	}()
	return f.s.Sequence(ctx, func(ctx context.Context, tx ledger.Tx) error {
		snap, err := tx.Snapshot(ctx, ledger.SnapshotQuery{Signers: []string{"alice"}, Nonces: []string{next.Records[0].Nonce}, HashesFor: -1})
		if err != nil {
			return err
		}
		if snap.Head.Size != f.m.head.Size {
			t.Errorf("Snapshot().Head.Size = %d, want %d", snap.Head.Size, f.m.head.Size)
		}
		return c.f(t, ctx, tx, &cutIn{f: f, next: next, cancel: cancel})
	})
}
