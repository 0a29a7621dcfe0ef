package vectors_test

import (
	"context"
	"errors"
	"testing"

	"github.com/signet-ledger/signet"
	"github.com/signet-ledger/signet/internal/signettest"
	"github.com/signet-ledger/signet/internal/vectors"
	"github.com/signet-ledger/signet/keys"
	"github.com/signet-ledger/signet/ledger"
)

// TestAdmissionInMemory is [TestAdmission] without PostgreSQL or HTTP:
// each vector's requests go straight to a ledger.Log on an in-memory
// store, and every refusal must name the vector's rule. Afterwards every
// record of the log must verify.
func TestAdmissionInMemory(t *testing.T) { admission(t, memServer) }

// memServer is a ledger.Log on an in-memory store, called as the HTTP
// handlers call it, after parsing the body as they do.
func memServer(t *testing.T) *admitter {
	m := signettest.NewMem(t, nil)
	return &admitter{
		base:  "https://signet.test",
		nonce: func(*testing.T) string { return m.Log.NewNonce() },
		size: func(t *testing.T) int64 {
			h, err := m.Log.Head(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			return h.Size
		},
		post: func(t *testing.T, st *vectors.Step, req *vectors.Request) error {
			return refused(post(t.Context(), m.Log, st, req))
		},
		strict: true,
		check:  func(t *testing.T) { verifyAll(t, m.Log) },
	}
}

// post makes the ledger call for st that its HTTP handler makes. A body
// the JWS parser refuses breaks R8, the JWS rules, before the ledger sees
// it.
func post(ctx context.Context, l *ledger.Log, st *vectors.Step, req *vectors.Request) error {
	if st.Operator {
		_, err := l.RevokeByOperator(ctx, st.Signer, st.KID, req.Body)
		return err
	}
	j, err := keys.ParseFlattened(req.Body)
	if err != nil {
		return &signet.RuleError{Rule: signet.RuleJWS, Err: err, Detail: err.Error()}
	}
	s := ledger.Signed{JWS: j, Path: req.Path}
	switch st.Kind {
	case signet.KindRegistered:
		_, err = l.Register(ctx, s)
	case signet.KindKeyAdded:
		_, err = l.AddKey(ctx, s, st.Signer)
	case signet.KindKeyRevoked:
		_, err = l.Revoke(ctx, s, st.Signer, st.KID)
	default:
		_, err = l.AppendEntry(ctx, s)
	}
	return err
}

// refused turns the ledger's refusal of a request into a *refusal; any
// other error (the store failing) stays as it is.
func refused(err error) error {
	if err == nil || errors.Is(err, ledger.ErrUnavailable) || errors.Is(err, ledger.ErrCorrupt) {
		return err
	}
	return &refusal{string(signet.RuleOf(err)), err.Error()}
}

// verifyAll checks that Log.Verify passes every record of l.
func verifyAll(t *testing.T, l *ledger.Log) {
	h, err := l.Head(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for i := range h.Size {
		if v, err := l.Verify(t.Context(), i); err != nil || !v.Verified {
			t.Errorf("Verify(%d) = %+v, %v; want verified", i, v, err)
		}
	}
}
