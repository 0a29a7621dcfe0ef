package keys

import (
	"errors"
	"fmt"

	jose "github.com/go-jose/go-jose/v4"
)

// allowedAlgorithms is the algorithm allow-list given to go-jose. go-jose
// v4 has no constant for the RFC 9864 name "Ed25519", and only compares the
// header's alg against this list while parsing, so the name works here; its
// own Verify does not know it, which is why this package never calls it.
var allowedAlgorithms = []jose.SignatureAlgorithm{jose.EdDSA, "Ed25519"}

// gateFlattened runs go-jose's JSON parser over body, which this package
// has already accepted, as a second opinion.
func gateFlattened(body []byte) error {
	_, err := jose.ParseSignedJSON(string(body), allowedAlgorithms)
	return gateVerdict(err)
}

// gateCompact runs go-jose's compact parser over body, which this package
// has already accepted, as a second opinion.
func gateCompact(body []byte) error {
	_, err := jose.ParseSignedCompact(string(body), allowedAlgorithms)
	return gateVerdict(err)
}

// gateVerdict turns a go-jose parse error into one of ours. It runs after
// this package's own, stricter checks, so that those decide which error a
// bad input gets (go-jose reads a missing protected header as alg "", for
// one); a refusal here means the two parsers disagree. go-jose's messages
// may quote the input, so they are dropped.
func gateVerdict(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := errors.AsType[*jose.ErrUnexpectedSignatureAlgorithm](err); ok {
		return fmt.Errorf("%w: alg must be \"EdDSA\" or \"Ed25519\"", ErrBadAlgorithm)
	}
	return fmt.Errorf("%w: refused by the go-jose parser", ErrMalformed)
}
