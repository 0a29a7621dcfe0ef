package signet

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/signet-ledger/signet/keys"

	"golang.org/x/mod/sumdb/tlog"
)

// Hash is a SHA-256 hash: a record hash, a chain link or a tree hash.
// Its text form is 64 lower-case hex digits.
type Hash [32]byte

// String returns h as lower-case hex.
func (h Hash) String() string { return hex.EncodeToString(h[:]) }

// MarshalText encodes h as lower-case hex.
func (h Hash) MarshalText() ([]byte, error) { return []byte(h.String()), nil }

// UnmarshalText parses h with [ParseHash].
func (h *Hash) UnmarshalText(b []byte) error {
	p, err := ParseHash(string(b))
	*h = p
	return err
}

// ParseHash parses exactly 64 lower-case hex digits.
func ParseHash(s string) (Hash, error) {
	var h Hash
	if len(s) != 64 {
		return h, fmt.Errorf("signet: hash must be 64 hex digits, got %d characters", len(s))
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return h, fmt.Errorf("signet: hash must be lower-case hex")
		}
	}
	hex.Decode(h[:], []byte(s))
	return h, nil
}

// Kind says what a record is.
type Kind string

// The kinds of record in the log.
const (
	KindEntry      Kind = "entry"              // a journal entry signed by a signer's key
	KindRegistered Kind = "signer.registered"  // a new signer and its first key
	KindKeyAdded   Kind = "signer.key_added"   // a key added to a signer (key change)
	KindKeyRevoked Kind = "signer.key_revoked" // a key revoked by its signer or the operator
)

// ParseKind returns k if it names a kind of record.
func ParseKind(k string) (Kind, error) {
	switch Kind(k) {
	case KindEntry, KindRegistered, KindKeyAdded, KindKeyRevoked:
		return Kind(k), nil
	}
	return "", fmt.Errorf("%w: unknown record kind %q", ErrMalformed, k)
}

// Record is one element of the log.
//
// Protected, Payload and Signature are the three parts of the JWS that
// created the record, as received: unpadded base64url strings. A record the
// operator made without a JWS (a revocation with the admin token) has empty
// Protected and Signature, and its Payload is the base64url of the JSON the
// server wrote.
type Record struct {
	Index          int64
	Kind           Kind
	Signer         string
	KID            string // kid of the key that signed the JWS; empty for the operator
	IntegratedTime time.Time
	Protected      string
	Payload        string
	Signature      string
	Hash           Hash // RecordHash of the fields above and PrevHash
	PrevHash       Hash // Hash of record Index-1; zero for index 0
	// Nonce is the JWS's protected nonce, kept apart so the store can make
	// it single use. It is not hashed on its own: Protected covers it.
	Nonce string
}

// recordDomain starts every record hash input, so that no other SHA-256
// input of Signet's can collide with a record's.
const recordDomain = "signet/record/v1\n"

// RecordHash computes r's hash from every field but r.Hash itself:
//
//	SHA-256( "signet/record/v1\n"
//	         || u64(index) || str(kind) || prev_hash (32 bytes)
//	         || str(signer) || str(kid) || i64(integrated time, Unix microseconds)
//	         || str(protected) || str(payload) || str(signature) )
//
// where u64 and i64 are 8-byte big-endian integers and str(s) is
// u32(len(s)) followed by the bytes of s. docs/PROTOCOL.md has a worked example.
func RecordHash(r *Record) Hash {
	b := make([]byte, 0, 128+len(r.Protected)+len(r.Payload)+len(r.Signature)+len(r.Signer)+len(r.KID))
	b = append(b, recordDomain...)
	b = binary.BigEndian.AppendUint64(b, uint64(r.Index))
	b = appendStr(b, string(r.Kind))
	b = append(b, r.PrevHash[:]...)
	b = appendStr(b, r.Signer)
	b = appendStr(b, r.KID)
	b = binary.BigEndian.AppendUint64(b, uint64(r.IntegratedTime.UnixMicro()))
	b = appendStr(b, r.Protected)
	b = appendStr(b, r.Payload)
	b = appendStr(b, r.Signature)
	return sha256.Sum256(b)
}

func appendStr(b []byte, s string) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
	return append(b, s...)
}

// LeafHash is the RFC 6962 leaf hash of the record whose hash is h: the
// Merkle tree's leaf data is the 32-byte record hash, so the leaf hash is
// SHA-256(0x00 || h).
func LeafHash(h Hash) tlog.Hash { return tlog.RecordHash(h[:]) }

// Time truncates t to the precision the log keeps: UTC microseconds.
func Time(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// JWS returns the record's JWS, parsed from its stored parts under the
// JWS rules. Operator records have none: the error says so.
func (r *Record) JWS() (*keys.JWS, error) {
	if r.Signature == "" {
		return nil, fmt.Errorf("signet: record %d was made by the operator and has no JWS", r.Index)
	}
	j, err := keys.ParseCompact([]byte(r.Protected + "." + r.Payload + "." + r.Signature))
	if err == nil && (j.Protected != r.Protected || j.Payload != r.Payload || j.Signature != r.Signature) {
		err = fmt.Errorf("%w: the JWS parts are not canonical", keys.ErrMalformed)
	}
	return j, err
}

// PayloadJSON returns the record's payload: the JSON the JWS signed, or
// for an operator record the JSON the server wrote.
func (r *Record) PayloadJSON() ([]byte, error) {
	return base64.RawURLEncoding.Strict().DecodeString(r.Payload)
}

// ShownPayload is the payload shown for reading beside the record
// (docs/PROTOCOL.md, R7): the signed payload decoded from the JWS, never
// another copy, or null if that is not JSON.
func (r *Record) ShownPayload() json.RawMessage {
	if p, err := r.PayloadJSON(); err == nil && json.Valid(p) {
		return p
	}
	return json.RawMessage("null")
}

// Wire returns r as an export line and the API show it, its JWS parts
// always present and its payload shown as [Record.ShownPayload].
func (r *Record) Wire() *WireRecord {
	return &WireRecord{Index: r.Index, Kind: string(r.Kind), Signer: r.Signer, KID: r.KID,
		IntegratedTime: FormatTime(r.IntegratedTime), Hash: r.Hash.String(), PrevHash: r.PrevHash.String(),
		Payload: r.ShownPayload(), JWS: &WireJWS{Protected: r.Protected, Payload: r.Payload, Signature: r.Signature}}
}
