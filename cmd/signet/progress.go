package main

import "github.com/signet-ledger/signet/internal/progress"

// newProgress returns a progress line ([progress.New]) for label on
// stderr: drawn if stderr is a terminal and the output is for humans,
// never with --json.
func (e *env) newProgress(label, unit string, total int64) *progress.Bar {
	if e.g.JSON {
		return progress.New(nil, label, unit, total)
	}
	return progress.New(e.sys.Stderr, label, unit, total)
}
