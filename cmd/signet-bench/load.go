package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/signet-ledger/signet/ledger"
	"golang.org/x/mod/sumdb/tlog"
)

// loadConfig is the configuration of "signet-bench load".
type loadConfig struct {
	Signetd     string // to register the signers the way the server does
	DatabaseURL string
	Schema      string // the log's schema, created if missing
	Data        string // the log's data dir: log.key and the signers' keys
	Records     int64  // grow the log to this many records
	Signers     int
	Chunk       int // records per transaction
	Payload     int
}

func (c *loadConfig) flags(fs *flag.FlagSet) {
	fs.StringVar(&c.Signetd, "signetd", "", "signetd binary, started once to migrate and register the signers (required for a new log)")
	fs.StringVar(&c.DatabaseURL, "database-url", "", "PostgreSQL (required)")
	fs.StringVar(&c.Schema, "schema", "bench_load", "schema holding the log; created if missing, grown if it has records")
	fs.StringVar(&c.Data, "data", "", "the log's data dir: signetd's log.key and the signers' keys (required)")
	fs.Int64Var(&c.Records, "records", 10000, "grow the log to this many records in all")
	fs.IntVar(&c.Signers, "signers", 8, "signers to register in a new log")
	fs.IntVar(&c.Chunk, "chunk", 100000, "records per transaction; the log is valid and signed after each")
	fs.IntVar(&c.Payload, "payload", 300, "bytes of JSON per entry")
}

func loadCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c loadConfig
	fs := flag.NewFlagSet("signet-bench load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	c.flags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if c.DatabaseURL == "" || c.Data == "" {
		return fmt.Errorf("load needs --database-url and --data")
	}
	l, err := openLog(ctx, c, stderr)
	if err != nil {
		return err
	}
	defer l.pool.Close()
	st, err := l.grow(ctx, c.Records, c.Chunk)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "loaded %d records into %s in %s (%.0f records/s; signing %s, COPY and commit %s)\n",
		st.records, c.Schema, st.total.Round(time.Second), float64(st.records)/st.total.Seconds(),
		st.sign.Round(time.Second), st.copy.Round(time.Second))
	return nil
}

// loadedLog is a log being grown by the loader: its head and the stored
// hashes of its frontier, kept in memory.
type loadedLog struct {
	pool    *pgxpool.Pool
	log     io.Writer
	gen     *entryMaker
	signer  *logSigner
	head    ledger.Head
	hashes  map[int64]tlog.Hash // the frontier, and during a chunk its new hashes
	payload int
}

// openLog migrates the schema, registers the signers through signetd if
// the log is new, and reads the head and frontier.
func openLog(ctx context.Context, c loadConfig, log io.Writer) (*loadedLog, error) {
	if err := createSchema(ctx, c.DatabaseURL, c.Schema); err != nil {
		return nil, err
	}
	dbURL, err := schemaURL(c.DatabaseURL, c.Schema)
	if err != nil {
		return nil, err
	}
	keysFile := filepath.Join(c.Data, "bench-signers.jsonl")
	signers, err := readSigners(keysFile)
	if err != nil {
		if signers, err = registerSigners(ctx, c, dbURL, keysFile, log); err != nil {
			return nil, err
		}
	}
	pool, err := pgxpool.New(ctx, dbURL)
	if err != nil {
		return nil, err
	}
	l := &loadedLog{pool: pool, log: log, payload: c.Payload}
	if err := l.readHead(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	if l.signer, err = openLogSigner(filepath.Join(c.Data, "log.key"), l.head.Checkpoint); err != nil {
		pool.Close()
		return nil, err
	}
	l.gen = newEntryMaker(signers, c.Payload)
	return l, nil
}

// readHead reads the head and the stored hashes of its frontier.
func (l *loadedLog) readHead(ctx context.Context) error {
	var hash []byte
	var note string
	err := l.pool.QueryRow(ctx, `SELECT size, last_hash, checkpoint FROM log_head WHERE id = 1`).Scan(&l.head.Size, &hash, &note)
	if err != nil {
		return fmt.Errorf("reading the log head: %w", err)
	}
	copy(l.head.Hash[:], hash)
	l.head.Checkpoint = []byte(note)
	idx := ledger.Frontier(l.head.Size)
	l.hashes = map[int64]tlog.Hash{}
	rows, err := l.pool.Query(ctx, `SELECT idx, hash FROM tree_hashes WHERE idx = ANY($1)`, idx)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var i int64
		var b []byte
		if err := rows.Scan(&i, &b); err != nil {
			return err
		}
		l.hashes[i] = tlog.Hash(b)
	}
	if len(l.hashes) != len(idx) {
		return fmt.Errorf("the frontier of a tree of %d records is missing stored hashes", l.head.Size)
	}
	return rows.Err()
}

