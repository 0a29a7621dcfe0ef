package registry

import "errors"

// Errors returned by the registry's rules. Each names what went wrong; the
// wrapped detail says with what.
var (
	ErrInvalidSignerID = errors.New("registry: invalid signer id")
	ErrSignerExists    = errors.New("registry: signer already exists")
	ErrKeyExists       = errors.New("registry: key already registered")
	ErrUnknownSigner   = errors.New("registry: unknown signer")
	ErrUnknownKey      = errors.New("registry: unknown key")
	ErrRevokedKey      = errors.New("registry: key is revoked")
	// ErrWrongSigner means a key tried to act for a signer it does not
	// belong to.
	ErrWrongSigner = errors.New("registry: key belongs to another signer")
	// ErrLastKey means the change would leave a signer with no active key,
	// which only the operator may do.
	ErrLastKey = errors.New("registry: cannot revoke the signer's last active key")
)

// ErrInvalidRevocation means a revocation's fields are out of range.
var ErrInvalidRevocation = errors.New("registry: invalid revocation")

// ErrAlreadyRevoked means a revocation named a key that is already revoked.
var ErrAlreadyRevoked = errors.New("registry: key already revoked")
