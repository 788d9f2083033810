#!/usr/bin/env bash
# bench/scale.sh [SIZES...]: on the lab, how `galeractl up` (from nothing), `up` again,
# `status` and `recover` (after every node container was killed) grow with the node count.
# Default sizes 3 5 7 9; the lab needs as many hosts (`lab/lab up 9`). One table: each size's
# median seconds (3 rounds of status, 1 of the others) and its ratio to the first size's. Uses
# only its own cluster "benchscale" and its own ports; bounded: every command has a deadline.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/common.sh
. bench/common.sh
SIZES=("$@")
[ ${#SIZES[@]} -gt 0 ] || SIZES=(3 5 7 9)
SSH=(ssh -F "$OUT/ssh_config" -o ConnectTimeout=5)
CLUSTER=benchscale
BIN=${CARGO_TARGET_DIR:-target}/release/galeractl
LIMIT=600

[ -f "$OUT/lab.toml" ] || { echo "no lab: run lab/lab up 9" >&2; exit 1; }
cargo build --release --locked -q

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

host() { echo "10.77.0.$((10 + $1))"; }

# inventory N: the bench cluster on the lab's first N hosts.
inventory() {
	bench_inventory "$CLUSTER" 4456 5737 5614 5738 | sed '/^\[\[nodes\]\]/,$d'
	for ((i = 1; i <= $1; i++)); do
		printf '[[nodes]]\nname = "node%d"\nhost = "%s"\n\n' "$i" "$(host "$i")"
	done
}

wipe() {
	for ((i = 1; i <= $1; i++)); do "${SSH[@]}" "$(host "$i")" "$(wipe_script "$CLUSTER")" </dev/null & done
	wait
}

# timed NAME COMMAND...: runs it with a deadline, prints its seconds.
timed() {
	local t
	t=$(now)
	timeout "$LIMIT" "$@" >/dev/null 2>"$work/err" || { echo "failed: $* (see below)" >&2; cat "$work/err" >&2; exit 1; }
	since "$t"
}

for n in "${SIZES[@]}"; do
	if ! "${SSH[@]}" "$(host "$n")" true </dev/null 2>/dev/null; then
		echo "the lab has no host $(host "$n"): run lab/lab up $n" >&2
		exit 1
	fi
done

printf '%s\n' "size up again status recover" >"$work/rows"
for n in "${SIZES[@]}"; do
	inventory "$n" >"$work/scale.toml"
	wipe "$n"
	up=$(timed "$BIN" -q up "$work/scale.toml")
	again=$(timed "$BIN" -q up "$work/scale.toml")
	: >"$work/status"
	for _ in 1 2 3; do echo "$(timed "$BIN" -q status "$work/scale.toml")" >>"$work/status"; done
	status=$(median <"$work/status")
	# Every node container killed (as a power cut does), then recover.
	for ((i = 1; i <= n; i++)); do
		"${SSH[@]}" "$(host "$i")" "docker kill $CLUSTER-node$i >/dev/null" </dev/null &
	done
	wait
	recover=$(timed "$BIN" -q recover "$work/scale.toml")
	wipe "$n"
	echo "$n nodes: up ${up}s, up again ${again}s, status ${status}s, recover ${recover}s" >&2
	echo "$n $up $again $status $recover" >>"$work/rows"
done

awk 'NR == 1 { next }
	NR == 2 { for (i = 2; i <= 5; i++) base[i] = $i }
	{ printf "| %d nodes |", $1; for (i = 2; i <= 5; i++) printf " %.2f s (%.2f) |", $i, $i / base[i]; printf "\n" }' "$work/rows" >"$work/table"
echo "| size | up from nothing | up again | status | recover (every node killed) |"
echo "| --- | --- | --- | --- | --- |"
cat "$work/table"
echo "(each: median seconds, and in brackets the ratio to the ${SIZES[0]}-node time)"
