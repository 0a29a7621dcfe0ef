package vectors

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"github.com/signet-ledger/signet"
)

// Scenarios returns every vector, the valid ones first, then by rule.
func Scenarios() []Scenario {
	var all []Scenario
	for _, group := range [][]Scenario{valid(), recordLevel(), requestLevel(), exportLevel()} {
		all = append(all, group...)
	}
	return all
}

func valid() []Scenario {
	carol := NewKey("carol-1")
	return []Scenario{
		{Name: "valid-control", Steps: control(),
			Description: "every kind of record: registrations, entries, key changes, a signed and an operator's revocation"},
		{Name: "valid-case-variant-registration", Steps: prelude(
			Step{Kind: signet.KindRegistered, Signer: "carol", Key: carol, Payload: text(`{"signer":"carol","SIGNER":"mallory"}`)},
			entry("carol", carol, `{"journal_id":"JE-0002","amount":"1.00"}`)),
			Description: `a registration whose payload has "signer":"carol" and a case variant "SIGNER":"mallory": member names are case-sensitive, so SIGNER is another (allowed) descriptive member and the signer is carol; an auditor that matches names case-insensitively misreads it`},
	}
}

// lineEdit returns a Finish hook that replaces old with new in line i.
func lineEdit(i int, old, new string) func(*Export) {
	return func(x *Export) {
		if !bytes.Contains(x.Lines[i], []byte(old)) {
			panic(fmt.Sprintf("vectors: line %d has no %q", i, old))
		}
		x.Lines[i] = bytes.Replace(x.Lines[i], []byte(old), []byte(new), 1)
	}
}

// recordLevel are the vectors of R1 to R7: the control log with record 4
// (alice's entry signed by her second key) changed.
func recordLevel() []Scenario {
	return []Scenario{
		{Name: "r1-unknown-member", Rule: signet.RuleFormat, Index: 4, Steps: control(),
			Finish:      lineEdit(4, `{"index":4,`, `{"index":4,"note":"not a member of the format",`),
			Description: "record line 4 has a member the export format does not have"},
		{Name: "r1-case-variant-member", Rule: signet.RuleFormat, Index: 4, Steps: control(),
			Finish:      lineEdit(4, `"signer":"alice",`, `"signer":"alice","SIGNER":"mallory",`),
			Description: `record line 4 has "signer":"alice" and "SIGNER":"mallory": SIGNER is not a member of the format (member names are case-sensitive), and a parser that folds case reads the signer as mallory`},
		{Name: "r1-duplicate-member", Rule: signet.RuleFormat, Index: 4, Steps: control(),
			Finish:      lineEdit(4, `{"index":4,`, `{"index":4,"index":4,`),
			Description: "record line 4 has the member index twice, with the same value"},
		{Name: "r1-not-json", Rule: signet.RuleFormat, Index: 4, Steps: control(),
			Finish:      func(x *Export) { x.Lines[4] = x.Lines[4][:len(x.Lines[4])/2] },
			Description: "record line 4 is cut in the middle: not a JSON object"},
		{Name: "r2-unknown-kind", Rule: signet.RuleKind, Index: 4, Steps: control(),
			Records:     func(x *Export) { x.Records[4].Kind = "entry.v2"; x.Reseal(4) },
			Description: `record 4 has kind "entry.v2", which is none of the four kinds (hash and chain are computed over it)`},
		{Name: "r3-non-canonical-time", Rule: signet.RuleTime, Index: 4, Steps: control(),
			Records: func(x *Export) {
				x.Times[4] = x.Records[4].IntegratedTime.Format("2006-01-02T15:04:05.000000000Z07:00")
			},
			Description: "record 4's integrated_time has nine fraction digits with trailing zeros: the same instant, not its one canonical spelling"},
		{Name: "r4-index-gap", Rule: signet.RuleIndex, Index: 4, Steps: control(),
			Records: func(x *Export) {
				for _, r := range x.Records[4:] {
					r.Index++
				}
				x.Reseal(4)
			},
			Description: "the records after 3 are numbered from 5: index 4 is missing (hashes and chain are computed over the shifted indexes)"},
		{Name: "r5-wrong-prev-hash", Rule: signet.RuleChain, Index: 4, Steps: control(),
			Records: func(x *Export) {
				r := x.Records[4]
				r.PrevHash = x.Records[2].Hash
				r.Hash = signet.RecordHash(r)
				x.Reseal(5)
			},
			Description: "record 4's prev_hash is record 2's hash, not record 3's; its own hash is computed over that prev_hash"},
		{Name: "r6-wrong-hash", Rule: signet.RuleHash, Index: 4, Steps: control(),
			Records: func(x *Export) {
				x.Records[4].Hash[31] ^= 1
				x.Reseal(5)
			},
			Description: "record 4's stated hash differs in one bit from the hash of its fields; record 5 links to the stated hash and the tree is of the stated hashes"},
		{Name: "r7-shown-payload", Rule: signet.RuleShownPayload, Index: 4, Steps: control(),
			Records: func(x *Export) {
				x.Shown[4] = json.RawMessage(`{"journal_id":"JE-0002","amount":"20000.00","memo":"second key"}`)
			},
			Description: "record 4 shows a payload with another amount than the one its JWS signs"},
	}
}

