package signettest

import (
	"log/slog"

	"github.com/signet-ledger/signet/client"
)

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }

// IsProblem reports whether err is a problem answer named name.
func IsProblem(err error, name string) bool { return client.IsProblem(err, name) }
