package progress

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// clock is a fake time that tests move by hand.
type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }

func TestBarDraws(t *testing.T) {
	var out bytes.Buffer
	c := &clock{time.Unix(1e9, 0)}
	b := On(&out, 50, c.now, "auditing", "records", 200)
	b.Set(50, 10)
	// 50 columns: the bar is 50 - 8 - 11 - 10 = 21 wide, a quarter full.
	if want := "\rauditing [=====                ]  25% 10 records\x1b[K"; out.String() != want {
		t.Fatalf("first draw = %q, want %q", out.String(), want)
	}
	out.Reset()
	c.advance(50 * time.Millisecond)
	b.Set(100, 20)
	if out.Len() != 0 {
		t.Errorf("a draw 50ms after the last = %q, want none", out.String())
	}
	c.advance(time.Second)
	b.Set(400, 99)
	if want := "\rauditing [==============] 100% 99 records (94/s)\x1b[K"; out.String() != want {
		t.Errorf("draw past the total = %q, want %q", out.String(), want)
	}
	out.Reset()
	b.Done()
	if want := "\r\x1b[K"; out.String() != want {
		t.Errorf("Done = %q, want %q", out.String(), want)
	}
}

func TestBarUnknownTotal(t *testing.T) {
	var out bytes.Buffer
	c := &clock{time.Unix(1e9, 0)}
	b := On(&out, 80, c.now, "exporting", "bytes", 0)
	b.Set(4096, 4096)
	if want := "\rexporting 4096 bytes\x1b[K"; out.String() != want {
		t.Errorf("draw = %q, want %q", out.String(), want)
	}
}

// TestBarOff: New draws nothing on what is not a terminal: a buffer, a
// file, nil; and Done clears nothing never drawn.
func TestBarOff(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "stderr"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var buf bytes.Buffer
	for _, b := range []*Bar{New(&buf, "x", "records", 10), New(f, "x", "records", 10), New(nil, "x", "records", 10)} {
		b.Set(5, 5)
		b.Done()
	}
	if st, _ := f.Stat(); buf.Len() != 0 || st.Size() != 0 {
		t.Errorf("bars off a terminal wrote %q and %d bytes to a file, want nothing", buf.String(), st.Size())
	}
	var out bytes.Buffer
	On(&out, 80, time.Now, "x", "records", 10).Done()
	if out.Len() != 0 {
		t.Errorf("Done of a bar never drawn = %q, want nothing", out.String())
	}
}
