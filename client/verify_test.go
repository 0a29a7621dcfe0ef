package client_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"strings"
	"testing"

	"github.com/signet-ledger/signet/client"
	"github.com/signet-ledger/signet/internal/signettest"
	"github.com/signet-ledger/signet/ledger"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// logWithKey starts a server whose checkpoint signer the test holds.
func logWithKey(t *testing.T) (*signettest.Env, note.Signer) {
	skey, vkey, err := note.GenerateKey(rand.Reader, "signet.test/log")
	if err != nil {
		t.Fatal(err)
	}
	s, _ := note.NewSigner(skey)
	v, _ := note.NewVerifier(vkey)
	e := signettest.New(t, signettest.Options{Ledger: func(c *ledger.Config) { c.Signer, c.Verifier = s, v }})
	e.LogKey = vkey
	return e, s
}

func wantVerification(t *testing.T, what string, err error) {
	t.Helper()
	if !errors.Is(err, client.ErrVerification) {
		t.Errorf("%s = %v, want ErrVerification", what, err)
	}
}

func TestVerifyRecord(t *testing.T) {
	e, _ := logWithKey(t)
	ctx := context.Background()
	k := e.Register(t, "alice")
	if _, err := e.Client.Submit(ctx, k, []byte(`{"journal_id":"JE1"}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Client.RevokeAsOperator(ctx, "alice", k.Public().Thumbprint(), client.RevokeRequest{Reason: "test"}); err != nil {
		t.Fatal(err)
	}
	recs := make([]*ledger.Record, 3)
	for i := range recs {
		r, err := e.Client.Entry(ctx, int64(i))
		if err != nil {
			t.Fatal(err)
		}
		if recs[i], err = client.LedgerRecord(r); err != nil {
			t.Fatalf("LedgerRecord(Entry(%d)) = %v", i, err)
		}
		if err := client.CheckRecordHash(recs[i]); err != nil {
			t.Errorf("CheckRecordHash(%d) = %v", i, err) // the operator record's too
		}
	}
	if err := client.VerifyRecordSignature(recs[1], k.Public()); err != nil {
		t.Errorf("VerifyRecordSignature(entry) = %v", err)
	}
	pub, _, err := e.Client.RecordKey(ctx, recs[0])
	if err != nil || pub != k.Public() {
		t.Fatalf("RecordKey(registration) = %v, %v", pub, err)
	}
	if err := client.VerifyRecordSignature(recs[0], pub); err != nil {
		t.Errorf("VerifyRecordSignature(registration) = %v", err)
	}
	pub, key, err := e.Client.RecordKey(ctx, recs[1])
	// Revoked by record 2: active up to it (the revocation may be signed by the key itself), not after.
	if err != nil || pub != k.Public() || key.ActiveAt(3) || !key.ActiveAt(2) || !key.ActiveAt(1) {
		t.Errorf("RecordKey(entry) = %v, %+v, %v", pub, key, err)
	}
	other := signettest.Key(t)
	wantVerification(t, "VerifyRecordSignature(other key)", client.VerifyRecordSignature(recs[1], other.Public()))
	wantVerification(t, "VerifyRecordSignature(operator)", client.VerifyRecordSignature(recs[2], k.Public()))
	bad := *recs[1]
	bad.Payload = recs[0].Payload
	wantVerification(t, "CheckRecordHash(changed)", client.CheckRecordHash(&bad))
	bad.Hash = ledger.RecordHash(&bad)
	wantVerification(t, "VerifyRecordSignature(changed payload)", client.VerifyRecordSignature(&bad, k.Public()))

	cp, err := e.Client.VerifiedCheckpoint(ctx, e.LogKey)
	if err != nil || cp.Size != 3 {
		t.Fatalf("VerifiedCheckpoint = %+v, %v", cp, err)
	}
	for i, rec := range recs {
		p, err := e.Client.InclusionProof(ctx, int64(i), cp.Size)
		if err != nil {
			t.Fatal(err)
		}
		if err := client.VerifyInclusion(rec, p, cp); err != nil {
			t.Errorf("VerifyInclusion(%d) = %v", i, err)
		}
		if i == 1 {
			wantVerification(t, "VerifyInclusion(changed record)", client.VerifyInclusion(&bad, p, cp))
			wantVerification(t, "VerifyInclusion(other record)", client.VerifyInclusion(recs[0], p, cp))
		}
	}
}

func TestOpenCheckpoint(t *testing.T) {
	e, _ := logWithKey(t)
	e.Register(t, "alice")
	msg, err := e.Client.Checkpoint(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if cp, err := client.OpenCheckpoint(msg, e.LogKey); err != nil || cp.Size != 1 || cp.Origin != "signet.test/log" {
		t.Fatalf("OpenCheckpoint = %+v, %v", cp, err)
	}
	_, otherKey, _ := note.GenerateKey(rand.Reader, "signet.test/log")
	_, err = client.OpenCheckpoint(msg, otherKey)
	wantVerification(t, "OpenCheckpoint(other key)", err)
	// Every byte but the signature's last base64 digit before its "=",
	// whose low bits are padding that sumdb/note's decoder ignores.
	pad := bytes.LastIndex(msg, []byte("=\n")) - 1
	for i := range msg {
		b := append([]byte{}, msg...)
		b[i] ^= 1
		if _, err := client.OpenCheckpoint(b, e.LogKey); err == nil && i != pad {
			t.Fatalf("OpenCheckpoint with byte %d of %q changed = nil error", i, msg)
		}
	}
}

func TestVerifyConsistency(t *testing.T) {
	e, signer := logWithKey(t)
	ctx := context.Background()
	k := e.Register(t, "alice")
	old, err := e.Client.VerifiedCheckpoint(ctx, e.LogKey)
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		if _, err := e.Client.Submit(ctx, k, []byte(`{"x":1}`)); err != nil {
			t.Fatal(err)
		}
	}
	cur, err := e.Client.VerifiedCheckpoint(ctx, e.LogKey)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Client.VerifyConsistency(ctx, old, cur); err != nil {
		t.Errorf("VerifyConsistency(1, 6) = %v", err)
	}
	if err := e.Client.VerifyConsistency(ctx, cur, cur); err != nil {
		t.Errorf("VerifyConsistency(6, 6) = %v", err)
	}
	// Checkpoints signed by the log's key for trees it never had.
	forge := func(size int64, root tlog.Hash) *ledger.Checkpoint {
		msg, err := ledger.SignCheckpoint(signer, "signet.test/log", size, root)
		if err != nil {
			t.Fatal(err)
		}
		cp, err := client.OpenCheckpoint(msg, e.LogKey)
		if err != nil {
			t.Fatal(err)
		}
		return cp
	}
	var fork *client.ForkError
	for _, tc := range []struct {
		name       string
		old, newer *ledger.Checkpoint
	}{
		{"OtherPrefix", forge(3, tlog.Hash{1}), cur},
		{"SameSizeOtherRoot", forge(6, tlog.Hash{2}), cur},
		{"Shrank", cur, old},
	} {
		err := e.Client.VerifyConsistency(ctx, tc.old, tc.newer)
		if !errors.As(err, &fork) || !errors.Is(err, client.ErrVerification) {
			t.Errorf("VerifyConsistency(%s) = %v, want a ForkError", tc.name, err)
		}
	}
	other := *cur
	other.Origin = "elsewhere"
	wantVerification(t, "VerifyConsistency(two logs)", e.Client.VerifyConsistency(ctx, old, &other))
}

func TestLedgerRecordStrict(t *testing.T) {
	h := strings.Repeat("ab", 32)
	good := client.Record{Index: 1, Kind: "entry", IntegratedTime: "2026-01-02T03:04:05.5Z", Hash: h, PrevHash: h,
		Payload: []byte(`{}`), JWS: &client.JWS{Protected: "e30", Payload: "e30", Signature: "AA"}}
	if _, err := client.LedgerRecord(&good); err != nil {
		t.Fatalf("client.LedgerRecord(good) = %v", err)
	}
	for name, edit := range map[string]func(r *client.Record){
		"UpperHash":     func(r *client.Record) { r.Hash = strings.ToUpper(h) },
		"ShortHash":     func(r *client.Record) { r.PrevHash = h[:62] },
		"Kind":          func(r *client.Record) { r.Kind = "note" },
		"TimeOffset":    func(r *client.Record) { r.IntegratedTime = "2026-01-02T03:04:05.5+00:00" },
		"TimeZeros":     func(r *client.Record) { r.IntegratedTime = "2026-01-02T03:04:05.500Z" },
		"TimeNanos":     func(r *client.Record) { r.IntegratedTime = "2026-01-02T03:04:05.123456789Z" },
		"NegativeIndex": func(r *client.Record) { r.Index = -1 },
	} {
		r := good
		edit(&r)
		if _, err := client.LedgerRecord(&r); err == nil {
			t.Errorf("LedgerRecord(%s) = nil error", name)
		}
	}
}
