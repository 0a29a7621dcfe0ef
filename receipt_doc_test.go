package signet_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	signet "github.com/signet-ledger/signet"
	"github.com/signet-ledger/signet/internal/signettest"
	"github.com/signet-ledger/signet/internal/vectors"
	fnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"
)

// TestProtocolReceiptExample checks the worked receipt of
// docs/PROTOCOL.md §9: its policy's keys are the ones the text says, its
// record and key records are the vectors' records 2, 0 and 5 with proofs
// in the export's checkpoint, its extra data is the JSON shown, and it
// verifies, but not without its cosignature.
func TestProtocolReceiptExample(t *testing.T) {
	policy, err := signet.ParsePolicy([]byte(signettest.ProtocolBlock(t, "example-receipt-policy")))
	if err != nil {
		t.Fatal(err)
	}
	seed := sha256.Sum256([]byte("signet example witness key"))
	_, vkey, _ := note.GenerateKey(bytes.NewReader(seed[:]), "witness.example/w1")
	wvkey, _ := fnote.VKeyToCosignatureV1(vkey)
	if policy.Logs[0].VKey != vectors.LogKey() || policy.Witnesses[0].VKey != wvkey {
		t.Errorf("the example policy's keys are %s and %s, want %s and %s", policy.Logs[0].VKey, policy.Witnesses[0].VKey, vectors.LogKey(), wvkey)
	}
	text := signettest.ProtocolBlock(t, "example-receipt")
	r, err := signet.ParseReceipt([]byte(text))
	if err != nil {
		t.Fatalf("ParseReceipt(example) = %v", err)
	}
	v, err := r.Verify("", policy)
	if err != nil || v.KeyStatus != "added at log index 0, revoked at log index 5" || len(v.Cosigners) != 1 {
		t.Errorf("Verify(example) = %+v, %v", v, err)
	}
	// The same receipt, made from the vectors, differs only in the
	// cosignature's timestamp and signature.
	l := readVectorLog(t)
	want := l.receipt(t, 2)
	want.Checkpoint = r.Checkpoint
	if b, _ := want.Marshal(); string(b) != text {
		t.Errorf("the example receipt is not the receipt of the vectors' record 2:\n%s\nwant:\n%s", text, b)
	}
	if !bytes.HasPrefix(r.Checkpoint, l.checkpoint) {
		t.Errorf("the example's checkpoint is not the vectors' export's, cosigned")
	}
	p, _ := signet.ParseTLogProof([]byte(text))
	var got, shown any
	json.Unmarshal(p.ExtraData, &got)
	if err := json.Unmarshal([]byte(signettest.ProtocolBlock(t, "json example-receipt-extra")), &shown); err != nil || !reflect.DeepEqual(got, shown) {
		t.Errorf("the extra data shown is not the receipt's (%v)", err)
	}
	r.Checkpoint = l.checkpoint
	if _, err := r.Verify("", policy); !isCheck(err, signet.ReceiptWitnesses) || !strings.Contains(err.Error(), "missing W1") {
		t.Errorf("Verify(example without its cosignature) = %v, want the witnesses check to fail naming W1", err)
	}
}
