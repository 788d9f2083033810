#!/usr/bin/env bash
# bench/up.sh [ROUNDS]: on the lab, `galeractl up` of a fresh 3-node cluster against the seed's
# procedure as a plain script (docker run over ssh, one node after the other, each polled until
# Synced), ROUNDS rounds each (default 5), alternating; then `up` re-applied on the healthy
# cluster. Prints medians and ratios. Uses only its own cluster "benchup" and its own ports;
# bounded: every wait has a deadline.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/common.sh
. bench/common.sh
ROUNDS=${1:-5}
SSH=(ssh -F "$OUT/ssh_config" -o ConnectTimeout=5)
HOSTS=(10.77.0.11 10.77.0.12 10.77.0.13)
IMAGE=galeractl-lab/galera:10.11
CLUSTER=benchup
P_MYSQL=4346 P_GALERA=5627 P_SST=5504 P_IST=5628
BIN=target/release/galeractl

[ -f "$OUT/lab.toml" ] || { echo "no lab: run lab/lab up" >&2; exit 1; }
cargo build --release --locked -q

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
bench_inventory "$CLUSTER" "$P_MYSQL" "$P_GALERA" "$P_SST" "$P_IST" >"$work/bench.toml"


wipe() {
	for h in "${HOSTS[@]}"; do
		"${SSH[@]}" "$h" "$(wipe_script "$CLUSTER"); for i in 0 1 2; do docker volume rm -f $CLUSTER-plain-\$i >/dev/null; done; rm -f /root/$CLUSTER-pw" </dev/null &
	done
	wait
}

# The seed's procedure as a plain script: same image, ports, options and secrets handling.
plain() {
	local i h first=${HOSTS[0]} addr
	for i in 0 1 2; do
		h=${HOSTS[$i]}
		if ((i == 0)); then addr=gcomm://; else addr=gcomm://$first:$P_GALERA; fi
		"${SSH[@]}" "$h" "install -m 0600 /dev/stdin /root/$CLUSTER-pw" <"$OUT/secrets/root-password"
		"${SSH[@]}" "$h" docker run -d --name "$CLUSTER-plain-$i" --label io.galeractl.bench=plain --label "io.galeractl.cluster=$CLUSTER" \
			-p "$P_MYSQL:3306" -p "$P_GALERA:$P_GALERA" -p "$P_SST:$P_SST" -p "$P_IST:$P_IST" \
			-v "$CLUSTER-plain-$i:/var/lib/mysql" -v "/root/$CLUSTER-pw:/run/pw:ro" -e MARIADB_ROOT_PASSWORD_FILE=/run/pw \
			"$IMAGE" --wsrep-on=ON --wsrep-provider=/usr/lib/galera/libgalera_smm.so --wsrep-cluster-name=$CLUSTER \
			"--wsrep-cluster-address=$addr" "--wsrep-node-address=$h:$P_GALERA" "--wsrep-sst-receive-address=$h:$P_SST" \
			"'--wsrep-provider-options=gmcast.listen_addr=tcp://0.0.0.0:$P_GALERA;ist.recv_addr=$h:$P_IST;ist.recv_bind=0.0.0.0'" \
			--binlog-format=ROW --innodb-autoinc-lock-mode=2 --innodb-flush-log-at-trx-commit=1 </dev/null >/dev/null
		local deadline=$((SECONDS + 180))
		until "${SSH[@]}" "$h" "docker exec $CLUSTER-plain-$i mariadb -N -e \"show status like 'wsrep_local_state_comment'\"" </dev/null 2>/dev/null | grep -q Synced; do
			((SECONDS < deadline)) || { echo "plain: $h not Synced in 180s" >&2; return 1; }
			sleep 0.2
		done
	done
}


: >"$work/g" ; : >"$work/p" ; : >"$work/r"
for ((r = 1; r <= ROUNDS; r++)); do
	wipe
	t=$(now); plain; p=$(since "$t"); echo "$p" >>"$work/p"
	wipe
	t=$(now); "$BIN" -q up "$work/bench.toml" >/dev/null; g=$(since "$t"); echo "$g" >>"$work/g"
	t=$(now); "$BIN" -q up "$work/bench.toml" >/dev/null; a=$(since "$t"); echo "$a" >>"$work/r"
	echo "round $r: plain script ${p}s, galeractl up ${g}s, up again ${a}s" >&2
done
wipe
P=$(median <"$work/p"); G=$(median <"$work/g"); R=$(median <"$work/r")
printf '\n%-44s %10s %8s\n' "3-node cluster from nothing ($ROUNDS rounds)" "median s" "ratio"
printf '%-44s %10s %8s\n' "plain script (seed procedure over ssh)" "$P" "1.00"
printf '%-44s %10s %8s\n' "galeractl up" "$G" "$(awk -v a="$G" -v b="$P" 'BEGIN { printf "%.2f", a / b }')"
printf '%-44s %10s %8s\n' "galeractl up again on the healthy cluster" "$R" "-"
