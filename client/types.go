package client

import (
	"github.com/signet-ledger/signet"

	"github.com/signet-ledger/signet/keys"
	"golang.org/x/mod/sumdb/tlog"
)

// Record is a record of the log as the server shows it: the wire form of
// [signet.Record], shared with exports so there is one definition of it.
type Record = signet.WireRecord

// JWS is a record's JWS in flattened JSON serialization, exactly as the
// log received it.
type JWS = signet.WireJWS

// InclusionProof proves a record in a tree; hashes are tlog hashes
// (standard base64 in JSON).
type InclusionProof struct {
	LogIndex   int64       `json:"log_index"`
	TreeSize   int64       `json:"tree_size"`
	LeafHash   tlog.Hash   `json:"leaf_hash"`
	Hashes     []tlog.Hash `json:"hashes"`
	Checkpoint string      `json:"checkpoint,omitempty"`
}

// ConsistencyProof proves the tree of From records a prefix of To's.
type ConsistencyProof struct {
	From       int64       `json:"from"`
	To         int64       `json:"to"`
	Hashes     []tlog.Hash `json:"hashes"`
	Checkpoint string      `json:"checkpoint,omitempty"`
}

// Appended answers an entry append.
type Appended struct {
	Record
	Checkpoint     string         `json:"checkpoint"`
	InclusionProof InclusionProof `json:"inclusion_proof"`
	// Existing is true when the server answered 200: the same JWS was
	// already in the log.
	Existing bool   `json:"-"`
	Location string `json:"-"`
}

// KeyEvent answers a registration, key change or revocation.
type KeyEvent struct {
	Signer         string         `json:"signer"`
	KID            string         `json:"kid"`
	Status         string         `json:"status"`
	LogIndex       int64          `json:"log_index"`
	RegisteredAt   string         `json:"registered_at,omitempty"`
	AddedAt        string         `json:"added_at,omitempty"`
	RevokedAt      string         `json:"revoked_at,omitempty"`
	Checkpoint     string         `json:"checkpoint"`
	InclusionProof InclusionProof `json:"inclusion_proof"`
}

// Key is one key of a signer.
type Key struct {
	KID              string   `json:"kid"`
	JWK              keys.JWK `json:"jwk"`
	Status           string   `json:"status"`
	AddedAt          string   `json:"added_at"`
	LogIndex         int64    `json:"log_index"`
	RevokedAt        string   `json:"revoked_at,omitempty"`
	RevokedAtIndex   *int64   `json:"revoked_at_index,omitempty"`
	RevokedBy        string   `json:"revoked_by,omitempty"`
	Reason           string   `json:"reason,omitempty"`
	CompromisedSince *int64   `json:"compromised_since,omitempty"`
}

// SignerInfo is a signer with its keys.
type SignerInfo struct {
	Signer       string `json:"signer"`
	RegisteredAt string `json:"registered_at"`
	LogIndex     int64  `json:"log_index"`
	Keys         []Key  `json:"keys"`
}

// SignerSummary is one signer of the directory (GET /v1/signers).
type SignerSummary struct {
	Signer       string `json:"signer"`
	RegisteredAt string `json:"registered_at"`
	LogIndex     int64  `json:"log_index"`
	// Status is "active" while the signer has an active key, else
	// "inactive".
	Status      string `json:"status"`
	ActiveKeys  int    `json:"active_keys"`
	RevokedKeys int    `json:"revoked_keys"`
}

// SignerPage is one page of the signer directory; pass Next back as the
// next call's after.
type SignerPage struct {
	Signers []SignerSummary `json:"signers"`
	Next    *string         `json:"next"`
}

// Verification is the server's verification of one record.
type Verification struct {
	Index    int64 `json:"index"`
	Verified bool  `json:"verified"`
	Signer   struct {
		Signer         string `json:"signer"`
		KID            string `json:"kid"`
		KeyStatus      string `json:"key_status"`
		RevokedAtIndex *int64 `json:"revoked_at_index,omitempty"`
		Compromised    bool   `json:"compromised"`
	} `json:"signer"`
	Checks   map[string]bool `json:"checks"`
	Problems []string        `json:"problems"`
}

// Page is one page of records; pass Next back as Query.After.
type Page struct {
	Entries []Record `json:"entries"`
	Next    *string  `json:"next"`
}

// Query filters Entries. Zero fields do not filter; After -1 (or 0 with
// HasAfter false) starts at the beginning.
type Query struct {
	Signer string
	Kind   string
	// Match, if not empty, is a JSON object: only records whose payload
	// contains it (jsonb @> containment; docs/PROTOCOL.md) are selected.
	Match string
	After string
	Limit int
}

// RevokeRequest is the payload of a revocation.
type RevokeRequest struct {
	Reason           string `json:"reason"`
	CompromisedSince *int64 `json:"compromised_since,omitempty"`
}
