#!/usr/bin/env bash
# bench/rolling-restart.sh [SECONDS]: the longest gap between acknowledged writes through
# HAProxy during a rolling restart of the lab's 3-node cluster, `galeractl restart` (each node
# drained from HAProxy first) against a restart by hand of the same nodes in the same order
# (`docker restart`, then wait until Synced; HAProxy notices by its failing checks), side by
# side in one run. A writer in a one-off container on host1 inserts one row at a time through
# HAProxy (port 3306) and records the time of each acknowledged insert; it stops by itself after
# SECONDS (default 90) or when the restart is over. Touches only local-test and its bench user.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/common.sh
. bench/common.sh
LIMIT=${1:-90}
BIN=target/release/galeractl
INV=$OUT/lab.toml
SSH=(ssh -F "$OUT/ssh_config" -o ConnectTimeout=5)
IMAGE=$(sed -n 's/^image = "\(.*\)"/\1/p' "$INV" | head -n 1)
cargo build --release --locked -q
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$BIN" -q up "$INV" >/dev/null
# A bench user of its own (random password, sent on stdin only), allowed on one database.
password=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
# root through the node's socket, its password in a private option file (never in argv).
"${SSH[@]}" 10.77.0.11 "docker exec -i local-test-nodea sh -c 'f=\$(mktemp); printf \"[client]\\nuser=root\\npassword=%s\\n\" \"\$(cat /run/secrets/galeractl/root-password)\" >\$f; mariadb --defaults-extra-file=\$f; rc=\$?; rm -f \$f; exit \$rc'" >/dev/null <<SQL
CREATE DATABASE IF NOT EXISTS benchroll;
CREATE TABLE IF NOT EXISTS benchroll.t (id BIGINT PRIMARY KEY);
CREATE USER IF NOT EXISTS bench@'%' IDENTIFIED BY '$password';
ALTER USER bench@'%' IDENTIFIED BY '$password';
GRANT INSERT ON benchroll.* TO bench@'%';
SQL

# writer NAME: starts the writer on host1 in the background (its pid in WRITER); its output
# (one time per acknowledged insert) goes to $work/NAME.
writer() {
	"${SSH[@]}" 10.77.0.11 "docker run --rm -i --name local-test-bench-writer --network host --entrypoint bash $IMAGE -s" >"$work/$1" 2>/dev/null <<SCRIPT &
cnf=\$(mktemp); printf '[client]\nuser=bench\npassword=%s\n' '$password' >"\$cnf"
end=\$((SECONDS + $LIMIT)); i=\$((\$(date +%s) * 1000))
while [ \$SECONDS -lt \$end ] && [ ! -e /tmp/stop ]; do
	i=\$((i + 1))
	mariadb --defaults-extra-file="\$cnf" --connect-timeout=2 -h 127.0.0.1 -P 3306 \
		-e "INSERT INTO benchroll.t VALUES (\$i)" 2>/dev/null && date +%s.%N
done
SCRIPT
	WRITER=$!
}
stop_writer() { # PID
	"${SSH[@]}" 10.77.0.11 "docker exec local-test-bench-writer touch /tmp/stop" >/dev/null 2>&1 || true
	wait "$1" || true
}
gap() { # FILE: the longest gap, and the count of writes
	awk -v d="$DIGITS" 'NR > 1 && $1 - p > g { g = $1 - p } { p = $1 } END { printf "%.*f %d\n", d, g, NR }' "$1"
}

by_hand() {
	local node host
	for node in nodeb nodec nodea; do
		case $node in nodea) host=10.77.0.11 ;; nodeb) host=10.77.0.12 ;; nodec) host=10.77.0.13 ;; esac
		"${SSH[@]}" "$host" "docker restart --time 120 local-test-$node" >/dev/null
		local t0=$SECONDS
		until "$BIN" -q status "$INV" >/dev/null 2>&1; do
			((SECONDS - t0 < 300)) || { echo "$node: not healthy within 300 s" >&2; exit 1; }
		done
	done
}

writer hand; sleep 3; t=$(now); by_hand; H=$(since "$t"); stop_writer "$WRITER"
writer galeractl; sleep 3; t=$(now); "$BIN" -q restart -i "$INV" >/dev/null; G=$(since "$t"); stop_writer "$WRITER"
read -r hg hn < <(gap "$work/hand")
read -r gg gn < <(gap "$work/galeractl")
printf '%-58s %10s %10s %8s\n' "rolling restart of 3 nodes, writes through HAProxy" "took" "longest gap" "writes"
printf '%-58s %9ss %9ss %8s\n' "by hand: docker restart, wait Synced (baseline)" "$H" "$hg" "$hn"
printf '%-58s %9ss %9ss %8s   (gap / baseline = %s)\n' "galeractl restart (drained first)" "$G" "$gg" "$gn" \
	"$(awk -v a="$gg" -v b="$hg" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')"
