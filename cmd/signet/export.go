package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync/atomic"

	"github.com/signet-ledger/signet/ledger"

	"github.com/signet-ledger/signet/internal/progress"
)

var exportCmd = &command{
	name:     "export",
	synopsis: "[--from N] [--to M] [-o FILE]",
	short:    "download the log as NDJSON, with the checkpoint it ends at",
	long: "Download the log's records from index N up to M (default: all, up to the latest checkpoint) " +
		"as NDJSON, one record per line with its JWS and hashes, then a line with the checkpoint it ends at " +
		"and the consistency proof to it. signet audit checks the file offline.",
	run: runExport,
}

func runExport(ctx context.Context, cmd *command, e *env, args []string) error {
	fs := cmd.flagSet(e)
	from := fs.Int64("from", 0, "first log `INDEX` (an audit needs 0)")
	to := fs.Int64("to", 0, "stop before log `INDEX` (0: the latest checkpoint's size)")
	out := fs.String("o", "-", "write to `FILE` (- for standard output); a file is replaced only once complete")
	pos, err := cmd.parse(e, fs, args)
	if err != nil {
		return err
	}
	if err := cmd.wantArgs(pos, 0, 0); err != nil {
		return err
	}
	if *from < 0 || *to < 0 {
		return usagef("export: --from and --to must not be negative")
	}
	if *out == "-" {
		_, err := e.client().Export(ctx, *from, *to, e.sys.Stdout)
		return err
	}
	end, n, err := e.exportFile(ctx, *out, *from, *to)
	if err != nil {
		return err
	}
	cp, _ := ledger.ParseCheckpointUnverified([]byte(end.Checkpoint))
	v := map[string]any{"file": *out, "from": *from, "tree_size": end.TreeSize, "bytes": n}
	if cp != nil {
		v["checkpoint_size"] = cp.Size
	}
	return e.emit(v, func(w io.Writer) {
		fmt.Fprintf(w, "exported records %d to %d (%d bytes) to %s", *from, end.TreeSize-1, n, *out)
		if cp != nil {
			fmt.Fprintf(w, ", ending with the checkpoint of size %d", cp.Size)
		}
		fmt.Fprintln(w)
	})
}

// exportFile streams the export into a temporary file next to path and
// renames it into place once complete.
func (e *env) exportFile(ctx context.Context, path string, from, to int64) (*ledger.WireExportEnd, int64, error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return nil, 0, err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	bar := e.newProgress("exporting", "bytes", 0)
	cw := &countWriter{w: f, bar: bar}
	end, err := e.client().Export(ctx, from, to, cw)
	bar.Done()
	if err != nil {
		return nil, 0, err
	}
	if err := f.Sync(); err != nil {
		return nil, 0, err
	}
	if err := f.Close(); err != nil {
		return nil, 0, err
	}
	return end, cw.n.Load(), os.Rename(f.Name(), path)
}

// countWriter counts bytes and shows them on a progress bar.
type countWriter struct {
	w   io.Writer
	n   atomic.Int64
	bar *progress.Bar
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	total := c.n.Add(int64(n))
	c.bar.Set(total, total)
	return n, err
}
