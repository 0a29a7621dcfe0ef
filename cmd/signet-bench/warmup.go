package main

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// prefill appends Prefill entries to t's log through the batch endpoint,
// unmeasured, then has PostgreSQL ANALYZE a log this tool created.
//
// A fresh log's tables are empty when signetd prepares its statements,
// and PostgreSQL caches for them plans made for empty tables: the
// sequencer's nonce lookup then scans the whole records table on every
// batch until autovacuum first analyzes it, up to a minute later. That is
// the first minute of a new log, not its steady state, so runs start
// after it.
func (b *bench) prefill(ctx context.Context, t *target) error {
	n := b.cfg.Prefill
	if n <= 0 {
		return nil
	}
	if err := t.fill(ctx, n); err != nil {
		return err
	}
	es := t.take(n)
	// A naive server takes each entry of a batch in its own transaction
	// with the head locked: 500 at once outwait the database's timeout on
	// a loaded machine, and even 25 at once from each of two clients
	// stalled the holder of the lock for 30 s (pool connections all held by
	// waiters), so it is filled one entry per request.
	per := 500
	if t.name == "naive" {
		per = 1
	}
	l := load{perReq: per, clients: 2, duration: time.Hour, path: "/v1/entries:batch", ctype: "application/json"}
	if per == 1 {
		l.path, l.ctype = "/v1/entries", "application/jose+json"
	}
	for i := 0; i < len(es); i += l.perReq {
		l.perReq = min(per, len(es)-i)
		if per == 1 {
			l.requests = append(l.requests, es[i].body)
			continue
		}
		l.requests = append(l.requests, batchBody(es[i:i+l.perReq]))
	}
	l.perReq = per
	out := drive(ctx, t.hc, t.base, l)
	if out.total != int64(n) {
		return fmt.Errorf("prefilling %s: %d of %d entries appended; first error: %s", t.base, out.total, n, out.firstErr)
	}
	if t.schema == "" {
		return nil
	}
	dbURL, err := schemaURL(b.cfg.DatabaseURL, t.schema)
	if err != nil {
		return err
	}
	return withConn(ctx, dbURL, func(c *pgx.Conn) error {
		_, err := c.Exec(ctx, "ANALYZE records; ANALYZE tree_hashes; ANALYZE signers; ANALYZE signer_keys")
		return err
	})
}

// profile restarts t's server, profiling into a file named for run, or
// not profiling if run is empty. It does nothing unless asked to profile.
func (b *bench) profile(ctx context.Context, t *target, run string) error {
	if b.cfg.ServerProfiles == "" || t.daemon == nil {
		return nil
	}
	var more []string
	if run != "" {
		more = []string{"--cpuprofile", fmt.Sprintf("%s-%s.pprof", b.cfg.ServerProfiles, run)}
	}
	if err := t.daemon.restart(ctx, more); err != nil {
		return err
	}
	t.pid = t.daemon.pid()
	t.hc.CloseIdleConnections()
	return nil
}
