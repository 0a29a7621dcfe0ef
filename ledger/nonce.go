package ledger

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"time"
)

// Nonces issues and checks anti-replay nonces without keeping state.
//
// A nonce is the unpadded base64url encoding of 41 bytes:
//
//	version (1 byte, 0x01) || issued (8 bytes, big-endian Unix seconds)
//	|| random (16 bytes) || HMAC-SHA-256(key, the first 25 bytes)[:16]
//
// Any process holding the same key accepts a nonce issued by another, so
// several servers on one database share nonces. Nonces are single use
// because the log stores each accepted request's nonce under a unique index;
// Nonces itself only checks authenticity and age.
type Nonces struct {
	key [32]byte
	ttl time.Duration
	now func() time.Time
}

const (
	nonceVersion = 1
	nonceBody    = 1 + 8 + 16
	nonceLen     = nonceBody + 16
)

// NewNonces returns a Nonces using key, whose nonces expire after ttl.
func NewNonces(key []byte, ttl time.Duration) *Nonces {
	n := &Nonces{ttl: ttl, now: time.Now}
	n.key = sha256.Sum256(key)
	return n
}

// New returns a fresh nonce.
func (n *Nonces) New() string {
	b := make([]byte, nonceBody, nonceLen)
	b[0] = nonceVersion
	binary.BigEndian.PutUint64(b[1:9], uint64(n.now().Unix()))
	rand.Read(b[9:nonceBody])
	return base64.RawURLEncoding.EncodeToString(append(b, n.mac(b)...))
}

func (n *Nonces) mac(body []byte) []byte {
	m := hmac.New(sha256.New, n.key[:])
	m.Write(body)
	return m.Sum(nil)[:16]
}

// Check returns nil if s is a nonce issued by a holder of the key that has
// not expired. Otherwise the error wraps [ErrBadNonce].
func (n *Nonces) Check(s string) error {
	if s == "" {
		return badNonce("the protected header has no nonce; get one from /v1/nonce")
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(s)
	if err != nil || len(b) != nonceLen || b[0] != nonceVersion {
		return badNonce("the nonce is not one this server issued")
	}
	if !hmac.Equal(n.mac(b[:nonceBody]), b[nonceBody:]) {
		return badNonce("the nonce is not one this server issued")
	}
	issued := time.Unix(int64(binary.BigEndian.Uint64(b[1:9])), 0)
	age := n.now().Sub(issued)
	if age > n.ttl {
		return badNonce("the nonce expired; get a fresh one from /v1/nonce")
	}
	if age < -time.Minute {
		return badNonce("the nonce was issued in the future")
	}
	return nil
}
