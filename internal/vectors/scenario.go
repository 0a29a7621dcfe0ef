package vectors

import (
	"encoding/json"
	"fmt"

	"github.com/signet-ledger/signet"
	"github.com/signet-ledger/signet/keys"
)

// Scenario is one vector: steps, at most one mutation, and the verdict.
type Scenario struct {
	Name        string
	Description string
	// Rule is the one rule the vector breaks; empty for a valid vector.
	Rule signet.Rule
	// Index is the failing record's index, or -1 when the failure is not
	// one record's. A request-level vector without hooks fails at its
	// last step, whatever Index says.
	Index int64
	Steps []Step
	// Records changes the sequenced records; Finish changes the lines.
	Records func(*Export)
	Finish  func(*Export)
}

// RequestLevel reports whether the vector is valid steps and one
// offending request, with no mutation of the export: the request a
// server must refuse is its last step.
func (s *Scenario) RequestLevel() bool {
	var n int
	fmt.Sscanf(string(s.Rule), "R%d", &n)
	return n >= 8 && n <= 22
}

// FailIndex returns the index the first failure must name.
func (s *Scenario) FailIndex() int64 {
	switch {
	case s.Rule == "":
		return -1
	case s.Records == nil && s.Finish == nil:
		return int64(len(s.Steps) - 1)
	}
	return s.Index
}

// Build writes the scenario's export.
func (s *Scenario) Build() (*Export, error) {
	x, err := sequence(s.Steps)
	if err != nil {
		return nil, fmt.Errorf("vectors: %s: %w", s.Name, err)
	}
	if s.Records != nil {
		s.Records(x)
	}
	if err := x.writeLines(); err != nil {
		return nil, fmt.Errorf("vectors: %s: %w", s.Name, err)
	}
	if s.Finish != nil {
		s.Finish(x)
	}
	return x, nil
}

// text returns a constant payload.
func text(p string) func(string) []byte { return func(string) []byte { return []byte(p) } }

func register(signer string, k *Key) Step {
	return Step{Kind: signet.KindRegistered, Signer: signer, Key: k, Payload: text(fmt.Sprintf(`{"signer":%q}`, signer))}
}

func entry(signer string, k *Key, payload string) Step {
	return Step{Kind: signet.KindEntry, Signer: signer, Key: k, Payload: text(payload)}
}

// inner describes a key change's inner JWS; the zero value is valid.
type inner struct {
	by     *Key    // signs it instead of the new key
	oldKID *string // old_kid instead of the outer key's
	nonce  string  // a nonce, which it must not have
}

// addKey is signer's key change from old to next.
func addKey(signer string, old, next *Key, in inner) Step {
	return Step{Kind: signet.KindKeyAdded, Signer: signer, Key: old, Payload: func(base string) []byte {
		oldKID := old.KID()
		if in.oldKID != nil {
			oldKID = *in.oldKID
		}
		by := next
		if in.by != nil {
			by = in.by
		}
		pub := next.Public()
		h := keys.Header{JWK: &pub, Nonce: in.nonce, URL: base + signet.KeysPath(signer)}
		p, _ := json.Marshal(map[string]string{"old_kid": oldKID, "signer": signer})
		j, err := by.Priv.Sign(h, p)
		if err != nil {
			panic(err) // the header and payload are valid
		}
		return j.Flattened()
	}}
}

func revoke(signer string, by *Key, kid, payload string) Step {
	return Step{Kind: signet.KindKeyRevoked, Signer: signer, Key: by, KID: kid, Payload: text(payload)}
}

func operatorRevoke(signer, kid, body string) Step {
	return Step{Kind: signet.KindKeyRevoked, Signer: signer, KID: kid, Operator: true, Payload: text(body)}
}

// prelude is the start of every scenario: alice and bob registered, and
// one entry of alice's (records 0 to 2).
func prelude(more ...Step) []Step {
	return append([]Step{
		register("alice", A1),
		register("bob", B1),
		entry("alice", A1, `{"journal_id":"JE-0001","amount":"10.00","memo":"opening balance"}`),
	}, more...)
}

// control is the valid log the record- and export-level vectors change:
// every kind of record, a key change, a signed and an operator's
// revocation (records 0 to 8).
func control() []Step {
	return prelude(
		addKey("alice", A1, A2, inner{}),
		entry("alice", A2, `{"journal_id":"JE-0002","amount":"20.00","memo":"second key"}`),
		revoke("alice", A2, A1.KID(), `{"reason":"rotated"}`),
		addKey("bob", B1, B2, inner{}),
		operatorRevoke("bob", B1.KID(), `{"reason":"lost laptop","compromised_since":6}`),
		entry("bob", B2, `{"journal_id":"JE-0003","amount":"30.00"}`),
	)
}

func ptr[T any](v T) *T { return &v }
