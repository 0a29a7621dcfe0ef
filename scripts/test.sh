#!/usr/bin/env bash
# scripts/test.sh — run the whole test suite (the README's "run the tests"
# command, also used by CI via .ci/run).
#
#     scripts/test.sh                      # gofmt, go vet, go test ./...
#     scripts/test.sh -run Foo ./api/      # same, but go test -run Foo ./api/
#
# Steps, in order, stopping at the first failure:
#   1. gofmt -l: fail if any Go file is not gofmt'ed (hidden dirs such as
#      .git and .signet are skipped);
#   2. go vet ./...
#   3. go test -count=1 -timeout 20m ARGS, where ARGS defaults to ./... ;
#      any arguments given to this script replace ./... (so include the
#      package pattern yourself when passing flags). A -timeout in ARGS wins.
# The exit status is that of the failing step, i.e. go test's status.
#
# Database: if DATABASE_URL is set it is used as is. Otherwise a disposable
# PostgreSQL cluster (fsync off) is created in a mktemp -d directory on a free
# port, and stopped and deleted on exit, ^C, SIGHUP or SIGTERM.
# SIGNET_TEST_REQUIRE_DB=1 is exported so DB tests fail instead of skipping
# when the database is unreachable. The external tools the suite runs
# (scripts/tools.sh) are installed into a cache first; a test
# whose tool is missing fails, as one whose database is missing does.
set -euo pipefail

repo=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)
# shellcheck source=scripts/pg.sh
source "$repo/scripts/pg.sh"

tmp=''

# cleanup — stop the disposable cluster (if any) and delete its directory.
# shellcheck disable=SC2317 # invoked via trap
cleanup() {
	if [[ -n $tmp ]]; then
		pg_stop "$tmp/pg" || true
		rm -rf -- "$tmp"
		tmp=''
	fi
}

# Signals. go vet / go test run as a separate process group (setsid) that
# we wait for in the background, so a signal to this script is handled at
# once: it is forwarded to the whole group (go and its test binaries), then
# the EXIT trap stops PostgreSQL and deletes the temp dir. (Background jobs
# of a non-interactive bash start with SIGINT ignored; env --default-signal
# undoes that.) Without setsid or a coreutils env that has --default-signal
# (< 8.31), steps run in the foreground: ^C still works through the
# terminal, but a SIGTERM sent to this script alone waits for the step.
child=''
use_pgrp=''
if command -v setsid >/dev/null 2>&1 && env --default-signal=INT true 2>/dev/null; then
	use_pgrp=1
fi

# run_step CMD... — run one step as described above; return its status.
run_step() {
	local rc=0
	if [[ -n $use_pgrp ]]; then
		setsid env --default-signal=INT,QUIT "$@" &
		child=$!
		wait "$child" || rc=$?
		child=''
	else
		"$@" || rc=$?
	fi
	return "$rc"
}

# on_signal SIG CODE — forward SIG to the running step's group and exit.
# shellcheck disable=SC2317 # invoked via trap
on_signal() {
	trap - HUP INT TERM
	if [[ -n $child ]]; then
		kill -s "$1" -- "-$child" 2>/dev/null || true
		wait "$child" 2>/dev/null || true
	fi
	exit "$2"
}

trap cleanup EXIT
trap 'on_signal HUP 129' HUP
trap 'on_signal INT 130' INT
trap 'on_signal TERM 143' TERM

if [[ -z ${DATABASE_URL:-} ]]; then
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/signet-test.XXXXXX")
	if [[ $EUID -eq 0 ]]; then
		# The server runs as the postgres user: let it through to $tmp/pg
		# (pg_start chowns $tmp/pg itself; $tmp stays root's for cleanup).
		chmod 0711 -- "$tmp"
	fi
	port=$(free_port)
	PG_FSYNC=off pg_start "$tmp/pg" "$port"
	DATABASE_URL=$(pg_url "$tmp/pg" "$port")
fi
export DATABASE_URL
export SIGNET_TEST_REQUIRE_DB=1

# External tools the suite runs against (Tessera's fsck, witnesses): built
# once into a cache and reused (scripts/tools.sh).
# shellcheck source=scripts/tools.sh
source "$repo/scripts/tools.sh"
signet_tools

cd -- "$repo"

# 1. gofmt. Equivalent to `gofmt -l .` but skipping hidden directories
# (.git, .signet holding the dev cluster's data, ...).
echo '==> gofmt -l' >&2
unformatted=$(find . -name '.?*' -prune -o -type f -name '*.go' -print0 | xargs -0 -r gofmt -l)
if [[ -n $unformatted ]]; then
	printf 'signet: these files need gofmt -w:\n%s\n' "$unformatted" >&2
	exit 1
fi

# 2. go vet.
echo '==> go vet ./...' >&2
run_step go vet ./...

# 3. go test.
full=''
if [[ $# -eq 0 ]]; then
	set -- ./...
	full=1
fi
echo "==> go test -count=1 -timeout 20m $*" >&2
rc=0
run_step go test -count=1 -timeout 20m "$@" || rc=$?
if [[ $rc -ne 0 || -z $full ]]; then
	exit "$rc"
fi

# Every fuzz target runs a bounded number of inputs on top of its seeds
# (SIGNET_FUZZTIME, default 5000x; 0 skips). A crasher fails the suite and is
# written to testdata/fuzz, where it becomes a regression test. The budget is
# a count, not a duration: with a duration Go 1.26's fuzz coordinator can
# report "context deadline exceeded" at the deadline on a loaded machine with
# no crasher at all (go.dev/issue/75804, fixed in Go 1.27); a count has no
# deadline to race.
fuzztime=${SIGNET_FUZZTIME:-5000x}
if [[ $fuzztime != 0 ]]; then
	fuzzed=0
	fuzzlog=$(mktemp "${TMPDIR:-/tmp}/signet-fuzz.XXXXXX")
	for pkg in $(go list ./...); do
		dir=$(go list -f '{{.Dir}}' "$pkg")
		for target in $(go test -list '^Fuzz' "$pkg" | grep '^Fuzz' || true); do
			echo "==> fuzz $pkg $target ($fuzztime)" >&2
			# A failure that wrote no new input under testdata/fuzz/TARGET
			# is the fuzz engine's, not the code's: print its log and run
			# the target once more. A second failure, or any crasher, fails.
			for try in 1 2; do
				before=$(ls -- "$dir/testdata/fuzz/$target" 2>/dev/null | sort || true)
				if run_step go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" -fuzzminimizetime 5s "$pkg" >"$fuzzlog" 2>&1; then
					break
				fi
				cat "$fuzzlog" >&2
				after=$(ls -- "$dir/testdata/fuzz/$target" 2>/dev/null | sort || true)
				if [[ $try == 1 && $before == "$after" ]]; then
					echo "signet: fuzz target $target failed without writing a crasher; retrying once" >&2
					continue
				fi
				rm -f -- "$fuzzlog"
				echo "signet: fuzz target $target in $pkg failed; run: go test -run '^\$' -fuzz '^$target\$' $pkg" >&2
				exit 1
			done
			fuzzed=$((fuzzed + 1))
		done
	done
	rm -f -- "$fuzzlog"
	echo "==> $fuzzed fuzz targets ran $fuzztime each" >&2
fi
exit 0
