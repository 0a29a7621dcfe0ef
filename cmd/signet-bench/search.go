package main

import (
	"context"
	"encoding/base64"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/signet-ledger/signet/ledger"
	"github.com/signet-ledger/signet/postgres"
	"github.com/signet-ledger/signet/sqlite"
)

// searchConfig is the configuration of "signet-bench search".
type searchConfig struct {
	Store       string // "postgres" or "sqlite"
	DatabaseURL string // PostgreSQL, for --store postgres
	Dir         string // where the SQLite file goes, for --store sqlite
	Records     int
	Batch       int
	Queries     int
}

func (c *searchConfig) flags(fs *flag.FlagSet) {
	fs.StringVar(&c.Store, "store", "sqlite", "store to measure: postgres or sqlite")
	fs.StringVar(&c.DatabaseURL, "database-url", "", "PostgreSQL, migrated as signetd would (for --store postgres)")
	fs.StringVar(&c.Dir, "dir", "", "directory for the SQLite file (for --store sqlite)")
	fs.IntVar(&c.Records, "records", 100000, "entries to write")
	fs.IntVar(&c.Batch, "batch", 5000, "records per write transaction")
	fs.IntVar(&c.Queries, "queries", 2000, "selective matches to time")
}

// searchStore is a store whose search index can be sized.
type searchStore interface {
	ledger.Store
	SearchIndexBytes(ctx context.Context) (int64, error)
}

// searchCmd measures content search: it writes entries through the
// store's own Tx.Write (so the index is filled as the server fills it;
// the records carry payloads like journal entries but no valid JWS or
// hashes, which a search never reads), then times matches on one
// journal_id each, at random, one at a time, and reports p50, p99 and
// the index's bytes per record.
func searchCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c searchConfig
	fs := flag.NewFlagSet("signet-bench search", flag.ContinueOnError)
	fs.SetOutput(stderr)
	c.flags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	s, err := openSearchStore(ctx, c)
	if err != nil {
		return err
	}
	start := time.Now()
	if err := fillSearch(ctx, s, c, stderr); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "wrote %d records in %s\n", c.Records, time.Since(start).Round(time.Second))
	var lat []time.Duration
	for range c.Queries {
		m, err := ledger.ParseMatch(fmt.Appendf(nil, `{"journal_id":"JE%07d"}`, rand.IntN(c.Records)))
		if err != nil {
			return err
		}
		t0 := time.Now()
		recs, err := s.Records(ctx, ledger.Query{Match: m, After: -1, Limit: 100})
		if err != nil {
			return err
		}
		lat = append(lat, time.Since(t0))
		if len(recs) != 1 {
			return fmt.Errorf("match %s found %d records, want 1", m, len(recs))
		}
	}
	slices.Sort(lat)
	size, err := s.SearchIndexBytes(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: %d records, selective match p50 %s p99 %s (%d queries), index %d bytes (%.0f per record)\n",
		c.Store, c.Records, lat[len(lat)/2].Round(time.Microsecond), lat[len(lat)*99/100].Round(time.Microsecond),
		len(lat), size, float64(size)/float64(c.Records))
	return nil
}

func openSearchStore(ctx context.Context, c searchConfig) (searchStore, error) {
	quiet := slog.New(slog.DiscardHandler)
	switch c.Store {
	case "postgres":
		if err := postgres.Migrate(ctx, c.DatabaseURL, quiet); err != nil {
			return nil, err
		}
		return postgres.Open(ctx, c.DatabaseURL)
	case "sqlite":
		path := filepath.Join(c.Dir, "search.db")
		if err := sqlite.Migrate(ctx, path, quiet); err != nil {
			return nil, err
		}
		return sqlite.Open(ctx, path)
	}
	return nil, fmt.Errorf("--store must be postgres or sqlite, got %q", c.Store)
}

// fillSearch grows the store to c.Records entries in batches of c.Batch
// (a store already that large is only measured): each a journal entry
// with a unique journal_id, two lines and a memo.
func fillSearch(ctx context.Context, s ledger.Store, c searchConfig, log io.Writer) error {
	pad := strings.Repeat("x", 120)
	h, err := s.Head(ctx)
	if err != nil {
		return err
	}
	for n := int(h.Size); n < c.Records; {
		err := s.Sequence(ctx, func(ctx context.Context, tx ledger.Tx) error {
			snap, err := tx.Snapshot(ctx, ledger.SnapshotQuery{HashesFor: -1})
			if err != nil {
				return err
			}
			b := &ledger.Batch{}
			size := snap.Head.Size
			for ; n < c.Records && len(b.Records) < c.Batch; n++ {
				p := fmt.Sprintf(`{"journal_id":"JE%07d","date":"2026-%02d-%02d","lines":[{"account":"%d","amount":"%d.00"},{"account":"1200","amount":"-%d.00"}],"memo":"%s"}`,
					n, n%12+1, n%28+1, 4000+n%50, n%997, n%997, pad)
				b.Records = append(b.Records, &ledger.Record{Index: size, Kind: ledger.KindEntry, Signer: fmt.Sprintf("signer%d", n%8),
					KID: "bench", IntegratedTime: time.Now().UTC().Truncate(time.Microsecond),
					Payload: base64.RawURLEncoding.EncodeToString([]byte(p)), Protected: "e30", Signature: "sig"})
				size++
			}
			b.Head = ledger.Head{Size: size}
			return tx.Write(ctx, b)
		})
		if err != nil {
			return err
		}
		if n%100000 == 0 {
			fmt.Fprintf(log, "%d records\n", n)
		}
	}
	return nil
}