// ReadHashes reads the in-memory stored hashes, for tlog.
func (l *loadedLog) ReadHashes(idx []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(idx))
	for i, x := range idx {
		h, ok := l.hashes[x]
		if !ok {
			return nil, fmt.Errorf("stored hash %d is not in memory", x)
		}
		out[i] = h
	}
	return out, nil
}

// loadStats is what a load took.
type loadStats struct {
	records           int64
	total, sign, copy time.Duration
}

// grow appends signed entries until the log has target records, chunk
// records per transaction. Signing the next chunk overlaps writing this one.
func (l *loadedLog) grow(ctx context.Context, target int64, chunk int) (loadStats, error) {
	start := time.Now()
	var st loadStats
	chunks := make(chan signedChunk, 1)
	gctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go l.gen.produce(gctx, l.head.Size, target, chunk, chunks)
	for ch := range chunks {
		st.sign += ch.took
		t0 := time.Now()
		if err := l.commit(ctx, ch.recs); err != nil {
			return st, err
		}
		st.copy += time.Since(t0)
		st.records += int64(len(ch.recs))
		el := time.Since(start)
		fmt.Fprintf(l.log, "%s load: %d records (%.0f/s overall)\n", time.Now().Format("15:04:05"), l.head.Size,
			float64(st.records)/el.Seconds())
	}
	st.total = time.Since(start)
	if err := ctx.Err(); err != nil {
		return st, err
	}
	if st.records > 0 {
		_, err := l.pool.Exec(ctx, `ANALYZE records; ANALYZE tree_hashes`)
		return st, err
	}
	return st, nil
}

// commit chains and hashes recs onto the head and writes them, their
// stored hashes and the new signed head in one transaction.
func (l *loadedLog) commit(ctx context.Context, recs []*ledger.Record) error {
	old := l.head
	var hashRows [][]any
	now := ledger.Time(time.Now())
	next, prev := old.Size, old.Hash
	for _, r := range recs {
		r.Index, r.IntegratedTime, r.PrevHash = next, now, prev
		r.Hash = ledger.RecordHash(r)
		sh, err := tlog.StoredHashesForRecordHash(next, ledger.LeafHash(r.Hash), l)
		if err != nil {
			return err
		}
		for k, h := range sh {
			i := tlog.StoredHashIndex(0, next) + int64(k)
			l.hashes[i] = h
			hashRows = append(hashRows, []any{i, h[:]})
		}
		next, prev = next+1, r.Hash
	}
	root, err := tlog.TreeHash(next, l)
	if err != nil {
		return err
	}
	note, err := l.signer.sign(next, root)
	if err != nil {
		return err
	}
	head := ledger.Head{Size: next, Hash: prev, Checkpoint: note}
	if err := l.write(ctx, old.Size, recs, hashRows, head); err != nil {
		return err
	}
	l.head = head
	keep := map[int64]tlog.Hash{}
	for _, i := range ledger.Frontier(next) {
		keep[i] = l.hashes[i]
	}
	l.hashes = keep
	return nil
}

// write copies one chunk in and moves the head, guarded by its old size.
func (l *loadedLog) write(ctx context.Context, oldSize int64, recs []*ledger.Record, hashRows [][]any, head ledger.Head) error {
	return pgx.BeginFunc(ctx, l.pool, func(tx pgx.Tx) error {
		var size int64
		if err := tx.QueryRow(ctx, `SELECT size FROM log_head WHERE id = 1 FOR UPDATE`).Scan(&size); err != nil {
			return err
		}
		if size != oldSize {
			return fmt.Errorf("the log grew from %d to %d records under the loader: is a server appending?", oldSize, size)
		}
		cols := []string{"idx", "kind", "signer", "kid", "integrated_us", "protected", "payload", "signature", "nonce", "hash", "prev_hash"}
		_, err := tx.CopyFrom(ctx, pgx.Identifier{"records"}, cols, pgx.CopyFromSlice(len(recs), func(i int) ([]any, error) {
			r := recs[i]
			return []any{r.Index, string(r.Kind), r.Signer, r.KID, r.IntegratedTime.UnixMicro(),
				r.Protected, r.Payload, r.Signature, r.Nonce, r.Hash[:], r.PrevHash[:]}, nil
		}))
		if err != nil {
			return fmt.Errorf("copying records: %w", err)
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"tree_hashes"}, []string{"idx", "hash"}, pgx.CopyFromRows(hashRows)); err != nil {
			return fmt.Errorf("copying stored hashes: %w", err)
		}
		_, err = tx.Exec(ctx, `UPDATE log_head SET size = $1, last_hash = $2, checkpoint = $3 WHERE id = 1 AND size = $4`,
			head.Size, head.Hash[:], string(head.Checkpoint), oldSize)
		return err
	})
}
