#!/usr/bin/env bash
# bench/recover.sh [ROUNDS]: on the lab, the time from "every node killed" (docker kill) to
# "every node Synced", with `galeractl recover` against the same procedure done by hand as a
# plain script (wsrep-recover each node one host after the other, pick the highest seqno, edit
# grastate.dat, bootstrap it, start the others one at a time, each polled until Synced), run
# twice: with one ssh connection per command (as typed by hand) and with multiplexed ssh (a
# ControlMaster, as galeractl has). ROUNDS rounds each (default 3), alternating, in one run. Prints a table with medians and the
# ratio. Uses only its own cluster "benchrec" and its own ports; bounded: every wait has a
# deadline, and the cluster is removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/common.sh
. bench/common.sh
ROUNDS=${1:-3}
HOSTS=(10.77.0.11 10.77.0.12 10.77.0.13)
NODES=(nodea nodeb nodec)
IMAGE=galeractl-lab/galera:10.11
PROVIDER=/usr/lib/galera/libgalera_smm.so
CLUSTER=benchrec
P_MYSQL=4356 P_GALERA=5637 P_SST=5514 P_IST=5638
BIN=target/release/galeractl

[ -f "$OUT/lab.toml" ] || { echo "no lab: run lab/lab up" >&2; exit 1; }
cargo build --release --locked -q

work=$(mktemp -d)
SSH_COLD=(ssh -F "$OUT/ssh_config" -o ConnectTimeout=5)
SSH_MUX=(ssh -F "$OUT/ssh_config" -o ConnectTimeout=5 -o ControlMaster=auto -o "ControlPath=$work/cm-%h" -o ControlPersist=120)
SSH=("${SSH_MUX[@]}")
cleanup() {
	for h in "${HOSTS[@]}"; do "${SSH[@]}" -O exit "$h" 2>/dev/null || true; done
	rm -rf "$work"
}
trap cleanup EXIT
bench_inventory "$CLUSTER" "$P_MYSQL" "$P_GALERA" "$P_SST" "$P_IST" >"$work/bench.toml"

on() { "${SSH[@]}" "$1" "$2" </dev/null; }

wipe() {
	for h in "${HOSTS[@]}"; do
		on "$h" "$(wipe_script "$CLUSTER")" &
	done
	wait
}

kill_all() {
	local i
	for i in 0 1 2; do on "${HOSTS[$i]}" "docker kill $CLUSTER-${NODES[$i]} >/dev/null" & done
	wait
}

write_row() { on "${HOSTS[0]}" "docker exec $CLUSTER-nodea mariadb -e 'insert into bench.t (v) values (1)'"; }

# wait_synced I: polls node I through `docker exec` (what a script has) until Synced, 180 s max.
wait_synced() {
	local i=$1 deadline=$((SECONDS + 180))
	until on "${HOSTS[$i]}" "docker exec $CLUSTER-${NODES[$i]} mariadb -N -e \"show status like 'wsrep_local_state_comment'\"" 2>/dev/null | grep -q Synced; do
		((SECONDS < deadline)) || { echo "plain: ${NODES[$i]} not Synced in 180s" >&2; return 1; }
		sleep 0.2
	done
}

cnf() { # cnf I ADDRESS: the node's config file, in place (the container sees the same inode)
	printf '# managed by galeractl\n[mysqld]\nwsrep_cluster_address=%s\n' "$2" |
		"${SSH[@]}" "${HOSTS[$1]}" "cp /dev/stdin /etc/galeractl/$CLUSTER/${NODES[$1]}.cnf"
}

others() { # others I: the other members' addresses
	local j list=
	for j in 0 1 2; do ((j == $1)) || list+="${list:+,}${HOSTS[$j]}:$P_GALERA"; done
	printf 'gcomm://%s' "$list"
}

