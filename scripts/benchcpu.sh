#!/bin/bash
# benchcpu.sh TESTBIN BENCHREGEX N [REPS]: CPU time (user + system) per
# iteration of one Go benchmark, in µs, on one core (GOMAXPROCS=1), from
# two runs of the compiled test binary with 1 and N iterations (so setup
# cancels out). On a machine others share, a benchmark's ns/op stretches
# with their load; its CPU time barely does. docs/PERFORMANCE.md uses it
# for every before/after figure of a micro benchmark:
#
#   go test -c -o /tmp/keys.test ./keys
#   scripts/benchcpu.sh /tmp/keys.test 'ParseFlattened$' 20000 3
#
# N should make the run last a second or more: the time is read in 10 ms
# steps. Set GOMAXPROCS to measure a parallel benchmark on all cores.
set -eu
bin=$1 re=$2 n=$3 reps=${4:-1}
cpu() {
	{ /usr/bin/time -f "%U %S" env GOMAXPROCS="${GOMAXPROCS:-1}" "$bin" -test.run XXX -test.bench "$re" -test.benchtime "$1x" >/dev/null; } 2>&1 | tail -1
}
for _ in $(seq "$reps"); do
	a=$(cpu 1) b=$(cpu "$n")
	python3 -c "a=sum(map(float,'$a'.split())); b=sum(map(float,'$b'.split())); print('%.1f' % ((b-a)/($n-1)*1e6))"
done
