#!/usr/bin/env bash
# scripts/run.sh — build and run signetd locally (the README's "run the
# service" command). Arguments are passed to signetd unchanged:
#
#     scripts/run.sh [signetd flags...]
#
# Store: if DATABASE_URL is set it is used as is (a postgres:// URL, or
# sqlite:PATH). Otherwise signetd keeps the log in SQLite at
# <data-dir>/signet.db, which needs nothing installed. With
# SIGNET_STORE=postgres instead, a persistent
# private PostgreSQL cluster is started (or reused if already running) in
# <repo>/.signet/pg, listening only on a Unix socket in <repo>/.signet/pg/sock
# with port number 54329 (override with SIGNET_PG_PORT), and DATABASE_URL is
# exported for it. The cluster keeps running after signetd exits, so restarts
# are fast and data persists; stop it with scripts/pg-stop.sh.
#
# SIGNET_DATA_DIR defaults to <repo>/.signet/data.
#
# signetd is built to <repo>/.signet/bin/signetd and exec'd (rather than
# `go run`), so signals such as ^C / SIGTERM reach signetd directly.
#
# As root, PostgreSQL itself runs as the `postgres` OS user (see pg.sh).
set -euo pipefail

repo=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)
# shellcheck source=scripts/pg.sh
source "$repo/scripts/pg.sh"

# The store: DATABASE_URL if set; else, with SIGNET_STORE=postgres, a
# private PostgreSQL cluster in .signet/pg; else (the default) SQLite in
# .signet/data/signet.db, which needs nothing installed.
if [[ -z ${DATABASE_URL:-} && ${SIGNET_STORE:-sqlite} == postgres ]]; then
	pg_dir=$repo/.signet/pg
	pg_port=${SIGNET_PG_PORT:-54329}
	pg_start "$pg_dir" "$pg_port"
	DATABASE_URL=$(pg_url "$pg_dir" "$pg_port")
	export DATABASE_URL
	printf 'signet: DATABASE_URL=%s (stop the cluster with scripts/pg-stop.sh)\n' "$DATABASE_URL" >&2
fi

export SIGNET_DATA_DIR=${SIGNET_DATA_DIR:-$repo/.signet/data}
mkdir -p -m 0700 -- "$SIGNET_DATA_DIR"

cd -- "$repo"
mkdir -p .signet/bin
go build -o .signet/bin/signetd ./cmd/signetd
exec "$repo/.signet/bin/signetd" "$@"
