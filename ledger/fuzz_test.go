package ledger

import (
	"bytes"
	"crypto/rand"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// FuzzNonceCheck: Check never panics, and a nonce it accepts has exactly
// one spelling: changing any character of it is refused.
func FuzzNonceCheck(f *testing.F) {
	n := NewNonces([]byte("fuzz key"), time.Hour)
	good := n.New()
	f.Add(good)
	f.Add("")
	f.Add(good[:len(good)-1] + "A")
	f.Add(strings.Repeat("A", 55))
	f.Add(good + "=")
	f.Fuzz(func(t *testing.T, s string) {
		if n.Check(s) != nil {
			return
		}
		for i := range s {
			b := []byte(s)
			b[i] ^= 1
			if n.Check(string(b)) == nil {
				t.Fatalf("Check accepted %q and also %q", s, b)
			}
		}
	})
}

func TestNonceCheck(t *testing.T) {
	n := NewNonces([]byte("k"), time.Minute)
	now := time.Now()
	n.now = func() time.Time { return now }
	s := n.New()
	if err := n.Check(s); err != nil {
		t.Fatalf("Check(fresh) = %v", err)
	}
	other := NewNonces([]byte("other key"), time.Minute)
	if err := other.Check(s); err == nil {
		t.Errorf("Check with another key accepted the nonce")
	}
	n.now = func() time.Time { return now.Add(2 * time.Minute) }
	if err := n.Check(s); err == nil || !strings.Contains(err.Error(), "expired") {
		t.Errorf("Check(expired) = %v, want expired", err)
	}
	b := []byte(s)
	for i := range b {
		c := append([]byte{}, b...)
		c[i] ^= 1
		n.now = func() time.Time { return now }
		if n.Check(string(c)) == nil {
			t.Errorf("Check accepted the nonce with byte %d changed", i)
		}
	}
}

// FuzzOpenCheckpoint: OpenCheckpoint never panics, and whatever it accepts
// re-signs to the very same bytes (one canonical encoding).
func FuzzOpenCheckpoint(f *testing.F) {
	skey, vkey, _ := note.GenerateKey(rand.Reader, "fuzz.example/log")
	s, _ := note.NewSigner(skey)
	v, _ := note.NewVerifier(vkey)
	for _, size := range []int64{1, 3, 1 << 40} {
		cp, _ := SignCheckpoint(s, "fuzz.example/log", size, tlog.Hash{1, 2, 3})
		f.Add(cp)
	}
	f.Add([]byte("fuzz.example/log\n3\nAAAA\n\n— fuzz.example/log AAAA\n"))
	f.Fuzz(func(t *testing.T, msg []byte) {
		cp, err := OpenCheckpoint(msg, "fuzz.example/log", v)
		if err != nil {
			return
		}
		again, err := SignCheckpoint(s, cp.Origin, cp.Size, cp.Root)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(again, msg) {
			t.Fatalf("OpenCheckpoint accepted a non-canonical checkpoint:\n%q\nre-signed:\n%q", msg, again)
		}
	})
}

// FuzzParseHash: ParseHash accepts exactly the lower-case hex spelling.
func FuzzParseHash(f *testing.F) {
	f.Add(strings.Repeat("ab", 32))
	f.Add(strings.Repeat("AB", 32))
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		h, err := ParseHash(s)
		if err == nil && h.String() != s {
			t.Fatalf("ParseHash(%q) = %s: not canonical", s, h)
		}
	})
}
