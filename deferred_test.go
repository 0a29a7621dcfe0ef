package signet_test

import (
	"fmt"
	"testing"

	"github.com/signet-ledger/signet"
	"github.com/signet-ledger/signet/keys"
)

// TestCheckDeferredBatchAsOneByOne holds [signet.Replay.CheckDeferred],
// which checks signatures together with keys.VerifyBatch, to
// [signet.Replay.Next]'s answer for every record of a log whose entries
// break R18 (a flipped signature byte, a signature by another signer's
// key), the JWS rules (a signature that is not base64url) and R22 (a
// reused nonce), alone, in pairs, in a group of their own and after a
// failed group, among good entries, over groups of 32.
func TestCheckDeferredBatchAsOneByOne(t *testing.T) {
	recs, bad := badEntriesLog(t)
	oracle, deferred := signet.NewReplay(), signet.NewReplay()
	var want []error
	var ds []*signet.Deferred
	for _, rec := range recs {
		_, err := oracle.Next(rec)
		oracle.Resync(rec.Index+1, rec.Hash)
		d, _, derr := deferred.NextDeferred(rec)
		if derr != nil {
			t.Fatalf("NextDeferred(record %d) = %v", rec.Index, derr)
		}
		if d == nil {
			if err != nil {
				t.Fatalf("Next(record %d) = %v", rec.Index, err)
			}
			continue
		}
		want = append(want, err)
		ds = append(ds, d)
	}
	var cache keys.BatchKeyCache
	got := deferred.CheckDeferred(ds[:150], &cache)
	got = append(got, deferred.CheckDeferred(ds[150:], &cache)...)
	refused := 0
	for i, d := range ds {
		if fmt.Sprint(got[i]) != fmt.Sprint(want[i]) {
			t.Errorf("record %d (entry %d, %q): CheckDeferred = %v, Next = %v", d.Index(), i, bad[i], got[i], want[i])
		}
		if want[i] != nil {
			refused++
		}
	}
	if refused != len(bad) {
		t.Errorf("Next refused %d entries, want the %d made bad", refused, len(bad))
	}
}

// TestNextAllStopsWhereNextStops holds [signet.Replay.NextAll] to calling
// Next on each record in turn, on every prefix of a log with bad entries
// (each prefix ends where the first bad entry is, or further) and on the
// good records alone, with one worker and with four.
func TestNextAllStopsWhereNextStops(t *testing.T) {
	recs, _ := badEntriesLog(t)
	var good []*signet.Record
	oracle := signet.NewReplay()
	for _, rec := range recs {
		if _, err := oracle.Next(rec); err == nil {
			good = append(good, rec)
		}
		oracle.Resync(rec.Index+1, rec.Hash)
	}
	cases := [][]*signet.Record{recs, recs[:4], recs[:6], recs[:100]}
	for _, rs := range cases {
		for _, workers := range []int{1, 4} {
			serial := signet.NewReplay()
			wantN, wantErr := len(rs), error(nil)
			for i, rec := range rs {
				if _, err := serial.Next(rec); err != nil {
					wantN, wantErr = i, err
					break
				}
			}
			ch, n, err := signet.NewReplay().NextAll(rs, workers, new(keys.BatchKeyCache))
			if n != wantN || fmt.Sprint(err) != fmt.Sprint(wantErr) || len(ch) != n {
				t.Errorf("NextAll(%d records, %d workers) = %d changes, %d, %v; want %d, %v", len(rs), workers, len(ch), n, err, wantN, wantErr)
			}
		}
	}
	// The good ones chain only while no bad one was left out: the first
	// bad entry is entry 3, so take the records before it and check that
	// all are applied.
	r := signet.NewReplay()
	if _, n, err := r.NextAll(good[:5], 2, new(keys.BatchKeyCache)); n != 5 || err != nil || r.Size() != 5 {
		t.Errorf("NextAll(5 good records) = %d, %v; size %d", n, err, r.Size())
	}
}

// badEntriesLog returns a log of two registrations and 200 entries, some
// made bad, and the defect of each bad one by its entry number.
func badEntriesLog(t *testing.T) ([]*signet.Record, map[int]string) {
	b := newBook(t)
	alice, bob := newKey(t), newKey(t)
	var recs []*signet.Record
	add := func(rec *signet.Record) *signet.Record {
		rec = b.seal(rec)
		recs = append(recs, rec)
		b.n, b.prev = rec.Index+1, rec.Hash
		return rec
	}
	for id, k := range map[string]keys.PrivateKey{"alice": alice, "bob": bob} {
		pub := k.Public()
		add(b.signed(signet.KindRegistered, id, k, keys.Header{JWK: &pub, Nonce: b.nonce(), URL: "https://s.test/v1/signers"}, `{"signer":"`+id+`"}`))
	}
	bad := map[int]string{ // entry number: defect
		3: "flip", 40: "flip", 41: "flip", 70: "foreign", 75: "flip", 76: "base64", 90: "reuse", 91: "flip",
	}
	for i := 96; i < 128; i++ {
		bad[i] = "flip" // a group of bad signatures only
	}
	firstNonce := ""
	for i := range 200 {
		signer, k := "alice", alice
		if i%3 == 0 {
			signer, k = "bob", bob
		}
		nonce := b.nonce()
		if i == 0 {
			firstNonce = nonce
		}
		if bad[i] == "reuse" {
			nonce = firstNonce
		}
		rec := b.entryRecord(signer, k, entries, nonce, fmt.Sprintf(`{"n":%d}`, i))
		switch bad[i] {
		case "flip":
			s := []byte(rec.Signature)
			s[20] ^= 'A' ^ 'B'
			rec.Signature = string(s)
		case "foreign":
			other := alice
			if signer == "alice" {
				other = bob
			}
			rec.Signature = b.entryRecord(signer, other, entries, nonce, fmt.Sprintf(`{"n":%d}`, i)).Signature
		case "base64":
			rec.Signature += "A"
		}
		add(rec)
	}
	return recs, bad
}
