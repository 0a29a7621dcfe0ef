package keys

import "errors"

// Errors returned by this package. They are always wrapped with a detail
// that says which rule the input broke, so callers test them with
// [errors.Is] and may show the full message to the client. No message ever
// contains key material, payload content or other bytes copied from the input.
var (
	// ErrMalformed means the input is not a JWS or JWK in the one form this
	// package accepts: bad JSON, duplicate member names, non-canonical
	// base64url, a missing or extra part, a crit or b64 header, and so on.
	// It is the client's fault; an ACME-style server answers "malformed".
	ErrMalformed = errors.New("keys: malformed JOSE object")

	// ErrBadAlgorithm means the protected header's alg is missing or is not
	// "EdDSA" or "Ed25519". An ACME-style server answers
	// "badSignatureAlgorithm" and lists EdDSA as the algorithm it accepts.
	ErrBadAlgorithm = errors.New("keys: unsupported signature algorithm")

	// ErrBadSignature means the signature does not verify under the key.
	// The request must be refused without acting on its payload.
	ErrBadSignature = errors.New("keys: signature verification failed")

	// ErrBadKey means a JWK, or a key used for signing or verifying, is not
	// an acceptable Ed25519 key: wrong kty or crv, wrong length, private
	// members where a public key is expected, an x that does not match d,
	// or a point that is not on the curve or has small order. An
	// ACME-style server answers "badPublicKey".
	ErrBadKey = errors.New("keys: unacceptable key")
)
