// Package vectors generates Signet's conformance vectors: exports that
// any auditor, ours or a third party's, must accept or refuse, each
// refused one for exactly one numbered rule (R1 to R26, see package
// signet).
//
// # Determinism
//
// Nothing is random: the signers' Ed25519 keys and the log's signed-note
// key come from fixed seeds, nonces and integrated times are fixed, and
// Ed25519 signatures are deterministic. [Generate] therefore returns the
// same bytes on every run, and the committed files in testdata/vectors
// are checked against it.
//
// # Scenarios
//
// Each vector is a [Scenario]: a list of [Step]s, each one request as a
// client would send it, and at most one mutation. A request-level vector
// (R8 to R22) is valid steps followed by one offending request, exported
// as if the log had accepted it; the same steps can be replayed against a
// real server, which must refuse the last one. A record- or export-level
// vector (R1 to R7, R23 to R26) is a valid log whose export is then
// changed by its Records or Finish hook, keeping every other rule (hashes,
// chain, Merkle tree, checkpoint signature) intact.
package vectors
