package signet

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	fnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"
)

// A Policy is a transparency log trust policy in the c2sp.org/tlog-policy
// line format: the logs a checkpoint may come from, the witnesses that may
// cosign it, and the quorum of cosignatures a checkpoint needs to be
// trusted.
//
//	log <vkey> [<url>]
//	witness <name> <vkey> [<url>]
//	group <name> all|any|<k> <name>...
//	quorum <name>|none
//
// Items are separated by spaces or tabs; blank lines and lines starting
// with "#" are ignored. Groups and the quorum may only name witnesses and
// groups defined on earlier lines, each member at most once, with
// 1 <= k <= n. Exactly one quorum line. Log keys are checkpoint keys
// (Ed25519 signed-note keys, the key name being the log's origin); witness
// keys are c2sp.org/tlog-cosignature keys, read with transparency-dev's
// verifier for cosignature/v1 (an Ed25519 key of type 0x01 is taken as
// its cosignature/v1 form, type 0x04). Two logs or two witnesses with the
// same public key are an error.
//
// signetd reads the policy's witnesses (their URLs are then required) to
// know whom to ask for cosignatures; clients read it to decide whether a
// checkpoint is witnessed enough ([Policy.Check]).
type Policy struct {
	Logs      []PolicyLog
	Witnesses []PolicyWitness
	// Quorum is the name on the quorum line: "none" when no cosignature
	// is needed.
	Quorum string

	groups map[string]policyGroup
	index  map[string]int // witness name -> index in Witnesses
}

// PolicyLog is a policy's log line.
type PolicyLog struct {
	VKey     string
	Origin   string // the key's name
	URL      string // "" when the line has none
	Verifier note.Verifier
}

// PolicyWitness is a policy's witness line.
type PolicyWitness struct {
	Name     string
	VKey     string
	URL      string // the witness's submission prefix; "" when the line has none
	Verifier note.Verifier
}

type policyGroup struct {
	k       int
	members []string
}

// Policy limits: more than c2sp.org/tlog-policy's recommended minimum of
// 32 logs, 32 witnesses and 32 groups.
const (
	maxPolicyLogs      = 64
	maxPolicyWitnesses = 64
	maxPolicyGroups    = 64
	maxPolicyBytes     = 64 << 10
)

