#!/usr/bin/env bash
# bench/proxy.sh [ROUNDS] [SECONDS]: on the lab, sysbench oltp_read_write (4 threads) through
# galeractl's HAProxy against the same load on the proxy's writer directly, ROUNDS rounds each
# (default 3, SECONDS each, default 10), alternating. Prints the medians (transactions/s), the
# ratio, and the load average meanwhile. Needs sysbench (apt-get install sysbench). Uses only its
# own cluster "benchproxy" and its own ports; every run is bounded by SECONDS.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/common.sh
. bench/common.sh
ROUNDS=${1:-3}
SECS=${2:-10}
SSH=(ssh -F "$OUT/ssh_config" -o ConnectTimeout=5)
HOSTS=(10.77.0.11 10.77.0.12 10.77.0.13)
CLUSTER=benchproxy
P_MYSQL=4476 P_PROXY=3366
BIN=${CARGO_TARGET_DIR:-target}/release/galeractl

[ -f "$OUT/lab.toml" ] || { echo "no lab: run lab/lab up" >&2; exit 1; }
command -v sysbench >/dev/null || { echo "no sysbench: apt-get install sysbench" >&2; exit 1; }
cargo build --release --locked -q

work=$(mktemp -d)
wipe() {
	for h in "${HOSTS[@]}"; do "${SSH[@]}" "$h" "$(wipe_script "$CLUSTER")" </dev/null & done
	wait
}
trap 'wipe; rm -rf "$work"' EXIT
{
	bench_inventory "$CLUSTER" "$P_MYSQL" 5757 5634 5758
	printf '\n[haproxy]\nhost = "%s"\nimage = "galeractl-lab/haproxy:2.6"\nport = %s\nstats_port = 4479\ncheck_port = 9260\nstats_user = "admin"\nstats_password_file = "%s"\n' \
		"${HOSTS[0]}" "$P_PROXY" "$PWD/$OUT/secrets/haproxy-stats-password"
} >"$work/bench.toml"

wipe
"$BIN" -q up "$work/bench.toml" >/dev/null
"$BIN" -q sql -i "$work/bench.toml" -- -e "CREATE DATABASE sbtest; CREATE USER 'sb'@'%' IDENTIFIED BY 'sb-bench-pw'; GRANT ALL ON sbtest.* TO 'sb'@'%'"
SB=(sysbench oltp_read_write --db-driver=mysql --mysql-user=sb --mysql-password=sb-bench-pw
	--mysql-db=sbtest --tables=2 --table-size=10000 --mysql-host="${HOSTS[0]}")
"${SB[@]}" --mysql-port="$P_MYSQL" prepare >/dev/null

tps() { "${SB[@]}" --mysql-port="$1" --threads=4 --time="$SECS" run | sed -n 's/.*transactions:.*(\([0-9.]*\) per sec.)/\1/p'; }
: >"$work/direct"
: >"$work/proxy"
for ((r = 1; r <= ROUNDS; r++)); do
	d=$(tps "$P_MYSQL")
	p=$(tps "$P_PROXY")
	echo "$d" >>"$work/direct"
	echo "$p" >>"$work/proxy"
	echo "round $r: direct $d tps, through HAProxy $p tps (load $(cut -d ' ' -f 1 /proc/loadavg))" >&2
done
D=$(median <"$work/direct") P=$(median <"$work/proxy")
echo "| sysbench oltp_read_write, 4 threads, ${SECS}s ($ROUNDS rounds, medians) | tps | ratio |"
echo "| --- | --- | --- |"
echo "| the writer node directly (${HOSTS[0]}:$P_MYSQL) | $D | 1.00 |"
echo "| through galeractl's HAProxy (${HOSTS[0]}:$P_PROXY) | $P | $(awk -v a="$P" -v b="$D" 'BEGIN { printf "%.2f", a / b }') |"
