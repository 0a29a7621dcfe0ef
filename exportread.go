package signet

import (
	"bufio"
	"errors"
	"io"
)

// ExportReader reads an export's records in order, for a loader that
// takes the export whole (signetd import): each line with
// [ParseExportLine] (R1) and [WireRecord.Record] (R2, R3), the shown
// payload with [CheckShownPayload] (R7), the end line's tree_size with
// [WireExportEnd.CheckTreeSize] and the export's end with [NoEndLine] and
// [LineAfterEnd] (R23). It stops at the first broken rule. It checks no
// rule between records (see [Replay]) and not the checkpoint (see
// [OpenCheckpoint] and [CheckTree]). An auditor that reports every
// failure reads lines itself, with the same functions.
type ExportReader struct {
	sc  *bufio.Scanner
	n   int64 // records read
	end *WireExportEnd
}

// NewExportReader returns a reader of the export r whose lines are at
// most maxLine bytes.
func NewExportReader(r io.Reader, maxLine int) *ExportReader {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, min(maxLine, 1<<20)), maxLine)
	return &ExportReader{sc: sc}
}

// Next returns the next record; io.EOF after the end line, when nothing
// follows it; or the first broken rule as a [*RuleError], or a read
// error.
func (e *ExportReader) Next() (*Record, error) {
	if e.end != nil {
		return nil, io.EOF
	}
	b, err := e.line()
	if errors.Is(err, io.EOF) {
		return nil, NoEndLine(e.n)
	}
	if err != nil {
		return nil, err
	}
	w, end, err := ParseExportLine(b)
	switch {
	case err != nil:
		return nil, err
	case end != nil:
		return nil, e.finish(end)
	}
	rec, err := w.Record()
	if err != nil {
		return nil, err
	}
	if err := CheckShownPayload(w.Payload, rec.Payload); err != nil {
		return nil, err
	}
	e.n++
	return rec, nil
}

// End returns the end line, once Next has returned io.EOF.
func (e *ExportReader) End() *WireExportEnd { return e.end }

// finish checks the end line and that it is the last line.
func (e *ExportReader) finish(end *WireExportEnd) error {
	if err := end.CheckTreeSize(e.n); err != nil {
		return err
	}
	if _, err := e.line(); !errors.Is(err, io.EOF) {
		if err == nil {
			err = LineAfterEnd()
		}
		return err
	}
	e.end = end
	return io.EOF
}

// line returns the next line, or io.EOF.
func (e *ExportReader) line() ([]byte, error) {
	if e.sc.Scan() {
		return e.sc.Bytes(), nil
	}
	if err := e.sc.Err(); err != nil {
		return nil, err
	}
	return nil, io.EOF
}
