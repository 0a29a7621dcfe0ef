package ledger

import "github.com/signet-ledger/signet"

// The log's formats and rules live in package signet, which verifiers
// import without the engine; these names let the engine and its callers
// keep reading as before.
type (
	Hash          = signet.Hash
	Kind          = signet.Kind
	Record        = signet.Record
	Checkpoint    = signet.Checkpoint
	WireRecord    = signet.WireRecord
	WireJWS       = signet.WireJWS
	WireExportEnd = signet.WireExportEnd
	RevokeRequest = signet.RevokeRequest
	// OperatorRevocation is the payload the log writes for an operator's revocation.
	OperatorRevocation = signet.OperatorRevocation
)

const (
	KindEntry      = signet.KindEntry
	KindRegistered = signet.KindRegistered
	KindKeyAdded   = signet.KindKeyAdded
	KindKeyRevoked = signet.KindKeyRevoked
)

var (
	RecordHash                = signet.RecordHash
	LeafHash                  = signet.LeafHash
	ParseHash                 = signet.ParseHash
	ParseKind                 = signet.ParseKind
	ParseTime                 = signet.ParseTime
	Time                      = signet.Time
	SamePayload               = signet.SamePayload
	SignCheckpoint            = signet.SignCheckpoint
	OpenCheckpoint            = signet.OpenCheckpoint
	OpenCheckpointKey         = signet.OpenCheckpointKey
	CheckpointOrigin          = signet.CheckpointOrigin
	ParseCheckpointUnverified = signet.ParseCheckpointUnverified
	VerifierKey               = signet.VerifierKey
	RevokePath                = signet.RevokePath
	ErrBadCheckpoint          = signet.ErrBadCheckpoint
)
