#!/usr/bin/env bash
# scripts/pg.sh — helpers for running a private PostgreSQL cluster for Signet.
#
# This file is a library: source it from another bash script
#
#     source "$repo/scripts/pg.sh"
#     pg_start "$dir" 54329
#     DATABASE_URL=$(pg_url "$dir" 54329)
#     ...
#     pg_stop "$dir"
#
# It can also be executed directly for one-off use, e.g.
#     scripts/pg.sh start DIR PORT | url DIR PORT | stop DIR | find_bin | free_port
#
# Functions
#   pg_find_bin       print the PostgreSQL server bin dir (also sets PG_BIN);
#                     as root, installs Debian's `postgresql` package if needed.
#   pg_start DIR PORT create (if absent) and start a cluster in DIR/data that
#                     listens only on a Unix socket in DIR/sock, named by PORT
#                     (.s.PGSQL.PORT); log in DIR/postgres.log; ensure the
#                     `signet` database exists. Reuses a running cluster.
#   pg_url DIR PORT   print the DATABASE_URL for that cluster.
#   pg_stop DIR       stop the cluster (pg_ctl stop -m fast); no-op if stopped.
#   free_port         print a currently unused TCP port number.
#
# Environment knobs
#   PG_FSYNC=off      for disposable clusters: fsync, synchronous_commit and
#                     full_page_writes off (and initdb --no-sync). Default: on.
#                     Applied when the server starts (settings are rewritten
#                     to DIR/data/signet.conf), not to an already running one.
#   PG_BIN            use this bin dir instead of searching (must hold initdb).
#   PG_START_TIMEOUT  seconds to wait for the server to accept connections (30).
#
# Privileges
#   PostgreSQL refuses to run as root. When these functions run as root, the
#   server-side programs (initdb, pg_ctl, postgres) run as the `postgres` OS
#   user (or, for an existing cluster, as the owner of DIR/data). DIR is then
#   chowned to that user and every parent directory must be traversable by it.
#   As an ordinary user everything runs directly as that user.
#
# Security: authentication is `trust`, so the socket directory is made
# private (mode 0700, unix_socket_permissions=0700): only the server's OS
# user (and root) can connect. Never expose these clusters on TCP.
#
# Functions never rely on `set -e` (callers may invoke them from `if` or
# `||`, which disables errexit); they check each step and return non-zero.

# Default install root searched for versioned bin dirs (Debian/Ubuntu layout).
: "${SIGNET_PG_LIBDIR:=/usr/lib/postgresql}"

# Unix socket paths are limited to ~107 bytes (sun_path); stay well below.
_PG_SOCK_MAX=100

# _pg_log MSG... — print a message to stderr with a recognisable prefix.
_pg_log() {
	printf 'signet: %s\n' "$*" >&2
}

# _pg_has_initdb DIR — true if DIR holds an executable initdb and pg_ctl.
_pg_has_initdb() {
	[[ -n $1 && -x $1/initdb && -x $1/pg_ctl ]]
}

# _pg_search_bin — print the best server bin dir found, or fail silently.
_pg_search_bin() {
	local d cfg
	# 1. newest versioned dir, e.g. /usr/lib/postgresql/15/bin (sort -V so
	#    that 9.6 < 10 < 15 < 16).
	while IFS= read -r d; do
		if _pg_has_initdb "$d"; then
			printf '%s\n' "$d"
			return 0
		fi
	done < <(compgen -G "$SIGNET_PG_LIBDIR/*/bin" | sort -rV)
	# 2. pg_config --bindir (Homebrew, RHEL /usr/pgsql-N, source builds...).
	if command -v pg_config >/dev/null 2>&1; then
		cfg=$(pg_config --bindir 2>/dev/null) || cfg=
		if _pg_has_initdb "$cfg"; then
			printf '%s\n' "$cfg"
			return 0
		fi
	fi
	# 3. initdb on PATH.
	if d=$(command -v initdb 2>/dev/null) && [[ -n $d ]]; then
		d=$(dirname -- "$(readlink -f -- "$d")")
		if _pg_has_initdb "$d"; then
			printf '%s\n' "$d"
			return 0
		fi
	fi
	return 1
}

