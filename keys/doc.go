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
// Every JSON text this package reads (a JWK, a protected header, a
// flattened JWS) is read exactly once, by internal/strictjson: it must be
// one JSON object that is valid UTF-8, has no duplicate member names at any
// depth (compared after unescaping), no lone surrogate escapes, nesting at
// most 64 deep, no numbers beyond the range of a float64 and nothing after
// it. Member names match exactly, case included: "KID" is not kid, and
// "ALG" is just another member that does not override alg. Breaking any of
// these is [ErrMalformed].
//
// A public key is a JWK (RFC 7517, RFC 8037) of the form
//
//	{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}
//
// where x is the canonical unpadded base64url encoding (RFC 4648, Section
// 5, no "=", no line breaks, zero trailing bits) of exactly 32 bytes. The
// members kid, alg, use and x5u are ignored but must be strings if present
// ([ErrMalformed]); other unknown members are ignored. Refused as
// [ErrBadKey]: private members (d, and the secret members of other key
// types: p, q, dp, dq, qi, oth, k, priv), since a public key that carries a
// secret is a leak, not a key; the public members of other key types (y,
// n, e, pub); and certificate members (x5c, x5t, x5t#S256), since Signet
// names keys by thumbprint, never by certificate.
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
// The protected header is one strict JSON object, as above:
//
//   - alg is "EdDSA" (RFC 8037) or "Ed25519" (RFC 9864). Anything else,
//     including a missing alg, "none", and HMAC, RSA or ECDSA algorithms,
//     is [ErrBadAlgorithm].
//   - crit is refused: this package understands no extensions. So is b64
//     (RFC 7797), which would make the payload mean something other than
//     its base64url decoding, and x5c: Signet takes no certificate chains.
//   - jwk, if present, is the signer's public key, a JSON object that must
//     satisfy [ParseJWK]; it is decoded in the same pass as the header.
//     kid, if present, must be a string. A header may not have both.
//   - nonce and url must be strings if present; typ and cty are ignored if
//     they are strings. Other members are ignored.
//
// # go-jose as the oracle
//
// These rules are written so that every JWS this package accepts, go-jose
// v4 accepts too, given the allow-list {"EdDSA", "Ed25519"}, with the same
// header, payload and signature. This package does not import go-jose:
// its tests hold it against go-jose, over the test tables and by
// differential fuzzing (FuzzGoJOSEHeader, FuzzGoJOSEFlattened), and any
// JWS that go-jose refuses and this package accepts is a bug here. The
// rules above that exist because go-jose would refuse otherwise are the
// string-typed JWK members, the refused x5c, x5t, x5t#S256, y, n, e and pub
// members, and the float64 range of numbers. Signatures are always
// verified here, with crypto/ed25519.
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
