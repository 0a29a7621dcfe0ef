package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// System is what one run of signet uses from outside itself; tests give
// buffers and a map for the environment.
type System struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Getenv         func(string) string
	// HTTPClient talks to the server. Optional. Default http.DefaultClient.
	HTTPClient *http.Client
}

// command is one subcommand: its name, argument synopsis, a one-line
// summary, a longer description, and the function that parses its flags
// and runs it.
type command struct {
	name, synopsis, short, long string
	run                         func(ctx context.Context, cmd *command, e *env, args []string) error
}

// commands lists every subcommand in the order help shows them.
func commands() []*command {
	return []*command{keygenCmd, registerCmd, submitCmd, getCmd, listCmd, signersCmd, verifyCmd, checkpointCmd,
		rotateKeyCmd, revokeKeyCmd, exportCmd, auditCmd, receiptCmd, watchCmd, witnessCmd}
}

func lookup(name string) *command {
	for _, c := range commands() {
		if c.name == name {
			return c
		}
	}
	return nil
}

// Main runs signet with args and returns its exit code, having reported
// any error on sys.Stderr as one line and a hint.
func Main(ctx context.Context, args []string, sys System) int {
	err := Run(ctx, args, sys)
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		report(sys.Stderr, err)
	}
	return ExitCode(err)
}

// Run runs signet with args (without the program name): global flags,
// then a command, its flags and arguments.
func Run(ctx context.Context, args []string, sys System) error {
	e := newEnv(sys)
	fs := flag.NewFlagSet("signet", flag.ContinueOnError)
	e.g.register(fs)
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printUsage(sys.Stdout)
			return err
		}
		return usagef("%v", err)
	}
	rest := fs.Args()
	if len(rest) == 0 {
		printUsage(sys.Stderr)
		return usagef("no command given")
	}
	if rest[0] == "help" {
		return help(ctx, e, rest[1:])
	}
	c := lookup(rest[0])
	if c == nil {
		return usagef("unknown command %q; see signet help", rest[0])
	}
	return c.run(ctx, c, e, rest[1:])
}

// help prints the usage, or a command's: its run with -h prints it.
func help(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		printUsage(e.sys.Stdout)
		return nil
	}
	c := lookup(args[0])
	if c == nil {
		return usagef("unknown command %q; see signet help", args[0])
	}
	if err := c.run(ctx, c, e, []string{"-h"}); !errors.Is(err, flag.ErrHelp) {
		return err
	}
	return nil
}

const usageText = `signet is the Signet command-line client.

Usage:
  signet [global flags] COMMAND [flags] [args]

Commands:
%s
Global flags (also accepted after the command):
  --server URL       the server (env SIGNET_SERVER; default http://127.0.0.1:8080)
  --key FILE         the private key that signs (env SIGNET_KEY; default STATE/key.jwk)
  --state-dir DIR    pinned log keys and last checkpoints
                     (default $XDG_CONFIG_HOME/signet, or ~/.config/signet)
  --admin-token-file FILE
                     read the admin bearer token from FILE, mode 0600
                     (env SIGNET_ADMIN_TOKEN_FILE)
  --token-file FILE  read the reader bearer token for reads from FILE, mode 0600
                     (env SIGNET_TOKEN_FILE)
  --admin-token TOK  the admin token itself (env SIGNET_ADMIN_TOKEN); on the
                     command line it shows in ps: signet warns
  --token TOK        the reader token itself (env SIGNET_TOKEN); warns likewise
  --json             machine-readable output, one JSON object per line
` + exitCodesText + `
Run "signet help COMMAND" for a command's flags.
`

const exitCodesText = `
Exit codes:
  0  success
  1  error (the server refused or could not be reached, a file could not be read)
  2  usage (unknown command or flag, missing argument or option)
  3  verification failed (a local check failed, the server and the local
     checks disagree, a fork, or an audit found damage)
`

func printUsage(w io.Writer) {
	var b strings.Builder
	for _, c := range commands() {
		fmt.Fprintf(&b, "  %-11s %s\n", c.name, c.short)
	}
	fmt.Fprintf(w, usageText, b.String())
}

// flagSet returns c's flags, global flags included, writing nowhere.
func (c *command) flagSet(e *env) *flag.FlagSet {
	fs := flag.NewFlagSet("signet "+c.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	e.g.register(fs)
	return fs
}

// usage prints c's help: synopsis, summary, flags and exit codes.
func (c *command) usage(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprintf(w, "Usage: signet %s %s\n\n%s\n\nFlags:\n", c.name, c.synopsis, wrap(c.long, 76))
	fs.SetOutput(w)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
	fmt.Fprint(w, exitCodesText)
}

// parse parses args with fs, accepting flags before, between and after
// positional arguments ("--" ends the flags), and returns the positional
// arguments. -h and --help print c's usage and return [flag.ErrHelp].
func (c *command) parse(e *env, fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		err := fs.Parse(args)
		if errors.Is(err, flag.ErrHelp) {
			c.usage(e.sys.Stdout, fs)
			return nil, err
		}
		if err != nil {
			return nil, usagef("%s: %v", c.name, err)
		}
		consumed := len(args) - fs.NArg()
		if consumed > 0 && args[consumed-1] == "--" {
			return append(pos, fs.Args()...), e.resolveTokens()
		}
		if fs.NArg() == 0 {
			return pos, e.resolveTokens()
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// wantArgs checks the number of positional arguments.
func (c *command) wantArgs(pos []string, min, max int) error {
	switch {
	case len(pos) < min:
		return usagef("%s: missing argument; usage: signet %s %s", c.name, c.name, c.synopsis)
	case len(pos) > max:
		return usagef("%s: unexpected argument %q; usage: signet %s %s", c.name, pos[max], c.name, c.synopsis)
	}
	return nil
}

// wrap breaks text into lines of at most width columns, between words.
func wrap(text string, width int) string {
	var b strings.Builder
	n := 0
	for _, w := range strings.Fields(text) {
		if n > 0 && n+1+len(w) > width {
			b.WriteByte('\n')
			n = 0
		} else if n > 0 {
			b.WriteByte(' ')
			n++
		}
		b.WriteString(w)
		n += len(w)
	}
	return b.String()
}
