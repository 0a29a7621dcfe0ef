package main

import (
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/signet-ledger/signet"
)

// watchedRecord is one record of the watched signer, one line of signet
// watch --json.
type watchedRecord struct {
	Index int64  `json:"index"`
	Kind  string `json:"kind"`
	// Event is what the record does: "entry", "registered", "key added"
	// (a key change: the new key authorised by a current one) or "key
	// revoked".
	Event  string `json:"event"`
	Signer string `json:"signer"`
	// KID is the key that signed the record; empty for the operator.
	KID            string `json:"kid"`
	Operator       bool   `json:"operator,omitempty"`
	IntegratedTime string `json:"integrated_time"`
	Hash           string `json:"hash"`
	// Key is the key a registration or key change adds, or a revocation
	// revokes.
	Key              string `json:"key,omitempty"`
	Reason           string `json:"reason,omitempty"`
	CompromisedSince *int64 `json:"compromised_since,omitempty"`
	// Payload is an entry's signed payload.
	Payload json.RawMessage `json:"payload,omitempty"`
	// Local, with --expect-local, is whether this machine's journal holds
	// the record; Flagged is its negation.
	Local   *bool `json:"local,omitempty"`
	Flagged bool  `json:"flagged"`
}

var eventNames = map[signet.Kind]string{signet.KindEntry: "entry", signet.KindRegistered: "registered",
	signet.KindKeyAdded: "key added", signet.KindKeyRevoked: "key revoked"}

// describe reads rec, which verified, as what it does.
func describe(rec *signet.Record) *watchedRecord {
	v := &watchedRecord{Index: rec.Index, Kind: string(rec.Kind), Event: eventNames[rec.Kind], Signer: rec.Signer, KID: rec.KID,
		Operator: rec.Signature == "", IntegratedTime: rec.IntegratedTime.Format(time.RFC3339Nano), Hash: rec.Hash.String()}
	ev, err := signet.DecodeRecord(rec)
	if err != nil {
		return v
	}
	switch {
	case ev.NewKey != nil:
		v.Key = ev.NewKey.Thumbprint()
	case ev.Revoke != nil:
		v.Key, v.Reason, v.CompromisedSince = ev.Revoke.KID, ev.Revoke.Reason, ev.Revoke.CompromisedSince
	case rec.Kind == signet.KindEntry:
		if p, err := rec.PayloadJSON(); err == nil && json.Valid(p) {
			v.Payload = p
		}
	}
	return v
}

// print shows v as one line: index, event, signer, time, then what it
// did and the record's hash.
func (v *watchedRecord) print(w io.Writer) {
	mark := "  "
	if v.Flagged {
		mark = "!!"
	}
	by := "by key " + safe(v.KID)
	if v.Operator {
		by = "by the operator"
	}
	what := ""
	switch v.Kind {
	case string(signet.KindRegistered), string(signet.KindKeyAdded):
		what = " key " + safe(v.Key)
	case string(signet.KindKeyRevoked):
		what = " key " + safe(v.Key)
		if v.Reason != "" {
			what += fmt.Sprintf(" (%s)", safe(v.Reason))
		}
		if v.CompromisedSince != nil {
			what += fmt.Sprintf(", compromised since %d", *v.CompromisedSince)
		}
	}
	fmt.Fprintf(w, "%s %-8d %-11s %s %s%s %s, hash %s\n", mark, v.Index, v.Event, safe(v.Signer), v.IntegratedTime, what, by, v.Hash)
}
