package main

import (
	"context"
	"fmt"
	"io"

	"github.com/signet-ledger/signet/client"
)

var revokeKeyCmd = &command{
	name:     "revoke-key",
	synopsis: "--signer ID --kid KID [--reason TEXT] [--compromised-since INDEX] [--operator]",
	short:    "revoke a signer's key, by one of its keys or the operator",
	long: "Revoke the signer's key KID: signed by another active key of the signer (--key), or with " +
		"--operator by the operator's admin token, which may also revoke a signer's last key. " +
		"--compromised-since flags the key's records from that log index on as suspect.",
	run: runRevokeKey,
}

func runRevokeKey(ctx context.Context, cmd *command, e *env, args []string) error {
	fs := cmd.flagSet(e)
	signer := fs.String("signer", "", "the signer `ID`")
	kid := fs.String("kid", "", "the `KID` of the key to revoke (also accepted as an argument)")
	reason := fs.String("reason", "", "why, in words")
	since := fs.Int64("compromised-since", -1, "the first log `INDEX` from which the key's records are suspect")
	operator := fs.Bool("operator", false, "revoke as the operator, with the admin token, instead of signing with --key")
	pos, err := cmd.parse(e, fs, args)
	if err != nil {
		return err
	}
	if err := cmd.wantArgs(pos, 0, 1); err != nil {
		return err
	}
	if len(pos) == 1 && *kid == "" {
		*kid = pos[0]
	}
	if *signer == "" || *kid == "" {
		return usagef("revoke-key: --signer and --kid are required")
	}
	req := client.RevokeRequest{Reason: *reason}
	if *since >= 0 {
		req.CompromisedSince = since
	}
	c := e.client()
	var ev *client.KeyEvent
	if *operator {
		if err := e.needAdmin("revoke-key --operator"); err != nil {
			return err
		}
		ev, err = c.RevokeAsOperator(ctx, *signer, *kid, req)
	} else {
		k, kerr := e.loadKey()
		if kerr != nil {
			return kerr
		}
		ev, err = c.Revoke(ctx, *signer, *kid, k, req)
	}
	if err != nil {
		return err
	}
	if err := e.checkKeyEvent(ctx, c, ev); err != nil {
		return err
	}
	return e.emit(ev, func(w io.Writer) {
		fmt.Fprintf(w, "revoked key %s of %s at log index %d\n", safe(ev.KID), safe(ev.Signer), ev.LogIndex)
	})
}