# pg_find_bin — locate the PostgreSQL server binaries; print the bin dir and
# set PG_BIN. As root with none installed, install Debian's package.
pg_find_bin() {
	local d
	if [[ -n ${PG_BIN:-} ]] && _pg_has_initdb "$PG_BIN"; then
		printf '%s\n' "$PG_BIN"
		return 0
	fi
	if d=$(_pg_search_bin); then
		PG_BIN=$d
		printf '%s\n' "$PG_BIN"
		return 0
	fi
	if [[ $EUID -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
		# Note: Debian's package also creates and starts a "main" cluster on
		# port 5432. That is harmless here; we never use it.
		_pg_log "PostgreSQL server binaries not found; installing Debian's postgresql package"
		if ! { DEBIAN_FRONTEND=noninteractive apt-get update >&2 &&
			DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql >&2; }; then
			_pg_log "apt-get install postgresql failed"
			return 1
		fi
		if d=$(_pg_search_bin); then
			PG_BIN=$d
			printf '%s\n' "$PG_BIN"
			return 0
		fi
	fi
	_pg_log "PostgreSQL server binaries not found; install them with: sudo apt-get install postgresql"
	return 1
}

# _pg_abs DIR — print DIR as an absolute, symlink-free path (DIR must exist).
_pg_abs() {
	(cd -- "$1" && pwd -P)
}

# _pg_runas DIR — print the OS user the server programs must run as, or an
# empty string when they run as the current (non-root) user.
_pg_runas() {
	local dir=$1 owner
	if [[ $EUID -ne 0 ]]; then
		printf '\n'
		return 0
	fi
	if [[ -d $dir/data ]]; then
		# An existing cluster keeps running as whoever owns it.
		owner=$(stat -c %U -- "$dir/data") || return 1
		if [[ $owner == root || $owner == UNKNOWN ]]; then
			_pg_log "$dir/data is owned by '$owner'; PostgreSQL cannot run as root. Fix with: chown -R postgres: $dir"
			return 1
		fi
		printf '%s\n' "$owner"
		return 0
	fi
	if ! id -u postgres >/dev/null 2>&1; then
		_pg_log "running as root but there is no 'postgres' OS user to run the server as (install the postgresql package, or run as an ordinary user)"
		return 1
	fi
	printf 'postgres\n'
}

# _pg_as USER CMD... — run CMD as USER (directly if USER is empty). Runs from
# / so that a cwd the user cannot enter (e.g. /root) does not break pg_ctl.
_pg_as() {
	local user=$1
	shift
	if [[ -z $user ]]; then
		"$@"
	elif command -v runuser >/dev/null 2>&1; then
		(cd / && runuser -u "$user" -- "$@")
	else
		# su passes the extra arguments to the shell as "$@".
		(cd / && su "$user" -s /bin/sh -c 'exec "$@"' -- sh "$@")
	fi
}

# _pg_check_traversable USER DIR — as root, ensure USER can reach DIR: every
# ancestor directory needs search (x) permission for USER.
_pg_check_traversable() {
	local user=$1 dir=$2 p=''
	[[ -z $user ]] && return 0
	local -a parts
	IFS=/ read -r -a parts <<<"${dir#/}"
	local part
	for part in "${parts[@]}"; do
		p+=/$part
		if ! _pg_as "$user" test -x "$p"; then
			_pg_log "the '$user' OS user cannot traverse $p (needed to reach $dir)."
			_pg_log "fix with 'chmod o+x $p', or use a cluster directory elsewhere (e.g. under /tmp or /var/tmp)"
			return 1
		fi
	done
}

# _pg_sockdir DIR PORT — print the socket directory for the cluster in DIR.
# Normally DIR/sock; if that path would be too long, pg_start records a short
# mktemp dir under /tmp in DIR/sockdir instead.
_pg_sockdir() {
	local dir=$1 alt=''
	if [[ -f $dir/sockdir ]]; then
		IFS= read -r alt <"$dir/sockdir" || true
	fi
	if [[ -n $alt ]]; then
		printf '%s\n' "$alt"
	else
		printf '%s\n' "$dir/sock"
	fi
}

# _pg_prepare_sockdir USER DIR PORT — create the private socket directory
# (choosing a short /tmp fallback if needed) and print its path.
_pg_prepare_sockdir() {
	local user=$1 dir=$2 port=$3 sock alt=''
	sock=$dir/sock
	if (($(_pg_bytes "$sock/.s.PGSQL.$port") < _PG_SOCK_MAX)); then
		# The normal case: DIR/sock/.s.PGSQL.PORT is short enough.
		rm -f -- "$dir/sockdir"
		if [[ ! -d $sock ]]; then
			_pg_as "$user" mkdir -p -- "$sock" || return 1
		fi
		_pg_as "$user" chmod 0700 -- "$sock" || return 1
		printf '%s\n' "$sock"
		return 0
	fi
	# DIR is too deep: reuse the recorded /tmp dir if it is still ours,
	# otherwise make a new one.
	if [[ -f $dir/sockdir ]]; then
		IFS= read -r alt <"$dir/sockdir" || true
	fi
	local want_uid
	want_uid=$(id -u ${user:+"$user"}) || return 1
	if [[ -z $alt || ! -d $alt || -L $alt || $(stat -c %u -- "$alt") != "$want_uid" ]]; then
		alt=$(_pg_as "$user" mktemp -d /tmp/signet-pg.XXXXXX) || return 1
		printf '%s\n' "$alt" | _pg_as "$user" tee -- "$dir/sockdir" >/dev/null || return 1
	fi
	_pg_as "$user" chmod 0700 -- "$alt" || return 1
	_pg_log "cluster path $dir is too long for a Unix socket; using socket directory $alt instead"
	printf '%s\n' "$alt"
}

# _pg_bytes STRING — print the length of STRING in bytes (not characters).
_pg_bytes() {
	local LC_ALL=C
	printf '%s\n' "${#1}"
}

# _pg_conf_quote VALUE — quote VALUE for postgresql.conf ('' escapes ').
_pg_conf_quote() {
	printf "'%s'" "${1//\'/\'\'}"
}

# _pg_running USER DATA — true if a postmaster is running on DATA.
_pg_running() {
	[[ -f $2/postmaster.pid ]] || return 1
	_pg_as "$1" "$PG_BIN/pg_ctl" status -D "$2" >/dev/null 2>&1
}

# _pg_pick_bin_for DATA — make PG_BIN match the major version that created
# the cluster in DATA (a v15 cluster can't be started by v16 binaries).
_pg_pick_bin_for() {
	local data=$1 want have cand
	[[ -f $data/PG_VERSION ]] || return 0
	IFS= read -r want <"$data/PG_VERSION" || return 1
	have=$("$PG_BIN/pg_ctl" --version | awk '{print $3}')
	have=${have%%.*}
	[[ $have == "$want" ]] && return 0
	cand=$SIGNET_PG_LIBDIR/$want/bin
	if _pg_has_initdb "$cand"; then
		PG_BIN=$cand
		return 0
	fi
	_pg_log "the cluster in $data was created by PostgreSQL $want but only PostgreSQL $have binaries ($PG_BIN) were found."
	_pg_log "install postgresql-$want, or delete $(dirname -- "$data") to recreate it (this loses its data)"
	return 1
}

# _pg_tail_log DIR — print the end of the server log to stderr.
_pg_tail_log() {
	if [[ -f $1/postgres.log ]]; then
		_pg_log "last lines of $1/postgres.log:"
		tail -n 40 -- "$1/postgres.log" >&2
	fi
}

# pg_start DIR PORT — see the header. Prints progress to stderr only.
pg_start() {
	if [[ $# -ne 2 ]]; then
		_pg_log "usage: pg_start DIR PORT"
		return 2
	fi
	local dir=$1 port=$2
	if [[ ! $port =~ ^[0-9]+$ ]] || ((port < 1 || port > 65535)); then
		_pg_log "pg_start: invalid port '$port'"
		return 2
	fi
	pg_find_bin >/dev/null || return 1

	mkdir -p -- "$dir" || return 1
	dir=$(_pg_abs "$dir") || return 1
	local data=$dir/data user
	user=$(_pg_runas "$dir") || return 1

	# Serialise concurrent starts of the same cluster (e.g. two run.sh).
	# Best effort: skipped if flock is missing or the lock file can't be
	# opened. The lock fd must not leak into the postmaster (it would hold
	# the lock forever), so _pg_ctl_start closes it for pg_ctl. The braces
	# scope 2>/dev/null to this one exec; a bare `exec ... 2>/dev/null`
	# would silence stderr for the rest of the shell.
	_PG_LOCKFD=
	if command -v flock >/dev/null 2>&1 &&
		{ exec {_PG_LOCKFD}>>"$dir/.pg.lock"; } 2>/dev/null; then
		if [[ -n $user ]]; then
			chown -- "$user:" "$dir/.pg.lock" 2>/dev/null || true
		fi
		if ! flock "$_PG_LOCKFD"; then
			exec {_PG_LOCKFD}>&-
			return 1
		fi
	else
		_PG_LOCKFD=
	fi
	local rc=0
	_pg_start_locked "$user" "$dir" "$port" || rc=$?
	if [[ -n $_PG_LOCKFD ]]; then
		exec {_PG_LOCKFD}>&-
		_PG_LOCKFD=
	fi
	return "$rc"
}

# _pg_start_locked USER DIR PORT — the body of pg_start, run under the lock.
_pg_start_locked() {
	local user=$1 dir=$2 port=$3 data=$2/data sock
	local timeout=${PG_START_TIMEOUT:-30}
	[[ $timeout =~ ^[1-9][0-9]*$ ]] || timeout=30
	local deadline=$((SECONDS + timeout))

	if [[ -n $user ]]; then
		# Root: hand DIR to the server user and make sure it can reach it.
		_pg_check_traversable "$user" "$dir" || return 1
		chown -- "$user:" "$dir" || return 1
		chmod 0700 -- "$dir" || return 1
	fi

	_pg_pick_bin_for "$data" || return 1
	sock=$(_pg_prepare_sockdir "$user" "$dir" "$port") || return 1

	# Already running? Reuse it, provided it is the same port.
	if _pg_running "$user" "$data"; then
		local running_port
		running_port=$(sed -n 4p "$data/postmaster.pid")
		if [[ $running_port != "$port" ]]; then
			_pg_log "cluster in $dir is already running on port $running_port, not $port; stop it first (pg_stop $dir)"
			return 1
		fi
		_pg_log "reusing running PostgreSQL cluster in $dir (port $port)"
	else
		_pg_init "$user" "$dir" || return 1
		_pg_write_conf "$user" "$dir" "$port" "$sock" || return 1
		_pg_log "starting PostgreSQL ($PG_BIN) in $dir, socket $sock/.s.PGSQL.$port"
		if ! _pg_ctl_start "$user" "$data" "$dir/postgres.log" "$timeout"; then
			_pg_log "PostgreSQL in $dir failed to start (timeout ${timeout}s)"
			_pg_tail_log "$dir"
			return 1
		fi
	fi

	# Then confirm with pg_isready, within the same overall time budget.
	_pg_wait_ready "$dir" "$port" "$sock" "$deadline" || return 1
	_pg_ensure_db "$sock" "$port" || return 1
}

# _pg_ctl_start USER DATA LOG TIMEOUT — pg_ctl start, waiting up to TIMEOUT
# seconds for the server to come up (pg_ctl -w knows the postmaster's PID, so
# it also notices a postmaster that dies during startup). pg_start's lock fd
# is closed for it so the postmaster can't inherit and keep the lock. pg_ctl
# puts the postmaster in its own session, so ^C here won't kill it.
_pg_ctl_start() {
	local -a cmd=("$PG_BIN/pg_ctl" start -w -t "$4" -s -D "$2" -l "$3")
	if [[ -n ${_PG_LOCKFD:-} ]]; then
		_pg_as "$1" "${cmd[@]}" >&2 {_PG_LOCKFD}>&-
	else
		_pg_as "$1" "${cmd[@]}" >&2
	fi
}

# _pg_init USER DIR — initdb DIR/data if it does not hold a cluster yet.
_pg_init() {
	local user=$1 dir=$2 data=$2/data locale=C
	[[ -f $data/PG_VERSION ]] && return 0
	if [[ -d $data ]] && [[ -n $(ls -A -- "$data") ]]; then
		_pg_log "$data exists, is not empty and holds no cluster (no PG_VERSION); remove it or pick another directory"
		return 1
	fi
	# Prefer C.UTF-8 (byte-order collation, UTF-8 ctype); fall back to C.
	if locale -a 2>/dev/null | grep -qiE '^c\.utf-?8$'; then
		locale=C.UTF-8
	fi
	local -a extra=()
	if [[ ${PG_FSYNC:-on} == off ]]; then
		extra+=(--no-sync)
	fi
	_pg_log "initialising PostgreSQL cluster in $data (locale $locale)"
	if ! _pg_as "$user" "$PG_BIN/initdb" -D "$data" -A trust -U signet \
		--encoding=UTF8 --locale="$locale" "${extra[@]}" >"$dir/initdb.log" 2>&1; then
		_pg_log "initdb failed; output follows"
		cat -- "$dir/initdb.log" >&2
		return 1
	fi
	if [[ -n $user ]]; then
		chown -- "$user:" "$dir/initdb.log" || return 1
	fi
	# Our settings live in signet.conf (rewritten at every start).
	printf "\n# Signet: settings managed by scripts/pg.sh\ninclude_if_exists = 'signet.conf'\n" |
		_pg_as "$user" tee -a -- "$data/postgresql.conf" >/dev/null || return 1
}

# _pg_write_conf USER DIR PORT SOCKDIR — (re)write DIR/data/signet.conf.
_pg_write_conf() {
	local user=$1 dir=$2 port=$3 sock=$4 durable
	if [[ ${PG_FSYNC:-on} == off ]]; then
		# Disposable test cluster: a crash may corrupt it, and that's fine.
		durable="fsync = off
synchronous_commit = off
full_page_writes = off"
	else
		durable="fsync = on
synchronous_commit = on
full_page_writes = on"
	fi
	{
		printf '# Generated by scripts/pg.sh at each start; edits are overwritten.\n'
		printf "listen_addresses = ''\n"
		printf 'port = %s\n' "$port"
		printf 'unix_socket_directories = %s\n' "$(_pg_conf_quote "$sock")"
		printf 'unix_socket_permissions = 0700\n'
		printf 'max_connections = 200\n'
		printf 'shared_buffers = 256MB\n'
		printf '%s\n' "$durable"
	} | _pg_as "$user" tee -- "$dir/data/signet.conf" >/dev/null
}

# _pg_wait_ready DIR PORT SOCKDIR DEADLINE — poll pg_isready until the
# server accepts connections on the socket, or until $SECONDS >= DEADLINE.
_pg_wait_ready() {
	local dir=$1 port=$2 sock=$3 deadline=$4
	while ! "$PG_BIN/pg_isready" -q -h "$sock" -p "$port" -U signet -d postgres; do
		if ((SECONDS >= deadline)); then
			_pg_log "PostgreSQL in $dir is not accepting connections on $sock/.s.PGSQL.$port"
			_pg_tail_log "$dir"
			return 1
		fi
		sleep 0.2
	done
}

# _pg_ensure_db SOCKDIR PORT — create database `signet` if it is missing.
_pg_ensure_db() {
	local sock=$1 port=$2 exists
	exists=$("$PG_BIN/psql" -X -q -A -t -h "$sock" -p "$port" -U signet -d postgres \
		-c "select 1 from pg_database where datname = 'signet'") || return 1
	if [[ $exists != 1 ]]; then
		_pg_log "creating database signet"
		"$PG_BIN/createdb" -h "$sock" -p "$port" -U signet -E UTF8 signet || return 1
	fi
}

# _pg_urlencode STRING — percent-encode for a URL query value.
_pg_urlencode() {
	local LC_ALL=C s=$1 out='' c i
	for ((i = 0; i < ${#s}; i++)); do
		c=${s:i:1}
		case $c in
		[A-Za-z0-9/._~-]) out+=$c ;;
		*) out+=$(printf '%%%02X' "'$c") ;;
		esac
	done
	printf '%s\n' "$out"
}

# pg_url DIR PORT — print the DATABASE_URL for the cluster in DIR. The host
# query parameter names the socket directory (understood by libpq and pgx).
pg_url() {
	if [[ $# -ne 2 ]]; then
		_pg_log "usage: pg_url DIR PORT"
		return 2
	fi
	local dir sock
	dir=$(_pg_abs "$1") || return 1
	sock=$(_pg_sockdir "$dir" "$2")
	printf 'postgres://signet@/signet?host=%s&port=%s&sslmode=disable\n' \
		"$(_pg_urlencode "$sock")" "$2"
}

# pg_stop DIR — stop the cluster in DIR (fast shutdown). Succeeds if it is
# not running or does not exist.
pg_stop() {
	if [[ $# -ne 1 ]]; then
		_pg_log "usage: pg_stop DIR"
		return 2
	fi
	local dir data user alt=''
	[[ -d $1 ]] || return 0
	dir=$(_pg_abs "$1") || return 1
	data=$dir/data
	[[ -f $data/PG_VERSION ]] || return 0
	pg_find_bin >/dev/null || return 1
	_pg_pick_bin_for "$data" || return 1
	user=$(_pg_runas "$dir") || return 1
	if _pg_running "$user" "$data"; then
		_pg_log "stopping PostgreSQL in $dir"
		_pg_as "$user" "$PG_BIN/pg_ctl" stop -D "$data" -m fast -w -s >&2 || return 1
	fi
	# Tidy an (empty) fallback socket dir under /tmp.
	if [[ -f $dir/sockdir ]]; then
		IFS= read -r alt <"$dir/sockdir" || true
		if [[ $alt == /tmp/signet-pg.* && -d $alt ]]; then
			rmdir -- "$alt" 2>/dev/null || true
		fi
	fi
	return 0
}

# free_port — print a TCP port nobody listens on right now. (The cluster only
# uses the number to name its socket file, so a race here is harmless.)
free_port() {
	local p
	if command -v python3 >/dev/null 2>&1 &&
		p=$(python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()' 2>/dev/null) && [[ $p =~ ^[0-9]+$ ]]; then
		printf '%s\n' "$p"
		return 0
	fi
	# Fallback: probe with bash's /dev/tcp from a random start in 20000-60000;
	# a refused connection means nothing listens there.
	local start=$((20000 + RANDOM % 40001)) i
	for ((i = 0; i < 500; i++)); do
		p=$((20000 + (start - 20000 + i) % 40001))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			printf '%s\n' "$p"
			return 0
		fi
	done
	_pg_log "free_port: no free port found"
	return 1
}

# Executed directly (not sourced): dispatch `pg.sh CMD ARGS...` to pg_CMD.
if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
	set -euo pipefail
	case ${1:-} in
	find_bin | start | url | stop) sub=pg_$1 ;;
	free_port) sub=free_port ;;
	*)
		printf 'usage: %s {find_bin | start DIR PORT | url DIR PORT | stop DIR | free_port}\n' "$0" >&2
		exit 2
		;;
	esac
	shift
	"$sub" "$@"
fi