// ParsePolicy parses a policy file. Its errors name the line.
func ParsePolicy(b []byte) (*Policy, error) {
	if len(b) > maxPolicyBytes {
		return nil, fmt.Errorf("signet: policy: larger than %d bytes", maxPolicyBytes)
	}
	p := &Policy{groups: map[string]policyGroup{}, index: map[string]int{}}
	defined := func(name string) bool {
		_, w := p.index[name]
		_, g := p.groups[name]
		return w || g
	}
	for n, line := range bytes.Split(b, []byte("\n")) {
		lineErr := func(format string, args ...any) error {
			return fmt.Errorf("signet: policy line %d: %s", n+1, fmt.Sprintf(format, args...))
		}
		for _, c := range line {
			if c < 0x20 && c != '\t' || c == 0x7f {
				return nil, lineErr("control character %#02x", c)
			}
		}
		f := strings.FieldsFunc(string(line), func(r rune) bool { return r == ' ' || r == '\t' })
		if len(f) == 0 || strings.HasPrefix(f[0], "#") {
			continue
		}
		switch f[0] {
		case "log":
			if len(f) < 2 || len(f) > 3 {
				return nil, lineErr("want: log <vkey> [<url>]")
			}
			v, err := fnote.NewVerifier(f[1])
			if err != nil {
				return nil, lineErr("log key: %v", err)
			}
			if len(p.Logs) == maxPolicyLogs {
				return nil, lineErr("more than %d logs", maxPolicyLogs)
			}
			l := PolicyLog{VKey: f[1], Origin: v.Name(), Verifier: v}
			if len(f) == 3 {
				l.URL = f[2]
			}
			for _, o := range p.Logs {
				if sameKey(o.VKey, l.VKey) {
					return nil, lineErr("the same log key as an earlier log line")
				}
			}
			p.Logs = append(p.Logs, l)
		case "witness":
			if len(f) < 3 || len(f) > 4 {
				return nil, lineErr("want: witness <name> <vkey> [<url>]")
			}
			if err := policyName(f[1]); err != nil {
				return nil, lineErr("%v", err)
			}
			if defined(f[1]) {
				return nil, lineErr("%q is already defined", f[1])
			}
			v, err := fnote.NewVerifierForCosignatureV1(f[2])
			if err != nil {
				return nil, lineErr("witness key: %v", err)
			}
			if len(p.Witnesses) == maxPolicyWitnesses {
				return nil, lineErr("more than %d witnesses", maxPolicyWitnesses)
			}
			w := PolicyWitness{Name: f[1], VKey: f[2], Verifier: v}
			if len(f) == 4 {
				w.URL = f[3]
			}
			for _, o := range p.Witnesses {
				if sameKey(o.VKey, w.VKey) {
					return nil, lineErr("witness %s has the same key as witness %s", w.Name, o.Name)
				}
			}
			p.index[w.Name] = len(p.Witnesses)
			p.Witnesses = append(p.Witnesses, w)
		case "group":
			if len(f) < 4 {
				return nil, lineErr("want: group <name> all|any|<k> <name>...")
			}
			if err := policyName(f[1]); err != nil {
				return nil, lineErr("%v", err)
			}
			if defined(f[1]) {
				return nil, lineErr("%q is already defined", f[1])
			}
			if len(p.groups) == maxPolicyGroups {
				return nil, lineErr("more than %d groups", maxPolicyGroups)
			}
			members := f[3:]
			for i, m := range members {
				if !defined(m) {
					return nil, lineErr("group %s: %q is not defined on an earlier line", f[1], m)
				}
				if slices.Contains(members[:i], m) {
					return nil, lineErr("group %s lists %q twice", f[1], m)
				}
			}
			k := 0
			switch f[2] {
			case "all":
				k = len(members)
			case "any":
				k = 1
			default:
				v, err := strconv.Atoi(f[2])
				if err != nil || f[2] != strconv.Itoa(v) || v < 1 || v > len(members) {
					return nil, lineErr("group %s: threshold %q is not all, any or a number from 1 to %d", f[1], f[2], len(members))
				}
				k = v
			}
			p.groups[f[1]] = policyGroup{k: k, members: members}
		case "quorum":
			if len(f) != 2 {
				return nil, lineErr("want: quorum <name>")
			}
			if p.Quorum != "" {
				return nil, lineErr("a second quorum line")
			}
			if f[1] != "none" && !defined(f[1]) {
				return nil, lineErr("quorum %q is not defined on an earlier line", f[1])
			}
			p.Quorum = f[1]
		default:
			return nil, lineErr("unknown keyword %q", f[0])
		}
	}
	if p.Quorum == "" {
		return nil, errors.New("signet: policy: no quorum line (use \"quorum none\" to need no cosignatures)")
	}
	return p, nil
}

// policyName checks a witness or group name: not a keyword, no "#".
func policyName(s string) error {
	switch s {
	case "log", "witness", "group", "quorum", "none", "all", "any":
		return fmt.Errorf("%q is a keyword, not a name", s)
	}
	return nil
}

// sameKey reports whether two vkeys wrap the same public key, whatever
// their names and key ids (an Ed25519 key and its cosignature/v1 form are
// the same key).
func sameKey(a, b string) bool {
	ka, kb := vkeyBytes(a), vkeyBytes(b)
	return ka != nil && kb != nil && bytes.Equal(ka, kb)
}

func vkeyBytes(vkey string) []byte {
	f := strings.SplitN(vkey, "+", 3)
	if len(f) != 3 {
		return nil
	}
	k, err := base64.StdEncoding.DecodeString(f[2])
	if err != nil || len(k) < 2 {
		return nil
	}
	if k[0] == 0x01 || k[0] == 0x04 { // Ed25519, Ed25519 cosignature/v1
		return k[1:]
	}
	return k
}

// LogFor returns the policy's log whose origin is origin.
func (p *Policy) LogFor(origin string) (PolicyLog, bool) {
	for _, l := range p.Logs {
		if l.Origin == origin {
			return l, true
		}
	}
	return PolicyLog{}, false
}

// ErrPolicyLogKey means a policy that lists logs does not name the log
// key a client pinned or was given, or lists no log of the checkpoint's
// origin: one of the two is wrong, and neither may be trusted over the
// other.
var ErrPolicyLogKey = errors.New("signet: the policy does not name this log key")

