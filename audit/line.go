package audit

import (
	"encoding/json"
	"errors"

	"github.com/signet-ledger/signet/ledger"
	"golang.org/x/mod/sumdb/tlog"
)

// line is any line of an export: the members of a [ledger.WireRecord] and
// of a [ledger.WireExportEnd], so one strict decode reads either and
// refuses anything else. tree_size marks the end line.
type line struct {
	Index          *int64          `json:"index"`
	Kind           string          `json:"kind"`
	Signer         string          `json:"signer"`
	KID            string          `json:"kid"`
	IntegratedTime string          `json:"integrated_time"`
	Hash           string          `json:"hash"`
	PrevHash       string          `json:"prev_hash"`
	Payload        json.RawMessage `json:"payload"`
	JWS            *ledger.WireJWS `json:"jws"`

	TreeSize    *int64      `json:"tree_size"`
	Checkpoint  *string     `json:"checkpoint"`
	Consistency []tlog.Hash `json:"consistency"`
}

// record returns a record line as a WireRecord.
func (l *line) record() (*ledger.WireRecord, error) {
	switch {
	case l.Checkpoint != nil || l.Consistency != nil:
		return nil, errors.New("a record line has end-line members")
	case l.Index == nil:
		return nil, errors.New("the line has neither index nor tree_size")
	case l.JWS == nil:
		return nil, errors.New("the record has no jws")
	case l.Payload == nil:
		return nil, errors.New("the record has no payload")
	}
	return &ledger.WireRecord{Index: *l.Index, Kind: l.Kind, Signer: l.Signer, KID: l.KID,
		IntegratedTime: l.IntegratedTime, Hash: l.Hash, PrevHash: l.PrevHash, Payload: l.Payload, JWS: l.JWS}, nil
}

// end returns the end line as a WireExportEnd.
func (l *line) end() (*ledger.WireExportEnd, error) {
	if l.Index != nil || l.Kind != "" || l.Hash != "" || l.PrevHash != "" || l.JWS != nil || l.Payload != nil ||
		l.Signer != "" || l.KID != "" || l.IntegratedTime != "" {
		return nil, errors.New("the end line has record members")
	}
	if l.Checkpoint == nil || l.Consistency == nil {
		return nil, errors.New("the end line needs checkpoint and consistency")
	}
	return &ledger.WireExportEnd{TreeSize: *l.TreeSize, Checkpoint: *l.Checkpoint, Consistency: l.Consistency}, nil
}
