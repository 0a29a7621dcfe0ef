// Package migrations holds the SQL schema of each store, embedded in the
// binary and applied with pressly/goose at start-up and by "signetd migrate".
package migrations

import "embed"

// Postgres holds the PostgreSQL migrations, in the folder "postgres".
//
//go:embed postgres/*.sql
var Postgres embed.FS
