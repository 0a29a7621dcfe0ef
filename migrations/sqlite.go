package migrations

import "embed"

// Sqlite holds the SQLite migrations, in the folder "sqlite": the same
// schema as [Postgres] in SQLite's dialect.
//
//go:embed sqlite/*.sql
var Sqlite embed.FS
