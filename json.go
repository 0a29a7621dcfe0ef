package signet

import (
	"bytes"
	"fmt"
	"io"
	"strconv"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// CheckEntryPayload applies R12: an entry's payload is one JSON object
// that every conforming parser reads the same way (strict JSON, see
// docs/PROTOCOL.md), nested at most [MaxPayloadDepth] deep. Its size is
// not a rule of the log but a server's admission limit.
func CheckEntryPayload(p []byte) error {
	d := jsontext.NewDecoder(bytes.NewReader(p))
	if d.PeekKind() != '{' {
		return fmt.Errorf("%w: the payload is not a JSON object", ErrMalformed)
	}
	for {
		tok, err := d.ReadToken()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%w: the payload is not strict JSON: %s", ErrMalformed, trunc(err.Error()))
		}
		switch tok.Kind() {
		case '{', '[':
			if d.StackDepth() > MaxPayloadDepth {
				return fmt.Errorf("%w: the payload nests deeper than %d at %s", ErrMalformed, MaxPayloadDepth, trunc(string(d.StackPointer())))
			}
		case '0':
			if _, err := strconv.ParseFloat(tok.String(), 64); err != nil {
				return fmt.Errorf("%w: a number is beyond the range of an IEEE 754 double at %s", ErrMalformed, trunc(string(d.StackPointer())))
			}
		}
		if d.StackDepth() == 0 {
			if _, err := d.ReadToken(); err != io.EOF {
				return fmt.Errorf("%w: data after the payload's JSON object", ErrMalformed)
			}
			return nil
		}
	}
}

// decodeKeyEvent decodes a key event's payload p into v under the strict
// JSON rules; members v does not name are refused unless allowUnknown.
func decodeKeyEvent(p []byte, v any, allowUnknown bool) error {
	if len(p) > MaxKeyEventPayload {
		return fmt.Errorf("%w: the payload has %d bytes, limit %d", ErrMalformed, len(p), MaxKeyEventPayload)
	}
	if err := CheckEntryPayload(p); err != nil {
		return err
	}
	if err := json.Unmarshal(p, v, json.RejectUnknownMembers(!allowUnknown)); err != nil {
		return fmt.Errorf("%w: the payload does not have the expected members: %s", ErrMalformed, trunc(err.Error()))
	}
	return nil
}
