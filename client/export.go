package client

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"

	"github.com/signet-ledger/signet"
	"github.com/signet-ledger/signet/internal/strictjson"
)

// Export streams the records with from <= index < to (to 0: up to the
// latest checkpoint) from GET /v1/log/export into w, as the server sends
// them: NDJSON, one [signet.WireRecord] per line, then one
// [signet.WireExportEnd] line. It holds a few kilobytes in memory whatever
// the export's size, and returns the parsed end line.
//
// An export that stops before its end line (the connection dropped, or
// the server failed mid-way) is an error: w then holds a truncated export,
// which an audit would also refuse.
func (c *Client) Export(ctx context.Context, from, to int64, w io.Writer) (*signet.WireExportEnd, error) {
	q := url.Values{"from": {strconv.FormatInt(from, 10)}}
	if to > 0 {
		q.Set("to", strconv.FormatInt(to, 10))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/v1/log/export?"+q.Encode(), nil)
	if err != nil {
		return nil, fmt.Errorf("signet: %w", err)
	}
	for k, v := range c.readHeader() {
		req.Header[k] = v
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("signet: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		return nil, (&Response{Status: resp.StatusCode, Header: resp.Header, Body: b}).check()
	}
	tail := &lastLine{}
	if _, err := io.Copy(io.MultiWriter(w, tail), resp.Body); err != nil {
		return nil, fmt.Errorf("signet: export cut short: %w", err)
	}
	var end signet.WireExportEnd
	if err := strictjson.UnmarshalIgnoreUnknown(tail.line(), &end); err != nil || end.Checkpoint == "" {
		return nil, fmt.Errorf("signet: export cut short: it does not end with its checkpoint line")
	}
	return &end, nil
}

// lastLine keeps the last complete line written to it, up to 1 MiB (an
// export's end line is a few kilobytes).
type lastLine struct {
	prev, cur []byte
}

func (l *lastLine) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			l.add(p)
			break
		}
		l.add(p[:i])
		l.prev, l.cur = l.cur, l.prev[:0]
		p = p[i+1:]
	}
	return n, nil
}

func (l *lastLine) add(p []byte) {
	if len(l.cur)+len(p) <= 1<<20 {
		l.cur = append(l.cur, p...)
	}
}

// line returns the last line ended by a newline, or the unterminated
// rest if that is not empty.
func (l *lastLine) line() []byte {
	if len(bytes.TrimSpace(l.cur)) > 0 {
		return l.cur
	}
	return l.prev
}
