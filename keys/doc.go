// Package keys implements the Ed25519 keys, JSON Web Keys (JWK) and JSON Web
// Signatures (JWS) of Signet, accepting exactly one form of each so that
// every accepted object has a single meaning and a single spelling.
//
// Only Ed25519 (RFC 8032) is supported. One algorithm means no algorithm
// confusion: whatever a header says, a signature is only ever checked with
// crypto/ed25519 under a 32-byte [PublicKey].
//
// # Public keys
//
// A public key is a JWK (RFC 7517, RFC 8037) that is one JSON object, with
// no duplicate member names at any depth, of the form
//
//	{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}
//
// where x is the canonical unpadded base64url encoding (RFC 4648, Section
// 5, no "=", no line breaks, zero trailing bits) of exactly 32 bytes. Other
// members such as kid, alg and use are ignored. Private members (d, and the
// secret members of other key types: p, q, dp, dq, qi, oth, k, priv) are
// refused: a public key that carries a secret is a leak, not a key.
//
// The 32 bytes must be the canonical encoding of a point on the curve that
// does not have small order. Under a small-order key anyone can forge
// signatures; go-jose refuses such keys too. Keys from [GenerateKey] always
// qualify.
//
// A key's id is its RFC 7638 thumbprint, [PublicKey.Thumbprint].
//
// A private key is the same object with d, the base64url 32-byte seed, and
// an x that must match it ([ParsePrivateJWK], [PrivateKey.MarshalJWK]).
//
// # Signatures
//
// A JWS (RFC 7515) is accepted in two serializations: compact,
// "protected.payload.signature" ([ParseCompact]), and flattened JSON,
// {"protected":"...","payload":"...","signature":"..."} ([ParseFlattened]).
// The flattened form has exactly those three members. The general
// serialization, with a "signatures" array, is refused because a Signet
// request has one signer; an unprotected "header" and any other member are
// refused because the signature does not cover them.
//
// In both forms each part is canonical unpadded base64url, the payload is
// not empty (no detached or empty payloads), and the signature is exactly
// 64 bytes. The parts are kept as received; the signature is verified over
// exactly those bytes.
//
// The protected header is one JSON object without duplicate member names:
//
//   - alg is "EdDSA" (RFC 8037) or "Ed25519" (RFC 9864). Anything else,
//     including a missing alg, "none", and HMAC, RSA or ECDSA algorithms,
//     is [ErrBadAlgorithm].
//   - crit is refused: this package understands no extensions. So is b64
//     (RFC 7797), which would make the payload mean something other than
//     its base64url decoding.
//   - jwk, if present, is the signer's public key and must satisfy
//     [ParseJWK]. kid, if present, must be a string. A header may not have
//     both.
//   - nonce and url must be strings if present; typ and cty are ignored if
//     they are strings. Other members are ignored.
//
// When an object passes these checks, parsing also runs go-jose's parser
// over it, with the allow-list {"EdDSA", "Ed25519"}, as a second opinion:
// the object is accepted only if both parsers accept it, and a refusal by
// go-jose alone is [ErrMalformed]. (It refuses, for instance, an embedded
// jwk whose kid is not a string, an x5c that is not a certificate chain,
// and numbers beyond float64.) This package's checks run first so that they
// decide which error a bad input gets. go-jose v4 has no constant or
// verifier for "Ed25519" but compares alg with the allow-list as a plain
// string, so the gate works for both names; signatures are always verified
// here, with crypto/ed25519, never by go-jose.
//
// [PrivateKey.Sign] writes the protected header with its members in the
// order alg, kid, jwk, nonce, url, omitting empty ones and adding no
// spaces, so a header with only alg "EdDSA" is exactly {"alg":"EdDSA"}.
//
// Anything that parses re-serializes, with [JWS.Flattened] or
// [JWS.Compact], to a form that parses to the same parts.
//
// # Errors
//
// Every error wraps one of [ErrMalformed], [ErrBadAlgorithm],
// [ErrBadSignature] or [ErrBadKey] with a detail that never contains key
// material or payload bytes.
package keys
