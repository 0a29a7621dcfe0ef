// Command signet-bench measures Signet on one machine: how fast signetd
// appends signed entries, and how the cost of reads, audit and storage
// grows with the log.
//
// Usage:
//
//	signet-bench run       [flags]  append throughput and latency, group commit against the naive baseline
//	signet-bench load      [flags]  grow a log to N valid signed records straight in PostgreSQL
//	signet-bench scale     [flags]  verify, proof and audit cost, storage and append rate at a loaded log
//	signet-bench flood     [flags]  a legitimate client's latency beside floods of invalid batches; server memory under attacker-chosen kids
//	signet-bench witnessed [flags]  append throughput with witnesses configured against none, same run
//	signet-bench catchup   [flags]  how long a fresh signet witness takes to catch up a loaded log
//	signet-bench tiles     [flags]  tile read throughput: cached full tiles and bundles against partial ones
//
// Each subcommand prints its results as a table on standard output (flood:
// one for latency, one for memory) and its progress on standard error;
// "signet-bench CMD -h" lists its flags.
// docs/PERFORMANCE.md has the commands behind every published number.
//
// # Servers
//
// run, scale, flood, witnessed, catchup and tiles start signetd themselves
// from a built binary (--signetd),
// each server on its own PostgreSQL schema of --database-url and its own
// loopback port, so every mode starts from an empty log and every process
// is one this tool can read CPU time and peak RSS of. run can instead drive
// servers that are already running (--server, --baseline-server).
//
// # Clients
//
// Entries are signed before the clock starts: the nonces come from HEAD
// /v1/nonce and from the Replay-Nonce of earlier answers, and the client
// sends bytes it prepared. What the clock measures is the HTTP round trip,
// the server and PostgreSQL, with client, server and database sharing the
// machine's cores.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := Run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "signet-bench:", err)
		}
		os.Exit(1)
	}
}

const usageText = `usage: signet-bench run|load|scale|flood|witnessed|catchup|tiles [flags]

  run    append throughput and latency at several concurrency levels,
         single and batch endpoint, against the naive baseline
  load   grow a log to N valid signed records straight in PostgreSQL
  scale  verify, proof and audit cost, storage and append rate at a loaded log
  search content-search latency and index size on a store filled to N records
  flood  a legitimate client's latency beside floods of invalid batches, and
         the server's memory under attacker-chosen kids and addresses
  witnessed  append throughput with witnesses on loopback against none,
         alternating, same run
  catchup  time a fresh signet witness catching up a loaded log
  tiles  /tlog/tile read throughput, cached full tiles against partial ones
`

// Run runs the subcommand named by args[0], writing results to stdout and
// progress to stderr.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usageText)
		return flag.ErrHelp
	}
	cmds := map[string]func(context.Context, []string, io.Writer, io.Writer) error{
		"run": runCmd, "load": loadCmd, "scale": scaleCmd, "flood": floodCmd, "search": searchCmd,
		"witnessed": witnessedCmd, "catchup": catchUpCmd, "tiles": tilesCmd,
	}
	cmd, ok := cmds[args[0]]
	if !ok {
		fmt.Fprint(stderr, usageText)
		return fmt.Errorf("unknown command %q", args[0])
	}
	return cmd(ctx, args[1:], stdout, stderr)
}
