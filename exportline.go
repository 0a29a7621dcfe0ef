package signet

import (
	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"golang.org/x/mod/sumdb/tlog"
)

// exportLine is any line of an export: the members of a [WireRecord] and
// of a [WireExportEnd], so that one strict decode reads either and refuses
// anything else. tree_size marks the end line.
type exportLine struct {
	Index          *int64         `json:"index"`
	Kind           *string        `json:"kind"`
	Signer         *string        `json:"signer"`
	KID            *string        `json:"kid"`
	IntegratedTime *string        `json:"integrated_time"`
	Hash           *string        `json:"hash"`
	PrevHash       *string        `json:"prev_hash"`
	Payload        jsontext.Value `json:"payload"`
	JWS            *WireJWS       `json:"jws"`

	TreeSize    *int64      `json:"tree_size"`
	Checkpoint  *string     `json:"checkpoint"`
	Consistency []tlog.Hash `json:"consistency"`
}

// ParseExportLine decodes one line of an export (without its "\n"): a
// record line, returned as a [WireRecord], or the end line, returned as a
// [WireExportEnd]. The line must be one JSON object of exactly the
// members of one of the two, spelled in their exact case, each at most
// once, in valid UTF-8, with nothing after it; record lines need every
// member, including jws, and the end line all three of its own. Anything
// else breaks R1 and is returned as a [*RuleError] wrapping
// [ErrMalformed]. ParseExportLine does not check the members' values: see
// [WireRecord.Record].
//
// The results do not alias b.
func ParseExportLine(b []byte) (*WireRecord, *WireExportEnd, error) {
	var l exportLine
	if err := json.Unmarshal(b, &l, json.RejectUnknownMembers(true)); err != nil {
		return nil, nil, broke(RuleFormat, ErrMalformed, "the line is not one JSON object of the export format: %s", trunc(err.Error()))
	}
	if l.TreeSize != nil {
		end, err := l.end()
		return nil, end, err
	}
	w, err := l.record()
	return w, nil, err
}

// record returns a record line as a WireRecord.
func (l *exportLine) record() (*WireRecord, error) {
	switch {
	case l.Checkpoint != nil || l.Consistency != nil:
		return nil, broke(RuleFormat, ErrMalformed, "a record line has end-line members")
	case l.Index == nil:
		return nil, broke(RuleFormat, ErrMalformed, "the line has neither index nor tree_size")
	case l.Kind == nil || l.Signer == nil || l.KID == nil || l.IntegratedTime == nil || l.Hash == nil || l.PrevHash == nil:
		return nil, broke(RuleFormat, ErrMalformed, "record %d lacks one of kind, signer, kid, integrated_time, hash and prev_hash", *l.Index)
	case l.JWS == nil:
		return nil, broke(RuleFormat, ErrMalformed, "record %d has no jws", *l.Index)
	case l.Payload == nil:
		return nil, broke(RuleFormat, ErrMalformed, "record %d has no payload", *l.Index)
	}
	return &WireRecord{Index: *l.Index, Kind: *l.Kind, Signer: *l.Signer, KID: *l.KID,
		IntegratedTime: *l.IntegratedTime, Hash: *l.Hash, PrevHash: *l.PrevHash,
		Payload: []byte(l.Payload.Clone()), JWS: l.JWS}, nil
}

// end returns the end line as a WireExportEnd.
func (l *exportLine) end() (*WireExportEnd, error) {
	if l.Index != nil || l.Kind != nil || l.Signer != nil || l.KID != nil || l.IntegratedTime != nil ||
		l.Hash != nil || l.PrevHash != nil || l.Payload != nil || l.JWS != nil {
		return nil, broke(RuleFormat, ErrMalformed, "the end line has record members")
	}
	if l.Checkpoint == nil || l.Consistency == nil {
		return nil, broke(RuleFormat, ErrMalformed, "the end line needs checkpoint and consistency")
	}
	return &WireExportEnd{TreeSize: *l.TreeSize, Checkpoint: *l.Checkpoint, Consistency: l.Consistency}, nil
}
