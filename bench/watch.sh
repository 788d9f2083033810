#!/usr/bin/env bash
# bench/watch.sh [ROUNDS]: on the lab, how fast `galeractl watch` heals, against a person who
# types the right command the moment it can work. Two faults, ROUNDS rounds each (default 3),
# alternating, in one run:
# - a full outage Galera cannot settle (every node stopped cleanly at once, then started: each
#   waits for a Primary component), from the nodes' start to every node Synced: watch with
#   its default --interval 5 --settle 10, against `galeractl recover` run from that same moment
#   and run again every second until it succeeds (it refuses while a node is still starting);
# - a crashed node (docker kill), from the kill to the node Synced: watch against
#   `galeractl start-node` typed at once.
# Prints a table of medians and ratios (watch / person). Uses only its own cluster
# "benchwatch" and its own ports; every wait has a deadline; the cluster is removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/common.sh
. bench/common.sh
ROUNDS=${1:-3}
HOSTS=(10.77.0.11 10.77.0.12 10.77.0.13)
NODES=(nodea nodeb nodec)
CLUSTER=benchwatch
BIN=target/release/galeractl

[ -f "$OUT/lab.toml" ] || { echo "no lab: run lab/lab up" >&2; exit 1; }
cargo build --release --locked -q

work=$(mktemp -d)
watch_pid=
cleanup() {
	[ -z "$watch_pid" ] || kill "$watch_pid" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
bench_inventory "$CLUSTER" 4626 5907 5784 5908 >"$work/bench.toml"
INV=$work/bench.toml
on() { ssh -F "$OUT/ssh_config" -o ConnectTimeout=5 "$1" "$2" </dev/null; }

wipe() {
	for h in "${HOSTS[@]}"; do on "$h" "$(wipe_script "$CLUSTER")" & done
	wait
}

# wait_healthy: until `status` says healthy, 300 s max.
wait_healthy() {
	local deadline=$((SECONDS + 300))
	until "$BIN" status -q -i "$INV" >/dev/null 2>&1; do
		((SECONDS < deadline)) || { echo "not healthy in 300s" >&2; return 1; }
		sleep 0.5
	done
}

# outage: every node stopped cleanly at once (no saved Primary view), then started; prints the
# start time.
outage() {
	local i
	for i in 0 1 2; do on "${HOSTS[$i]}" "docker stop $CLUSTER-${NODES[$i]} >/dev/null" & done
	wait
	local t0
	t0=$(now)
	for i in 0 1 2; do on "${HOSTS[$i]}" "docker start $CLUSTER-${NODES[$i]} >/dev/null" & done
	wait
	echo "$t0"
}

start_watch() {
	"$BIN" watch "$INV" 2>>"$work/watch.log" &
	watch_pid=$!
}

stop_watch() {
	kill "$watch_pid"
	wait "$watch_pid" || true
	watch_pid=
}

wipe
"$BIN" up -q "$INV" >/dev/null
for r in $(seq 1 "$ROUNDS"); do
	# A person: recover at once, again every second until it works.
	t0=$(outage)
	deadline=$((SECONDS + 300))
	until "$BIN" recover -q -i "$INV" >/dev/null 2>&1; do
		((SECONDS < deadline)) || { echo "recover did not succeed in 300s" >&2; exit 1; }
		sleep 1
	done
	wait_healthy
	since "$t0" >>"$work/outage-person"
	echo >>"$work/outage-person"

	start_watch
	t0=$(outage)
	wait_healthy
	since "$t0" >>"$work/outage-watch"
	echo >>"$work/outage-watch"

	# A crashed node: watch (still running), then a person.
	t0=$(now)
	on "${HOSTS[1]}" "docker kill $CLUSTER-nodeb >/dev/null"
	sleep 1
	wait_healthy
	since "$t0" >>"$work/crash-watch"
	echo >>"$work/crash-watch"
	stop_watch

	t0=$(now)
	on "${HOSTS[1]}" "docker kill $CLUSTER-nodeb >/dev/null"
	"$BIN" start-node -q -i "$INV" nodeb >/dev/null
	wait_healthy
	since "$t0" >>"$work/crash-person"
	echo >>"$work/crash-person"
	echo "round $r: outage person $(tail -n1 "$work/outage-person") s, watch $(tail -n1 "$work/outage-watch") s; crash watch $(tail -n1 "$work/crash-watch") s, person $(tail -n1 "$work/crash-person") s" >&2
done
wipe

OP=$(median <"$work/outage-person")
OW=$(median <"$work/outage-watch")
CW=$(median <"$work/crash-watch")
CP=$(median <"$work/crash-person")
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
printf '\n%-62s %9s %9s %9s\n' "time to healthy, 3 nodes ($ROUNDS rounds, medians)" "person s" "watch s" "ratio"
printf '%-62s %9s %9s %9s\n' "full outage (nodes started, each waits non-Primary)" "$OP" "$OW" "$(ratio "$OW" "$OP")"
printf '%-62s %9s %9s %9s\n' "crashed node (docker kill)" "$CP" "$CW" "$(ratio "$CW" "$CP")"
