package main

import (
	"context"
	"fmt"
	"io"
)

var signersCmd = &command{
	name:     "signers",
	synopsis: "",
	short:    "list every signer with its key counts and status",
	long: "List the server's signer directory in id order: each signer, when it was registered, how many of its keys " +
		"are active and revoked, and its status (active while it has an active key, else inactive).",
	run: runSigners,
}

func runSigners(ctx context.Context, cmd *command, e *env, args []string) error {
	fs := cmd.flagSet(e)
	pos, err := cmd.parse(e, fs, args)
	if err != nil {
		return err
	}
	if err := cmd.wantArgs(pos, 0, 0); err != nil {
		return err
	}
	for s, err := range e.client().Signers(ctx, 1000) {
		if err != nil {
			return err
		}
		err := e.emit(s, func(w io.Writer) {
			fmt.Fprintf(w, "%-32s %-8s %3d active %3d revoked  registered %s at %d\n",
				safe(s.Signer), safe(s.Status), s.ActiveKeys, s.RevokedKeys, safe(s.RegisteredAt), s.LogIndex)
		})
		if err != nil {
			return err
		}
	}
	return nil
}
