// Package progress draws the progress of a long operation (an export, an
// audit, an import, a batch of submissions, a watch catching up) as one
// line on a terminal, redrawn in place at most ten times a second:
//
//	auditing [=========           ]  45% 123456 records (40000/s)
//
// or, when the total is unknown, the label and the count alone. On
// anything but a terminal (a file, a pipe, a journal) it draws nothing,
// so that logs and machine-readable output stay clean.
package progress

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"
)

// Bar is one progress line. Its methods are safe for concurrent use; a
// Bar that is off (see [New]) does nothing.
type Bar struct {
	w     io.Writer // nil when off
	label string
	unit  string
	total int64 // 0 when unknown
	width int
	now   func() time.Time

	mu    sync.Mutex
	start time.Time
	last  time.Time
	drawn bool
}

// redraw is the least time between two draws.
const redraw = 100 * time.Millisecond

// New returns a bar for label, counting unit, of total units (0 when
// unknown), drawn on w if w is a terminal: an *os.File that
// term.IsTerminal says is one, as wide as the terminal. For any other w,
// including nil, the bar is off.
func New(w io.Writer, label, unit string, total int64) *Bar {
	f, ok := w.(*os.File)
	if !ok || f == nil || !term.IsTerminal(int(f.Fd())) {
		return &Bar{}
	}
	width := 80
	if cols, _, err := term.GetSize(int(f.Fd())); err == nil && cols > 20 {
		width = cols
	}
	return On(f, width, time.Now, label, unit, total)
}

// On returns a bar drawn on w whatever w is, width columns wide, reading
// the time from now: what [New] makes for a terminal, for a caller that
// knows better, and for tests.
func On(w io.Writer, width int, now func() time.Time, label, unit string, total int64) *Bar {
	return &Bar{w: w, label: label, unit: unit, total: total, width: width, now: now, start: now()}
}

// Set shows done units of the total and the items (records, entries)
// they hold, with their rate; it draws only if the last draw was at
// least a tenth of a second ago.
func (b *Bar) Set(done, items int64) {
	if b.w == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	if b.drawn && now.Sub(b.last) < redraw {
		return
	}
	b.last, b.drawn = now, true
	b.draw(done, items, now)
}

func (b *Bar) draw(done, items int64, now time.Time) {
	count := fmt.Sprintf(" %d %s", items, b.unit)
	if s := now.Sub(b.start).Seconds(); s > 0.5 {
		count += fmt.Sprintf(" (%.0f/s)", float64(items)/s)
	}
	if b.total <= 0 {
		fmt.Fprintf(b.w, "\r%s%s\x1b[K", b.label, count)
		return
	}
	frac := min(max(float64(done)/float64(b.total), 0), 1)
	barWidth := max(b.width-len(b.label)-len(count)-10, 10)
	full := int(frac * float64(barWidth))
	fmt.Fprintf(b.w, "\r%s [%s%s] %3.0f%%%s\x1b[K", b.label, strings.Repeat("=", full), strings.Repeat(" ", barWidth-full), frac*100, count)
}

// Done clears the line, if anything was drawn on it.
func (b *Bar) Done() {
	if b.w == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.drawn {
		fmt.Fprint(b.w, "\r\x1b[K")
		b.drawn = false
	}
}
