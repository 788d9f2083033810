#!/usr/bin/env bash
# bench/crash-rejoin.sh [ROUNDS]: how long a crashed node takes to be Synced again, against a
# clean-stop rejoin of the same node, side by side in one run, on the lab's 3-node cluster.
# Each round, for nodeb:
#   clean: `galeractl stop-node nodeb`, 3 rows written on nodea, `galeractl start-node nodeb`
#   crash: `docker kill` of nodeb's container, 3 rows written on nodea, `galeractl start-node`
# timed from start-node to its return (Synced), median of ROUNDS (default 3); also how each
# caught up (IST or SST, from start-node's own report). Bounded; touches only local-test.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/common.sh
. bench/common.sh
ROUNDS=${1:-3}
BIN=target/release/galeractl
SSH=(ssh -F "$OUT/ssh_config" -o ConnectTimeout=5)
cargo build --release --locked -q
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

write() { # a few rows through nodea while nodeb is down
	"${SSH[@]}" 10.77.0.11 "docker exec -i local-test-nodea mariadb" >/dev/null <<SQL
CREATE DATABASE IF NOT EXISTS benchcrash;
CREATE TABLE IF NOT EXISTS benchcrash.t (id INT AUTO_INCREMENT PRIMARY KEY, v INT);
INSERT INTO benchcrash.t (v) VALUES (1), (2), (3);
SQL
}

rejoin() { # KIND FILE: one timed start-node; appends the seconds to FILE, the catch-up to FILE.how
	local t out
	write
	t=$(now)
	out=$("$BIN" start-node nodeb -i "$OUT/lab.toml" 2>/dev/null)
	since "$t" >>"$2"
	echo >>"$2"
	sed -n 's/.*caught up by \([A-Z]*\).*/\1/p' <<<"$out" >>"$2.how"
}

"$BIN" -q up "$OUT/lab.toml" >/dev/null
: >"$work/clean"; : >"$work/crash"
for _ in $(seq "$ROUNDS"); do
	"$BIN" -q stop-node nodeb -i "$OUT/lab.toml" >/dev/null
	rejoin clean "$work/clean"
	"${SSH[@]}" 10.77.0.12 "docker kill local-test-nodeb" </dev/null >/dev/null
	rejoin crash "$work/crash"
done
C=$(grep . "$work/clean" | median); K=$(grep . "$work/crash" | median)
printf '%-52s %8s   %s\n' "clean stop, then start-node (median of $ROUNDS)" "${C}s" \
	"caught up by: $(sort "$work/clean.how" | uniq -c | xargs)"
printf '%-52s %8s   %s   (crash / clean = %s)\n' "docker kill, then start-node (median of $ROUNDS)" \
	"${K}s" "caught up by: $(sort "$work/crash.how" | uniq -c | xargs)" \
	"$(awk -v a="$K" -v b="$C" 'BEGIN { printf "%.2f", a / b }')"
