#!/usr/bin/env bash
# scripts/tools.sh — install the external tools the test suite runs against
# Signet: implementations no one here wrote, pinned to exact versions.
#
#     source scripts/tools.sh && signet_tools   # from test.sh
#     scripts/tools.sh                          # install them now, print paths
#
# Each tool is built with `go install` once into its own versioned folder
# under the cache ($SIGNET_TOOLS_DIR, default ~/.cache/signet/tools) and
# reused by every later run while its binary is there, so CI rebuilds
# nothing it already has. signet_tools exports one variable per tool with
# the binary's path, which the tests read:
#
#   SIGNET_FSCK         Tessera's log auditor (github.com/transparency-dev/tessera/cmd/fsck)
#   SIGNET_OMNIWITNESS  transparency-dev's witness (github.com/transparency-dev/witness/cmd/omniwitness)
#   SIGNET_LITEWITNESS  torchwood's witness and its admin tool, witnessctl
#   SIGNET_WITNESSCTL   (filippo.io/torchwood/cmd/litewitness, .../witnessctl)
#   SIGNET_CHROMIUM     Debian's chromium, the headless browser that drives the
#                       explorer's tests (ui/browser_test.go): not built but
#                       taken from PATH, installed with apt-get as root when
#                       missing, as scripts/pg.sh does for PostgreSQL
#
# A tool that fails to install is reported and left unset; the tests that
# need it then fail (signettest.Tool), as a test without its database does.

signet_tools_dir=${SIGNET_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/signet/tools}

# signet_tool VAR BINARY MODULE_PATH@VERSION — install one tool (if its
# binary is not cached yet) and export VAR as its path.
signet_tool() {
	local var=$1 bin=$2 pkg=$3
	local dir="$signet_tools_dir/${pkg//\//_}"
	if [[ ! -x $dir/$bin ]]; then
		echo "==> go install $pkg (cached in $dir)" >&2
		mkdir -p -- "$dir"
		if ! GOBIN=$dir GOFLAGS=-buildvcs=false GOTOOLCHAIN=local go install "$pkg" >&2; then
			echo "signet: could not install $pkg; tests that run $bin will fail or skip" >&2
			return 0
		fi
	fi
	export "$var=$dir/$bin"
}

# signet_chromium — export SIGNET_CHROMIUM as the path of chromium, first
# installing Debian's package when it is missing and we are root (as
# scripts/pg.sh does for PostgreSQL); otherwise say what to install.
signet_chromium() {
	local p
	if ! p=$(command -v chromium) && [[ $EUID -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
		echo "==> chromium not found; installing Debian's chromium package" >&2
		if ! { DEBIAN_FRONTEND=noninteractive apt-get update >&2 &&
			DEBIAN_FRONTEND=noninteractive apt-get install -y chromium >&2; }; then
			echo "signet: apt-get install chromium failed" >&2
		fi
		p=$(command -v chromium) || p=''
	fi
	if [[ -z $p ]]; then
		echo "signet: chromium not found; the explorer's browser tests will fail. Install it with: sudo apt-get install chromium" >&2
		return 0
	fi
	export SIGNET_CHROMIUM=$p
}

# signet_tools — install every tool the suite runs.
signet_tools() {
	signet_tool SIGNET_FSCK fsck github.com/transparency-dev/tessera/cmd/fsck@v1.0.4
	signet_tool SIGNET_OMNIWITNESS omniwitness github.com/transparency-dev/witness/cmd/omniwitness@v0.0.0-20260720115447-2e1c6971d19e
	signet_tool SIGNET_LITEWITNESS litewitness filippo.io/torchwood/cmd/litewitness@v0.6.1
	signet_tool SIGNET_WITNESSCTL witnessctl filippo.io/torchwood/cmd/witnessctl@v0.6.1
	signet_chromium
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
	set -euo pipefail
	signet_tools
	env | grep '^SIGNET_\(FSCK\|OMNIWITNESS\|LITEWITNESS\|WITNESSCTL\|CHROMIUM\)=' | sort
fi
