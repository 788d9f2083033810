#!/usr/bin/env bash
# bench/backup.sh [ROUNDS] [PAD_DOUBLINGS]: on the lab, the throughput of `galeractl backup`
# against a plain `mariabackup --backup --stream | ssh` by hand, of the same node and the same
# data, ROUNDS rounds each (default 3), alternating; then `galeractl restore --replace` against
# the by-hand core of a restore (the stream extracted and prepared on a volume over ssh). A
# 3-node cluster of its own ("backup", ~2^PAD_DOUBLINGS KB of rows, default 16: 64 MB). Prints
# medians in MB/s side by side and the ratios. Touches only its own cluster; bounded.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/common.sh
. bench/common.sh
ROUNDS=${1:-3}
DOUBLINGS=${2:-16}
SSH=(ssh -F "$OUT/ssh_config" -o ConnectTimeout=5)
HOSTS=(10.77.0.11 10.77.0.12 10.77.0.13)
IMAGE=galeractl-lab/galera:10.11
CLUSTER=backup
BIN=${CARGO_TARGET_DIR:-target}/release/galeractl

[ -f "$OUT/lab.toml" ] || { echo "no lab: run lab/lab up" >&2; exit 1; }
cargo build --release --locked -q

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf 'backup-pw-for-bench\n' >"$work/backup-pw"
chmod 600 "$work/backup-pw"
bench_inventory "$CLUSTER" 4406 5687 5564 5688 |
	sed "s#^distribute_image = true#distribute_image = true\nbackup_password_file = \"$work/backup-pw\"#" >"$work/bench.toml"

wipe() {
	for h in "${HOSTS[@]}"; do "${SSH[@]}" "$h" "$(wipe_script "$CLUSTER")" </dev/null & done
	wait
}

# sql HOST: statements on stdin, as root through the node's socket (the password read inside).
sql() {
	"${SSH[@]}" "$1" "docker exec -i $CLUSTER-$2 sh -c 'f=\$(mktemp); printf \"[client]\\nuser=root\\npassword=%s\\n\" \"\$(cat /run/secrets/galeractl/root-password)\" >\"\$f\"; mariadb --defaults-extra-file=\"\$f\"; rc=\$?; rm -f \"\$f\"; exit \$rc'"
}

mbs() { awk -v b="$1" -v s="$2" 'BEGIN { printf "%.1f", b / 1e6 / s }'; }

wipe
"$BIN" -q up "$work/bench.toml"
{
	echo "create database bench; create table bench.pad (id int auto_increment primary key, v varchar(1000) not null);"
	echo "insert into bench.pad (v) values (repeat('x', 1000));"
	for ((i = 0; i < DOUBLINGS; i++)); do echo "insert into bench.pad (v) select v from bench.pad;"; done
} | sql "${HOSTS[0]}" nodea
# Until nodec has applied it all (wsrep_sync_wait): a backup that starts while the node still
# applies a large write-set can lose the race with its redo log.
echo "set session wsrep_sync_wait = 1; select count(*) from bench.pad;" | sql "${HOSTS[2]}" nodec >/dev/null

node=nodec host=${HOSTS[2]}
hand=() tool=() stream=()
for ((r = 1; r <= ROUNDS; r++)); do
	rm -f "$work/hand.xb"
	t=$(now)
	"${SSH[@]}" "$host" "docker exec $CLUSTER-$node mariadb-backup --defaults-extra-file=/run/secrets/galeractl/backup.cnf --backup --galera-info --stream=xbstream --target-dir=/tmp/bench" >"$work/hand.xb" 2>/dev/null </dev/null
	s=$(since "$t")
	hand+=("$(mbs "$(stat -c %s "$work/hand.xb")" "$s")")
	rm -rf "$work/b"
	t=$(now)
	"$BIN" -q backup "$work/bench.toml" --node "$node" --to "$work/b" --json >"$work/backup.json"
	s=$(since "$t")
	bytes=$(stat -c %s "$work"/b/*/backup.xbstream)
	tool+=("$(mbs "$bytes" "$s")")
	stream+=("$(mbs "$bytes" "$(jq -r .stream_seconds "$work/backup.json")")")
	echo "round $r: by hand ${hand[-1]} MB/s, galeractl ${tool[-1]} MB/s (its stream ${stream[-1]} MB/s)" >&2
done
size=$(stat -c %s "$work/hand.xb")

# Restore: the by-hand core (stream onto a volume, extract, prepare), then galeractl's whole
# restore (containers removed, data moved aside, extract and prepare, bootstrap, two joiners by
# SST, verify).
script='set -e; cd /var/lib/mysql; mbstream -x; mariadb-backup --prepare --target-dir=/var/lib/mysql >/dev/null 2>&1; chown -R mysql:mysql .'
"${SSH[@]}" "${HOSTS[0]}" "docker volume create --label io.galeractl.cluster=$CLUSTER $CLUSTER-bench-hand >/dev/null" </dev/null
t=$(now)
"${SSH[@]}" "${HOSTS[0]}" "docker run --rm -i --network none -v $CLUSTER-bench-hand:/var/lib/mysql --entrypoint sh $IMAGE -c '$script'" <"$work/hand.xb"
hand_restore=$(since "$t")
t=$(now)
# Each log line with the time it came: the put step is from its own line to the next step's.
"$BIN" restore "$(ls -d "$work"/b/*)" "$work/bench.toml" --replace --yes 2>&1 >/dev/null |
	while IFS= read -r line; do printf '%s %s\n' "$(now)" "$line"; done >"$work/restore.log"
tool_restore=$(since "$t")
put=$(awk '/the backup extracted onto its volume/ { a = $1 } a && /grastate.dat at the backup/ { printf "%.2f", $1 - a; exit }' "$work/restore.log")
wipe

h=$(printf '%s\n' "${hand[@]}" | median) g=$(printf '%s\n' "${tool[@]}" | median)
gs=$(printf '%s\n' "${stream[@]}" | median)
echo "| backup of $(awk -v b="$size" 'BEGIN { printf "%.0f", b / 1e6 }') MB, one node ($ROUNDS rounds, medians) | galeractl | by hand | ratio |"
echo "| --- | --- | --- | --- |"
echo "| backup, end to end (galeractl: connect, probe, lock, desync, stream, fsync, back in sync, SHA-256 and chunks read back) | $g MB/s | $h MB/s | $(awk -v a="$g" -v b="$h" 'BEGIN { printf "%.2f", a / b }') |"
echo "| backup, the stream step alone (galeractl's runner: the SSH connection writes the file, fsync) | $gs MB/s | $h MB/s | $(awk -v a="$gs" -v b="$h" 'BEGIN { printf "%.2f", a / b }') |"
echo "| restore: the stream sent onto the first node's volume, extracted, prepared | $(mbs "$size" "$put") MB/s ($put s) | $(mbs "$size" "$hand_restore") MB/s ($hand_restore s) | $(awk -v a="$hand_restore" -v b="$put" 'BEGIN { printf "%.2f", a / b }') |"
echo "| restore, whole (galeractl: containers removed, data moved aside, the above, bootstrap, two joiners by SST, verify) | $(mbs "$size" "$tool_restore") MB/s ($tool_restore s) | - | - |"
