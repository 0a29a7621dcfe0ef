package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"
)

// progress draws a one-line progress bar on a terminal, redrawn at most
// ten times a second. On anything but a terminal, or with --json, it
// draws nothing. It is safe for concurrent use.
type progress struct {
	w     io.Writer // nil when off
	label string
	total int64 // 0 when unknown
	unit  string

	mu    sync.Mutex
	start time.Time
	last  time.Time
	width int
}

// newProgress returns a progress bar for label on stderr, if stderr is a
// terminal and output is for humans.
func (e *env) newProgress(label, unit string, total int64) *progress {
	p := &progress{label: label, unit: unit, total: total, start: time.Now(), width: 80}
	f, ok := e.sys.Stderr.(*os.File)
	if e.g.JSON || !ok || !term.IsTerminal(int(f.Fd())) {
		return p
	}
	if w, _, err := term.GetSize(int(f.Fd())); err == nil && w > 20 {
		p.width = w
	}
	p.w = f
	return p
}

// set shows done units of total (bytes, say) and the items (records,
// entries) they hold, with their rate.
func (p *progress) set(done, items int64) {
	if p.w == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	if now.Sub(p.last) < 100*time.Millisecond {
		return
	}
	p.last = now
	p.draw(done, items, now)
}

func (p *progress) draw(done, items int64, now time.Time) {
	count := fmt.Sprintf(" %d %s", items, p.unit)
	if s := now.Sub(p.start).Seconds(); s > 0.5 {
		count += fmt.Sprintf(" (%.0f/s)", float64(items)/s)
	}
	if p.total <= 0 {
		fmt.Fprintf(p.w, "\r%s%s\x1b[K", p.label, count)
		return
	}
	frac := min(float64(done)/float64(p.total), 1)
	barWidth := max(p.width-len(p.label)-len(count)-10, 10)
	full := int(frac * float64(barWidth))
	fmt.Fprintf(p.w, "\r%s [%s%s] %3.0f%%%s\x1b[K", p.label, strings.Repeat("=", full), strings.Repeat(" ", barWidth-full), frac*100, count)
}

// done clears the bar.
func (p *progress) done() {
	if p.w == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprint(p.w, "\r\x1b[K")
}