// LogKey returns the verifier key to check origin's checkpoints with: the
// key of the policy's log line for origin, which must then be logKey (the
// key the caller pinned or was given) if logKey is not empty, or else, if
// the policy lists no log, logKey itself. A policy that lists logs but
// none for origin, or whose log line for origin is not logKey, is
// [ErrPolicyLogKey].
func (p *Policy) LogKey(origin, logKey string) (string, error) {
	if len(p.Logs) == 0 {
		return logKey, nil
	}
	l, ok := p.LogFor(origin)
	switch {
	case !ok:
		return "", fmt.Errorf("%w: it lists no log with origin %q", ErrPolicyLogKey, origin)
	case logKey != "" && !(sameKey(l.VKey, logKey) && strings.SplitN(l.VKey, "+", 2)[0] == strings.SplitN(logKey, "+", 2)[0]):
		return "", fmt.Errorf("%w: for log %q the policy has %s, not %s", ErrPolicyLogKey, origin, vkeyName(l.VKey), vkeyName(logKey))
	}
	return l.VKey, nil
}

// vkeyName is the "<name>+<hash>" of a verifier key, which names it
// without its key bytes.
func vkeyName(vkey string) string {
	f := strings.SplitN(vkey, "+", 3)
	if len(f) < 2 {
		return vkey
	}
	return f[0] + "+" + f[1]
}

// Cosigners returns the names of the policy's witnesses that validly
// cosigned the checkpoint note cp, in policy order. A cosignature is
// checked with transparency-dev's cosignature/v1 verifier, one witness at
// a time, so a bad signature from one witness does not hide another's.
func (p *Policy) Cosigners(cp []byte) []string {
	var out []string
	for _, w := range p.Witnesses {
		n, err := note.Open(cp, note.VerifierList(w.Verifier))
		if err == nil && len(n.Sigs) == 1 {
			out = append(out, w.Name)
		}
	}
	return out
}

// QuorumError is the error of a checkpoint that lacks the quorum.
type QuorumError struct {
	Quorum   string
	Cosigned []string // the policy's witnesses that cosigned it
	Missing  []string // the quorum's witnesses that did not
}

func (e *QuorumError) Error() string {
	have := "no witness of the policy"
	if len(e.Cosigned) > 0 {
		have = strings.Join(e.Cosigned, ", ")
	}
	return fmt.Sprintf("signet: checkpoint does not meet the policy's quorum %s: cosigned by %s; missing %s",
		e.Quorum, have, strings.Join(e.Missing, ", "))
}

// Check reports whether the checkpoint note cp meets the policy's quorum,
// returning a [*QuorumError] naming the missing witnesses if not. It does
// not check the log's signature: see [Policy.Open].
func (p *Policy) Check(cp []byte) error {
	if p.Quorum == "none" {
		return nil
	}
	signed := p.Cosigners(cp)
	if p.satisfied(p.Quorum, signed) {
		return nil
	}
	var missing []string
	for _, w := range p.members(p.Quorum) {
		if !slices.Contains(signed, w) {
			missing = append(missing, w)
		}
	}
	return &QuorumError{Quorum: p.Quorum, Cosigned: signed, Missing: missing}
}

// Open verifies that cp is a checkpoint signed by the log key
// [Policy.LogKey] gives for origin and logKey (which may be empty when the
// policy lists the log) and that it meets the quorum, and parses it.
func (p *Policy) Open(cp []byte, origin, logKey string) (*Checkpoint, error) {
	vkey, err := p.LogKey(origin, logKey)
	if err != nil {
		return nil, err
	}
	c, err := OpenCheckpointKey(cp, vkey, origin)
	if err != nil {
		return nil, err
	}
	if err := p.Check(cp); err != nil {
		return nil, err
	}
	return c, nil
}

func (p *Policy) satisfied(name string, signed []string) bool {
	if _, ok := p.index[name]; ok {
		return slices.Contains(signed, name)
	}
	g := p.groups[name]
	n := 0
	for _, m := range g.members {
		if p.satisfied(m, signed) {
			n++
		}
	}
	return n >= g.k
}

// members returns the witnesses under name, in policy order.
func (p *Policy) members(name string) []string {
	if _, ok := p.index[name]; ok {
		return []string{name}
	}
	var out []string
	for _, m := range p.groups[name].members {
		for _, w := range p.members(m) {
			if !slices.Contains(out, w) {
				out = append(out, w)
			}
		}
	}
	return out
}
