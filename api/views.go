package api

import (
	"encoding/json"
	"time"

	"github.com/signet-ledger/signet/keys"
	"github.com/signet-ledger/signet/ledger"
	"github.com/signet-ledger/signet/registry"
	"golang.org/x/mod/sumdb/tlog"
)

// recordView is a record as the API shows it.
type recordView struct {
	Index          int64           `json:"index"`
	Kind           ledger.Kind     `json:"kind"`
	Signer         string          `json:"signer"`
	KID            string          `json:"kid"`
	IntegratedTime string          `json:"integrated_time"`
	Hash           ledger.Hash     `json:"hash"`
	PrevHash       ledger.Hash     `json:"prev_hash"`
	Payload        json.RawMessage `json:"payload"`
	JWS            *jwsView        `json:"jws,omitempty"`
}

// jwsView is a JWS in flattened JSON serialization, exactly as received.
type jwsView struct {
	Protected string `json:"protected"`
	Payload   string `json:"payload"`
	Signature string `json:"signature"`
}

func timeString(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// newRecordView shows r, with its JWS when withJWS. The payload shown is
// decoded from the signed JWS payload, never from another copy.
func newRecordView(r *ledger.Record, withJWS bool) recordView {
	v := recordView{Index: r.Index, Kind: r.Kind, Signer: r.Signer, KID: r.KID,
		IntegratedTime: timeString(r.IntegratedTime), Hash: r.Hash, PrevHash: r.PrevHash, Payload: r.ShownPayload()}
	if withJWS {
		v.JWS = &jwsView{Protected: r.Protected, Payload: r.Payload, Signature: r.Signature}
	}
	return v
}

// proofView is an inclusion proof; hashes are standard base64, as in
// checkpoints.
type proofView struct {
	LogIndex   int64       `json:"log_index"`
	TreeSize   int64       `json:"tree_size"`
	LeafHash   *tlog.Hash  `json:"leaf_hash,omitempty"`
	Hashes     []tlog.Hash `json:"hashes"`
	Checkpoint string      `json:"checkpoint,omitempty"`
}

func hashes(p []tlog.Hash) []tlog.Hash {
	if p == nil {
		return []tlog.Hash{}
	}
	return p
}

// appendedView answers an append: the record, the checkpoint covering it
// and its inclusion proof against that checkpoint.
type appendedView struct {
	recordView
	Checkpoint     string    `json:"checkpoint"`
	InclusionProof proofView `json:"inclusion_proof"`
}

func newAppendedView(a *ledger.Appended) appendedView {
	leaf := ledger.LeafHash(a.Record.Hash)
	return appendedView{
		recordView: newRecordView(a.Record, false),
		Checkpoint: string(a.Checkpoint),
		InclusionProof: proofView{LogIndex: a.Record.Index, TreeSize: a.TreeSize, LeafHash: &leaf,
			Hashes: hashes(a.Proof)},
	}
}

// keyView is one key of a signer.
type keyView struct {
	KID              string          `json:"kid"`
	JWK              keys.JWK        `json:"jwk"`
	Status           registry.Status `json:"status"`
	AddedAt          string          `json:"added_at"`
	LogIndex         int64           `json:"log_index"`
	RevokedAt        string          `json:"revoked_at,omitempty"`
	RevokedAtIndex   *int64          `json:"revoked_at_index,omitempty"`
	RevokedBy        string          `json:"revoked_by,omitempty"`
	Reason           string          `json:"reason,omitempty"`
	CompromisedSince *int64          `json:"compromised_since,omitempty"`
}

func newKeyView(k registry.Key) keyView {
	v := keyView{KID: k.KID, JWK: k.PublicKey.JWK(), Status: k.Status(), AddedAt: timeString(k.AddedTime), LogIndex: k.AddedAt}
	if r := k.Revocation; r != nil {
		at := r.At
		v.RevokedAt, v.RevokedAtIndex, v.RevokedBy, v.Reason, v.CompromisedSince = timeString(r.Time), &at, r.By, r.Reason, r.CompromisedSince
	}
	return v
}

// signerView is a signer with its keys.
type signerView struct {
	Signer       string    `json:"signer"`
	RegisteredAt string    `json:"registered_at"`
	LogIndex     int64     `json:"log_index"`
	Keys         []keyView `json:"keys"`
}

func newSignerView(s registry.Signer) signerView {
	v := signerView{Signer: s.ID, RegisteredAt: timeString(s.RegisteredTime), LogIndex: s.RegisteredAt, Keys: []keyView{}}
	for _, k := range s.Keys {
		v.Keys = append(v.Keys, newKeyView(k))
	}
	return v
}

// signerSummaryView is one signer of the directory: its key counts and
// whether it can still sign.
type signerSummaryView struct {
	Signer       string `json:"signer"`
	RegisteredAt string `json:"registered_at"`
	LogIndex     int64  `json:"log_index"`
	// Status is "active" while the signer has an active key, else
	// "inactive": every key revoked, so it can sign nothing more.
	Status      string `json:"status"`
	ActiveKeys  int    `json:"active_keys"`
	RevokedKeys int    `json:"revoked_keys"`
}

func newSignerSummaryView(s registry.Signer) signerSummaryView {
	v := signerSummaryView{Signer: s.ID, RegisteredAt: timeString(s.RegisteredTime), LogIndex: s.RegisteredAt, Status: "inactive",
		ActiveKeys: s.ActiveKeys()}
	v.RevokedKeys = len(s.Keys) - v.ActiveKeys
	if v.ActiveKeys > 0 {
		v.Status = "active"
	}
	return v
}

// keyEventView answers a registration, key change or revocation.
type keyEventView struct {
	Signer         string          `json:"signer"`
	KID            string          `json:"kid"`
	Status         registry.Status `json:"status"`
	LogIndex       int64           `json:"log_index"`
	RegisteredAt   string          `json:"registered_at,omitempty"`
	AddedAt        string          `json:"added_at,omitempty"`
	RevokedAt      string          `json:"revoked_at,omitempty"`
	Checkpoint     string          `json:"checkpoint"`
	InclusionProof proofView       `json:"inclusion_proof"`
}

func newKeyEventView(a *ledger.Appended, status registry.Status) keyEventView {
	av := newAppendedView(a)
	return keyEventView{Signer: a.Record.Signer, KID: a.Key, Status: status, LogIndex: a.Record.Index,
		Checkpoint: av.Checkpoint, InclusionProof: av.InclusionProof}
}

// verifyView answers a verification.
type verifyView struct {
	Index    int64           `json:"index"`
	Verified bool            `json:"verified"`
	Signer   verifySigner    `json:"signer"`
	Checks   map[string]bool `json:"checks"`
	Problems []string        `json:"problems"`
}

type verifySigner struct {
	Signer         string          `json:"signer"`
	KID            string          `json:"kid"`
	KeyStatus      registry.Status `json:"key_status"`
	RevokedAtIndex *int64          `json:"revoked_at_index,omitempty"`
	Compromised    bool            `json:"compromised"`
}

func newVerifyView(v *ledger.Verification) verifyView {
	return verifyView{
		Index: v.Index, Verified: v.Verified,
		Signer: verifySigner{Signer: v.Signer, KID: v.KID, KeyStatus: v.KeyStatus, RevokedAtIndex: v.RevokedAt, Compromised: v.Suspect},
		Checks: map[string]bool{"signature": v.Checks.Signature, "record_hash": v.Checks.RecordHash,
			"chain_link": v.Checks.ChainLink, "inclusion": v.Checks.Inclusion},
		Problems: append([]string{}, v.Problems...),
	}
}