# The documented procedure by hand.
plain() {
	local i pos seqno best=-1 chosen=0 seqnos=()
	for i in 0 1 2; do
		pos=$(on "${HOSTS[$i]}" "docker run --rm --network none -v $CLUSTER-${NODES[$i]}-data:/var/lib/mysql $IMAGE \
			--wsrep-on=ON --wsrep-provider=$PROVIDER --wsrep-cluster-address=gcomm:// --binlog-format=ROW \
			--innodb-autoinc-lock-mode=2 --wsrep-recover 2>&1" | sed -n 's/.*WSREP: Recovered position: //p' | tail -n 1)
		seqno=${pos##*:}
		seqno=${seqno%%,*}
		[[ $seqno =~ ^[0-9]+$ ]] || { echo "plain: no position for ${NODES[$i]}: '$pos'" >&2; return 1; }
		seqnos[i]=$seqno
		if ((seqno > best)); then best=$seqno chosen=$i; fi
	done
	for i in 0 1 2; do
		local safe=0
		((i == chosen)) && safe=1
		on "${HOSTS[$i]}" "docker run --rm --network none -v $CLUSTER-${NODES[$i]}-data:/var/lib/mysql --entrypoint sed $IMAGE -i \
			-e 's/^seqno:.*/seqno:   ${seqnos[$i]}/' -e 's/^safe_to_bootstrap:.*/safe_to_bootstrap: $safe/' /var/lib/mysql/grastate.dat" &
	done
	wait
	cnf "$chosen" gcomm://
	on "${HOSTS[$chosen]}" "docker start $CLUSTER-${NODES[$chosen]} >/dev/null"
	wait_synced "$chosen"
	cnf "$chosen" "$(others "$chosen")"
	for i in 0 1 2; do
		((i == chosen)) && continue
		on "${HOSTS[$i]}" "docker start $CLUSTER-${NODES[$i]} >/dev/null"
		wait_synced "$i"
	done
}


wipe
timeout 300 "$BIN" -q up "$work/bench.toml" >/dev/null
on "${HOSTS[0]}" "docker exec $CLUSTER-nodea mariadb -e 'create database bench; create table bench.t (id int auto_increment primary key, v int)'"
: >"$work/g"
: >"$work/c"
: >"$work/p"
for ((r = 1; r <= ROUNDS; r++)); do
	write_row
	kill_all
	t=$(now)
	timeout 600 "$BIN" -q recover "$work/bench.toml" >"$work/out" || { cat "$work/out" >&2; exit 1; }
	g=$(since "$t")
	echo "$g" >>"$work/g"
	write_row
	kill_all
	t=$(now)
	timeout 600 bash -c "$(declare -f on wait_synced cnf others plain); $(declare -p HOSTS NODES); \
		SSH=(${SSH_COLD[*]}); CLUSTER=$CLUSTER IMAGE=$IMAGE PROVIDER=$PROVIDER P_GALERA=$P_GALERA; plain"
	c=$(since "$t")
	echo "$c" >>"$work/c"
	write_row
	kill_all
	t=$(now)
	timeout 600 bash -c "$(declare -f on wait_synced cnf others plain); $(declare -p SSH HOSTS NODES); \
		CLUSTER=$CLUSTER IMAGE=$IMAGE PROVIDER=$PROVIDER P_GALERA=$P_GALERA; plain"
	p=$(since "$t")
	echo "$p" >>"$work/p"
	echo "round $r: galeractl recover ${g}s, plain script ${c}s (ssh per command), ${p}s (multiplexed ssh)" >&2
done
wipe
C=$(median <"$work/c")
P=$(median <"$work/p")
G=$(median <"$work/g")
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
printf '\n%-56s %9s %9s %9s\n' "all killed -> all Synced, 3 nodes ($ROUNDS rounds)" "median s" "vs plain" "vs mux"
printf '%-56s %9s %9s %9s\n' "plain script, one ssh per command (as typed)" "$C" "1.00" "$(ratio "$C" "$P")"
printf '%-56s %9s %9s %9s\n' "plain script, multiplexed ssh" "$P" "$(ratio "$P" "$C")" "1.00"
printf '%-56s %9s %9s %9s\n' "galeractl recover" "$G" "$(ratio "$G" "$C")" "$(ratio "$G" "$P")"
