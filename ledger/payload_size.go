package ledger

import "fmt"

// checkSize applies the server's limit on entry payloads, MaxBytes: an
// admission policy, not a rule of the log (R12 says what an entry's
// payload must be; key events have their own fixed limit,
// [signet.MaxKeyEventPayload]).
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
