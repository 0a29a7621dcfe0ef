package audit

// lineMap remembers the line of each record read, to place a failure
// found later for an earlier-read record (a reused nonce found while
// verifying the other record). It keeps runs of records on consecutive
// lines, so it grows only where the export breaks a rule: one run, plus
// at most one per failure.
type lineMap []lineRun

// lineRun is n records from index on consecutive lines from line.
type lineRun struct{ index, line, n int64 }

// add records that record index is on line.
func (m *lineMap) add(index, line int64) {
	if k := len(*m); k > 0 {
		r := &(*m)[k-1]
		if index == r.index+r.n && line == r.line+r.n {
			r.n++
			return
		}
	}
	*m = append(*m, lineRun{index, line, 1})
}

// line returns the line of the record last read at index, or 0.
func (m lineMap) line(index int64) int64 {
	for i := len(m) - 1; i >= 0; i-- {
		if r := m[i]; index >= r.index && index < r.index+r.n {
			return r.line + index - r.index
		}
	}
	return 0
}
