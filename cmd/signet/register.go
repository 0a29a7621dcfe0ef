package main

import (
	"context"
	"fmt"
	"io"
)

var registerCmd = &command{
	name:     "register",
	synopsis: "--signer ID [--key FILE]",
	short:    "register a signer with a key (needs the admin token)",
	long:     "Register a signer with the key in --key; the request is signed by that key (proof of possession) and needs the admin token.",
	run:      runRegister,
}

func runRegister(ctx context.Context, cmd *command, e *env, args []string) error {
	fs := cmd.flagSet(e)
	signer := fs.String("signer", "", "the new signer's `ID` (1 to 128 of a-z 0-9 . _ @ -)")
	pos, err := cmd.parse(e, fs, args)
	if err != nil {
		return err
	}
	if err := cmd.wantArgs(pos, 0, 0); err != nil {
		return err
	}
	if *signer == "" {
		return usagef("register: --signer is required")
	}
	if err := e.needAdmin("register"); err != nil {
		return err
	}
	k, err := e.loadKey()
	if err != nil {
		return err
	}
	c := e.client()
	ev, err := c.Register(ctx, *signer, k, nil)
	if err != nil {
		return err
	}
	if err := e.checkKeyEvent(ctx, c, ev); err != nil {
		return err
	}
	return e.emit(ev, func(w io.Writer) {
		fmt.Fprintf(w, "registered signer %s with key %s at log index %d\n", safe(ev.Signer), safe(ev.KID), ev.LogIndex)
	})
}
