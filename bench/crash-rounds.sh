#!/usr/bin/env bash
# bench/crash-rounds.sh [N]: the fault suite of `galeractl recover` on the lab. N rounds
# (default 20) of: a writer inserts rows through every node and records each acknowledged
# COMMIT; every node is SIGKILLed mid-write; `galeractl recover`; then every acknowledged row
# must be on every node, with one cluster UUID (the one of before the crash), cluster size 3,
# and the joiners caught up by IST. It drives the crash rounds of tests/e2e_recover.rs (its own
# cluster "recovery") and prints their tally: rounds recovered, acknowledged rows lost,
# Primary components seen. Bounded: the whole run has a deadline of 90 s a round plus 300 s.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-20}
[[ $N =~ ^[1-9][0-9]*$ ]] || { echo "usage: $0 [ROUNDS]" >&2; exit 64; }
[ -f lab/out/lab.toml ] || { echo "no lab: run lab/lab up" >&2; exit 1; }
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
RECOVER_CRASH_ROUNDS=$N RECOVER_E2E_PART=crash CI=true \
	timeout $((N * 90 + 300)) cargo test -q --test e2e_recover -- --nocapture >"$log" 2>&1 || status=$?
grep -E '^round [0-9]+:' "$log" || true
if ! grep -E '^tally:' "$log"; then
	echo "no tally: the run failed (exit $status); its end:" >&2
	tail -n 40 "$log" >&2
	exit 1
fi
exit "$status"
