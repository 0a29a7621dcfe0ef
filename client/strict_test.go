package client_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/signet-ledger/signet/client"
)

// answering returns a client of a server that answers every request with
// status and body.
func answering(t *testing.T, status int, body string) *client.Client {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return client.New(srv.URL)
}

// TestAnswersAreReadStrictly: a member name that differs only in case
// from a field's, or a name given twice, would let one answer mean two
// things to two readers; the client refuses both, and skips members it
// does not know. The same text means the same to every reader.
func TestAnswersAreReadStrictly(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		body  string
		index int64 // -1: refused
	}{
		{`{"index":1,"INDEX":2,"kind":"entry"}`, 1},
		{`{"Index":2,"kind":"entry"}`, 0},
		{`{"index":1,"kind":"entry","added_by_a_newer_server":true}`, 1},
		{`{"index":1,"index":2,"kind":"entry"}`, -1},
		{`{"index":1,"kind":"entry","payload":{"a":1,"\u0061":2}}`, -1},
		{`{"index":1,"kind":"entry"} {}`, -1},
	} {
		r, err := answering(t, 200, tc.body).Entry(ctx, 1)
		switch {
		case tc.index < 0 && err == nil:
			t.Errorf("Entry answered %s = %+v, nil; want an error", tc.body, r)
		case tc.index >= 0 && (err != nil || r.Index != tc.index || r.Kind != "entry"):
			t.Errorf("Entry answered %s = %+v, %v; want index %d", tc.body, r, err, tc.index)
		}
	}
	// A problem is read strictly too: a type in other case is not its type.
	_, err := answering(t, 409, `{"type":"urn:signet:error:conflict","TYPE":"urn:signet:error:badNonce","status":409}`).Entry(ctx, 1)
	if !client.IsProblem(err, "conflict") {
		t.Errorf("a problem with TYPE and type = %v; want conflict", err)
	}
}
