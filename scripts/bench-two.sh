#!/bin/bash
# bench-two.sh SIGNETD SIGNET_BENCH DATABASE_URL OUT [REPS]: two signetd
# processes on one PostgreSQL log against one (docs/PERFORMANCE.md, "Two
# signetd processes on one PostgreSQL"). Both serve one fresh schema with
# the same log key; each rep drives process A alone with 64 clients, then
# A and B at once with 32 clients each (two signet-bench run --server
# --shared-log), and the combined rate is the sum of the two. Results in
# OUT/{one,twoA,twoB}-r<rep>.txt.
set -eu
bin=$1 sb=$2 db=$3 out=$4 reps=${5:-3}
mkdir -p "$out/a" "$out/b"
schema=bench_two_$RANDOM
psql "$db" -qc "CREATE SCHEMA $schema"
sep='?'; case $db in *\?*) sep='&' ;; esac
sdb="$db${sep}search_path=$schema"
tok=$(head -c16 /dev/urandom | od -An -tx1 | tr -d ' \n')
start() { # dir port
	"$bin" --addr "127.0.0.1:$2" --database-url "$sdb" --admin-token "$tok" --data-dir "$1" \
		--origin "signet-bench/$schema" --nonce-ttl 30m --rate-limit-addr 0 --rate-limit-kid 0 >>"$1/signetd.log" 2>&1 &
	echo $!
}
ready() { for _ in $(seq 150); do curl -sf "http://127.0.0.1:$1/readyz" >/dev/null && return; sleep 0.2; done; exit 1; }
pa=$(start "$out/a" 18701); ready 18701
cp "$out/a/log.key" "$out/b/log.key"
pb=$(start "$out/b" 18702); ready 18702
trap 'kill $pa $pb 2>/dev/null; psql "$db" -qc "DROP SCHEMA $schema CASCADE"' EXIT
bench() { # port pid clients name
	"$sb" run --server "http://127.0.0.1:$1" --admin-token "$tok" --server-pid "$2" --modes single \
		--levels "$3" --reps 1 --duration 5s --quiet-wait 3s --prefill 2000 --shared-log >"$out/$4.txt" 2>"$out/$4.log"
}
for rep in $(seq "$reps"); do
	bench 18701 "$pa" 64 "one-r$rep"
	bench 18701 "$pa" 32 "twoA-r$rep" & bench 18702 "$pb" 32 "twoB-r$rep" & wait
done
