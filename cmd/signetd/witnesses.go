package main

import (
	"fmt"
	"os"

	"github.com/signet-ledger/signet"
)

// readWitnessPolicy reads and parses the --witness-policy file; no file,
// no policy. Its errors name the file and, for a bad line, the line.
func readWitnessPolicy(file string) (*signet.Policy, error) {
	if file == "" {
		return nil, nil
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("--witness-policy: %w", err)
	}
	p, err := signet.ParsePolicy(b)
	if err != nil {
		return nil, fmt.Errorf("--witness-policy %s: %w", file, err)
	}
	return p, nil
}

// witnessNames lists the policy's witnesses for the start-up log line.
func witnessNames(p *signet.Policy) []string {
	if p == nil {
		return nil
	}
	var out []string
	for _, w := range p.Witnesses {
		out = append(out, w.Name+" "+w.URL)
	}
	return out
}