// exportLevel are the vectors of R23 to R26: the control log's end
// changed.
func exportLevel() []Scenario {
	log, _ := noteKey("log")
	impostor, _ := noteKey("impostor")
	const n = 9 // records in the control log
	return []Scenario{
		{Name: "r23-truncated", Rule: signet.RuleEnd, Index: -1, Steps: control(),
			Finish:      func(x *Export) { x.NoEnd = true },
			Description: "the export stops after its last record, without the end line"},
		{Name: "r23-line-after-end", Rule: signet.RuleEnd, Index: -1, Steps: control(),
			Finish:      func(x *Export) { x.After = [][]byte{x.Lines[n-1]} },
			Description: "the last record line is repeated after the end line"},
		{Name: "r24-wrong-checkpoint-key", Rule: signet.RuleCheckpoint, Index: -1, Steps: control(),
			Finish:      func(x *Export) { x.End.Checkpoint = Checkpoint(impostor, n, x.Root(n)) },
			Description: "the checkpoint is of the right tree but signed by another key with the log's name"},
		{Name: "r25-root-mismatch", Rule: signet.RuleTree, Index: -1, Steps: control(),
			Finish:      func(x *Export) { x.End.Checkpoint = Checkpoint(log, n, x.Root(n-1)) },
			Description: "the checkpoint, signed by the log key, is of 9 records but its root is the root of the first 8"},
		{Name: "r25-tree-size-mismatch", Rule: signet.RuleTree, Index: -1, Steps: control(),
			Finish:      func(x *Export) { x.End.TreeSize = n + 1 },
			Description: "the end line says tree_size 10, but the export holds 9 records"},
		{Name: "r25-checkpoint-too-small", Rule: signet.RuleTree, Index: -1, Steps: control(),
			Finish:      func(x *Export) { x.End.Checkpoint = Checkpoint(log, n-1, x.Root(n-1)) },
			Description: "the checkpoint, validly signed, is of the first 8 records: fewer than the 9 exported"},
		{Name: "r26-fork", Rule: signet.RuleExternalCpoint, Index: -1, Steps: control(),
			Finish: func(x *Export) {
				fork := *x.Records[2]
				fork.IntegratedTime = fork.IntegratedTime.Add(time.Second)
				leaves := [][32]byte{x.Records[0].Hash, x.Records[1].Hash, signet.RecordHash(&fork)}
				other := &Export{}
				for _, h := range leaves {
					other.Records = append(other.Records, &signet.Record{Hash: h})
				}
				x.External = []byte(Checkpoint(log, 3, other.Root(3)))
			},
			Description: "the export is valid, but the checkpoint held apart (r26-fork.checkpoint, signed by the log key) is of 3 records with another root: a fork"},
	}
}
