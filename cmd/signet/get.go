package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"

	"github.com/signet-ledger/signet/client"
)

var getCmd = &command{
	name:     "get",
	synopsis: "INDEX",
	short:    "show one record",
	long:     "Show the record at INDEX, as the server has it (use verify to check it).",
	run:      runGet,
}

func runGet(ctx context.Context, cmd *command, e *env, args []string) error {
	fs := cmd.flagSet(e)
	pos, err := cmd.parse(e, fs, args)
	if err != nil {
		return err
	}
	if err := cmd.wantArgs(pos, 1, 1); err != nil {
		return err
	}
	i, err := parseIndex(pos[0])
	if err != nil {
		return err
	}
	r, err := e.client().Entry(ctx, i)
	if err != nil {
		return err
	}
	return e.emit(r, func(w io.Writer) { printRecord(w, r) })
}

// parseIndex parses a log index argument.
func parseIndex(s string) (int64, error) {
	i, err := strconv.ParseInt(s, 10, 64)
	if err != nil || i < 0 {
		return 0, usagef("%q is not a log index (a number from 0)", s)
	}
	return i, nil
}

// printRecord shows r for a human.
func printRecord(w io.Writer, r *client.Record) {
	fmt.Fprintf(w, "index       %d\nkind        %s\nsigner      %s\n", r.Index, safe(r.Kind), safe(r.Signer))
	kid := safe(r.KID)
	if kid == "" {
		kid = "(none: made by the operator)"
	}
	fmt.Fprintf(w, "kid         %s\ntime        %s\nhash        %s\nprev_hash   %s\n", kid, safe(r.IntegratedTime), safe(r.Hash), safe(r.PrevHash))
	var pretty bytes.Buffer
	if json.Indent(&pretty, r.Payload, "            ", "  ") != nil {
		pretty.Reset()
		pretty.Write(r.Payload)
	}
	fmt.Fprintf(w, "payload     %s\n", safeLines(pretty.String()))
}
