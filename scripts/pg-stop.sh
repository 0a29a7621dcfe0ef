#!/usr/bin/env bash
# scripts/pg-stop.sh — stop the persistent development PostgreSQL cluster
# that scripts/run.sh starts in <repo>/.signet/pg. Its data is kept; the next
# scripts/run.sh starts it again. (To wipe it: stop it, then rm -rf .signet/pg.)
# Does nothing if the cluster does not exist or is not running.
set -euo pipefail

repo=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)
# shellcheck source=scripts/pg.sh
source "$repo/scripts/pg.sh"

pg_stop "$repo/.signet/pg"
