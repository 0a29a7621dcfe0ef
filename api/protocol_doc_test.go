package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/signet-ledger/signet/client"
	"github.com/signet-ledger/signet/internal/signettest"
	"github.com/signet-ledger/signet/keys"
)

// docJSON returns the fenced block of docs/PROTOCOL.md that opens with
// "```json name", decoded.
func docJSON(t *testing.T, name string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(signettest.ProtocolBlock(t, "json "+name)), &v); err != nil {
		t.Fatalf("the ```json %s block is not JSON: %v", name, err)
	}
	return v
}

func seedKey(t *testing.T, b byte) keys.PrivateKey {
	k, err := keys.NewKeyFromSeed(bytes.Repeat([]byte{b}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestProtocolVerificationExample: the verification answer PROTOCOL.md
// shows is the one the server gives for the log it describes: alice
// registers key A (record 0), submits an entry (1), adds key B (2) and
// revokes A with B (3); record 1 is then verified, signed by a key revoked
// later but not compromised.
func TestProtocolVerificationExample(t *testing.T) {
	e := signettest.New(t, signettest.Options{})
	ctx := context.Background()
	a, b := seedKey(t, 1), seedKey(t, 2)
	if _, err := e.Client.Register(ctx, "alice@example.com", a, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Client.Submit(ctx, a, []byte(`{"journal_id":"JE000001","amount":"100.00"}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Client.AddKey(ctx, "alice@example.com", a, b); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Client.Revoke(ctx, "alice@example.com", a.Public().Thumbprint(), b, client.RevokeRequest{Reason: "rotated"}); err != nil {
		t.Fatal(err)
	}
	r, err := e.Client.Do(ctx, "GET", "/v1/entries/1/verify", "", nil, nil)
	if err != nil || r.Status != 200 {
		t.Fatalf("verify = %v, %v", r, err)
	}
	var got any
	json.Unmarshal(r.Body, &got)
	if want := docJSON(t, "verify-example"); !reflect.DeepEqual(got, want) {
		t.Errorf("the server's verification of record 1:\n%s\nPROTOCOL.md shows:\n%v", r.Body, want)
	}
}
