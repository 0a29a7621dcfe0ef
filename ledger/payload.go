package ledger

import (
	"errors"
	"fmt"
)

// ErrPayloadTooLarge is wrapped by the error an append returns for an
// entry payload longer than [PayloadRules.MaxBytes].
var ErrPayloadTooLarge = errors.New("ledger: payload too large")

// PayloadRules is the server's admission limit on entry payloads. It is a
// policy, not a rule of the log: what an entry's payload must be is R12
// ([signet.CheckEntryPayload], strict JSON nested at most
// [signet.MaxPayloadDepth] deep), the same on every server and in every
// audit, and key events have their own fixed limit,
// [signet.MaxKeyEventPayload].
type PayloadRules struct {
	MaxBytes int // Optional. Default 64 KiB. Zero or negative selects the default.
}

// DefaultPayloadRules is the limit entry payloads are held to unless
// configured otherwise.
var DefaultPayloadRules = PayloadRules{MaxBytes: 64 << 10}

// checkSize applies the limit to an entry payload p.
func (r PayloadRules) checkSize(p []byte) error {
	max := r.MaxBytes
	if max <= 0 {
		max = DefaultPayloadRules.MaxBytes
	}
	if len(p) > max {
		return fmt.Errorf("%w: %d bytes, limit %d", ErrPayloadTooLarge, len(p), max)
	}
	return nil
}
