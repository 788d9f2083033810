#!/usr/bin/env bash
# bench/status.sh [NODES]: `galeractl status` wall time (the whole process), median of 20 warm
# runs, on a healthy cluster of the lab: the 3-node lab cluster, and with NODES=9 also a 9-node
# cluster "benchnine" on lab hosts 1-9 (started here with `lab/lab up 9`, own ports, removed at
# the end). Then `start-node` after a stop with writes meanwhile, against `docker start` plus
# polling by hand, 3 rounds each. Bounded; touches only the clusters it names.
set -euo pipefail
cd "$(dirname "$0")/.."
DIGITS=3
# shellcheck source=bench/common.sh
. bench/common.sh
NODES=${1:-3}
RUNS=20
BIN=target/release/galeractl
SSH=(ssh -F "$OUT/ssh_config" -o ConnectTimeout=5)
cargo build --release --locked -q
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

time_status() { # INVENTORY -> median seconds of RUNS runs
	local i t
	"$BIN" -q status -i "$1" >/dev/null || { echo "cluster of $1 is not healthy" >&2; return 1; }
	for ((i = 0; i < RUNS; i++)); do
		t=$(now); "$BIN" -q status -i "$1" >/dev/null; since "$t"; echo
	done | median
}

"$BIN" -q up "$OUT/lab.toml" >/dev/null
S3=$(time_status "$OUT/lab.toml")
printf '%-48s %10s\n' "galeractl status, 3 nodes (median of $RUNS)" "${S3}s"

if [ "$NODES" = 9 ]; then
	lab/lab up 9 >/dev/null 2>&1
	bench_inventory benchnine 4366 5647 5524 5648 >"$work/nine.toml"
	lab/lab up 3 >/dev/null 2>&1 # lab.toml back to the 3-node cluster the tests expect
	grep -c '^\[\[nodes\]\]' "$work/nine.toml" | grep -qx 9 || { echo "no 9-node inventory" >&2; exit 1; }
	"$BIN" -q up "$work/nine.toml" >/dev/null
	S9=$(time_status "$work/nine.toml")
	printf '%-48s %10s   (9 / 3 = %s)\n' "galeractl status, 9 nodes (median of $RUNS)" "${S9}s" \
		"$(awk -v a="$S9" -v b="$S3" 'BEGIN { printf "%.2f", a / b }')"
	for k in 1 2 3 4 5 6 7 8 9; do
		"${SSH[@]}" "10.77.0.1$k" "$(wipe_script benchnine)" </dev/null
	done
fi

# start-node after a stop with writes meanwhile, against docker start + polling by hand.
write() { # a few rows through nodea while nodeb is down
	"${SSH[@]}" 10.77.0.11 "docker exec -i local-test-nodea mariadb" >/dev/null <<SQL
CREATE DATABASE IF NOT EXISTS benchnode;
CREATE TABLE IF NOT EXISTS benchnode.t (id INT AUTO_INCREMENT PRIMARY KEY, v INT);
INSERT INTO benchnode.t (v) VALUES (1), (2), (3);
SQL
}
: >"$work/g"; : >"$work/h"
for _ in 1 2 3; do
	"$BIN" -q stop-node nodeb -i "$OUT/lab.toml" >/dev/null; write
	t=$(now); "$BIN" -q start-node nodeb -i "$OUT/lab.toml" >/dev/null; since "$t" >>"$work/g"; echo >>"$work/g"
	"${SSH[@]}" 10.77.0.12 "docker stop --time 120 local-test-nodeb" </dev/null >/dev/null; write
	t=$(now)
	"${SSH[@]}" 10.77.0.12 "docker start local-test-nodeb" </dev/null >/dev/null
	deadline=$((SECONDS + 120))
	until "${SSH[@]}" 10.77.0.12 "docker exec local-test-nodeb mariadb -N -e \"show status like 'wsrep_local_state_comment'\"" </dev/null 2>/dev/null | grep -q Synced; do
		((SECONDS < deadline)) || { echo "nodeb not Synced in 120s" >&2; exit 1; }
		sleep 0.2
	done
	since "$t" >>"$work/h"; echo >>"$work/h"
done
G=$(grep . "$work/g" | median); H=$(grep . "$work/h" | median)
printf '%-48s %10s\n' "docker start + polling by hand (median of 3)" "${H}s"
printf '%-48s %10s   (ratio %s)\n' "galeractl start-node (median of 3)" "${G}s" \
	"$(awk -v a="$G" -v b="$H" 'BEGIN { printf "%.2f", a / b }')"
