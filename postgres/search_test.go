package postgres_test

import (
	"context"
	"encoding/base64"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/signet-ledger/signet/ledger"
	"github.com/signet-ledger/signet/ledger/storetest"
)

// TestContainmentAgreesWithJSONB checks PostgreSQL's own @> on the
// conformance suite's payloads and matches against [ledger.Match.Selects],
// the Go containment every other store uses: the store checks its
// candidates in Go, so its answers alone would not show @> finding too
// many. A payload that jsonb cannot hold has no payload_doc, and must be
// one the suite expects (records_payload_unindexed covers it).
func TestContainmentAgreesWithJSONB(t *testing.T) {
	url := backend.New(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	unindexed := map[int]bool{6: true, 7: true}
	for _, c := range storetest.MatchCases {
		m, err := ledger.ParseMatch([]byte(c.Match))
		if err != nil {
			t.Fatal(err)
		}
		for i, p := range storetest.MatchPayloads {
			enc := base64.RawURLEncoding.EncodeToString([]byte(p))
			var doc, got *bool
			err := conn.QueryRow(ctx, `SELECT signet_payload_doc($1) IS NOT NULL, signet_payload_doc($1) @> signet_jsonb($2)`,
				enc, c.Match).Scan(&doc, &got)
			if err != nil {
				t.Fatal(err)
			}
			want := m.Selects(&ledger.Record{Payload: enc})
			switch {
			case *doc == unindexed[i]:
				t.Errorf("payload %d: has a jsonb form = %v, want %v", i, *doc, !unindexed[i])
			case got == nil && want && !unindexed[i]:
				// A match jsonb cannot hold selects only unindexed payloads.
				t.Errorf("payload %d contains %s in Go, which jsonb cannot hold", i, c.Match)
			case got != nil && *got != want:
				t.Errorf("payload %d @> %s = %v in PostgreSQL, %v in Go", i, c.Match, *got, want)
			}
		}
	}
}
