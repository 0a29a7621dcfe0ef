package main

import (
	"context"
	"fmt"
	"io"
	"strconv"

	"github.com/signet-ledger/signet/client"
)

var listCmd = &command{
	name:     "list",
	synopsis: "[--signer ID] [--kind KIND] [--match JSON] [--after INDEX] [--limit N]",
	short:    "list records, optionally of one signer or kind, or by content",
	long: "List records in index order, following the server's pages: entries and key events, optionally of one signer or kind, " +
		"or whose payload contains the JSON object given to --match (as PostgreSQL's jsonb @> does: " +
		`--match '{"journal_id":"JE000001"}' finds that journal's entries).`,
	run: runList,
}

func runList(ctx context.Context, cmd *command, e *env, args []string) error {
	fs := cmd.flagSet(e)
	signer := fs.String("signer", "", "only records of signer `ID`")
	kind := fs.String("kind", "", "only records of `KIND`: entry, signer.registered, signer.key_added, signer.key_revoked")
	match := fs.String("match", "", "only records whose payload contains the JSON object `JSON`")
	after := fs.Int64("after", -1, "start after log `INDEX`")
	limit := fs.Int("limit", 0, "list at most `N` records (0: all)")
	pos, err := cmd.parse(e, fs, args)
	if err != nil {
		return err
	}
	if err := cmd.wantArgs(pos, 0, 0); err != nil {
		return err
	}
	c := e.client()
	q := client.Query{Signer: *signer, Kind: *kind, Match: *match, Limit: 1000}
	if *after >= 0 {
		q.After = strconv.FormatInt(*after, 10)
	}
	if *limit > 0 {
		q.Limit = min(1000, *limit)
	}
	n := 0
	for r, err := range c.Records(ctx, q) {
		if err != nil {
			return err
		}
		if err := e.emit(r, func(w io.Writer) { printRow(w, r) }); err != nil {
			return err
		}
		if n++; *limit > 0 && n >= *limit {
			break
		}
	}
	return nil
}

// printRow shows r as one line: index, kind, signer, time, hash.
func printRow(w io.Writer, r *client.Record) {
	fmt.Fprintf(w, "%-8d %-19s %-24s %-27s %s\n", r.Index, safe(r.Kind), safe(r.Signer), safe(r.IntegratedTime), safe(r.Hash))
}
