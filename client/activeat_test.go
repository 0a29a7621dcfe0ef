package client_test

import (
	"testing"

	"github.com/signet-ledger/signet/client"
)

// TestKeyActiveAtSelfRevocation: the revocation record may be signed by
// the key it revokes, so a key is active at its own revocation's index,
// as the server and every verifier count it (registry.ActiveAt).
func TestKeyActiveAtSelfRevocation(t *testing.T) {
	at := int64(5)
	k := client.Key{LogIndex: 2, RevokedAtIndex: &at}
	for _, tc := range []struct {
		i    int64
		want bool
	}{{1, false}, {2, true}, {4, true}, {5, true}, {6, false}} {
		if got := k.ActiveAt(tc.i); got != tc.want {
			t.Errorf("Key{added 2, revoked 5}.ActiveAt(%d) = %v, want %v", tc.i, got, tc.want)
		}
	}
}
