package main

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"testing"
)

func TestHintNetwork(t *testing.T) {
	_, fileErr := os.Open("no-such-entries.ndjson")
	dial := &net.OpError{Op: "dial", Net: "tcp", Err: fmt.Errorf("connection refused")}
	for _, tc := range []struct {
		name   string
		err    error
		server bool
	}{
		{"MissingFile", fileErr, false},
		{"DialRefused", fmt.Errorf("get: %w", &url.Error{Op: "Get", URL: "http://x", Err: dial}), true},
		{"BareOpError", dial, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := strings.Contains(hint(tc.err), "is signetd running")
			if got != tc.server {
				t.Errorf("hint(%v) = %q, want the server hint: %v", tc.err, hint(tc.err), tc.server)
			}
		})
	}
}
