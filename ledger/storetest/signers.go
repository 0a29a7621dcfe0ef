package storetest

import (
	"testing"

	"github.com/signet-ledger/signet/keys"
	"github.com/signet-ledger/signet/registry"
)

// testSigners checks the signer directory: Signers pages through every
// signer in bytewise id order (ids that differ only in punctuation, which
// a database's collation might order otherwise), each with all its keys
// as Signer returns them, revoked ones included.
func testSigners(t *testing.T, b Backend) {
	w := newWorld(t)
	s := b.Open(t, b.New(t))
	m := newModel(w)
	if got, err := s.Signers(testCtx(t), "", 10); err != nil || len(got) != 0 {
		t.Errorf("Signers(\"\", 10) of an empty store = %v, %v; want none", got, err)
	}
	ids := []string{"zed", "a-b", "ab", "a_b", "a.b", "a@b", "a0", "b"}
	first := map[string]keys.PrivateKey{}
	var ps []pend
	for _, id := range ids {
		first[id] = newKey(t)
		ps = append(ps, w.register(id, first[id]))
	}
	write(t, s, m, m.next(ps...))
	// ab gets a second key and revokes its first; the operator revokes
	// b's only key, leaving b with none active.
	k2 := newKey(t)
	write(t, s, m, m.next(w.addKey("ab", first["ab"], k2), w.revoke("ab", kid(first["ab"]), &k2, "rotated", nil),
		w.revoke("b", kid(first["b"]), nil, "left", nil)))
	want := m.st.Signers()
	for _, after := range []string{"", "a", "a-b", "a/", "a0", "a_b", "b", "zed", "zzz"} {
		for _, limit := range []int{1, 3, 100} {
			got, err := s.Signers(testCtx(t), after, limit)
			if err != nil {
				t.Fatalf("Signers(%q, %d) = %v", after, limit, err)
			}
			exp := signersAfter(want, after, limit)
			if len(got) != len(exp) {
				t.Errorf("Signers(%q, %d) = %d signers %v, want %d", after, limit, len(got), signerIDs(got), len(exp))
				continue
			}
			for i := range exp {
				if d := diffSigner(got[i], exp[i]); d != "" {
					t.Errorf("Signers(%q, %d)[%d]: %s", after, limit, i, d)
				}
			}
		}
	}
}

// signersAfter is what Signers(after, limit) must return from all, which is in
// bytewise id order.
func signersAfter(all []registry.Signer, after string, limit int) []registry.Signer {
	var out []registry.Signer
	for _, sg := range all {
		if sg.ID > after && len(out) < limit {
			out = append(out, sg)
		}
	}
	return out
}

func signerIDs(sgs []registry.Signer) []string {
	out := make([]string, len(sgs))
	for i, sg := range sgs {
		out[i] = sg.ID
	}
	return out
}
