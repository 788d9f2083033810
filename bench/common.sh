# bench/common.sh: what the bench scripts share (sourced, not run). Run from the repository root.
# shellcheck shell=bash
OUT=lab/out
DIGITS=${DIGITS:-2}

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" -v d="$DIGITS" 'BEGIN { printf "%.*f", d, b - a }'; }
median() {
	sort -n | awk -v d="$DIGITS" '{ v[NR] = $1 } END {
		if (NR % 2) print v[(NR + 1) / 2]; else printf "%.*f\n", d, (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# bench_inventory CLUSTER MYSQL GALERA SST IST: the lab's inventory (every lab node) for a
# cluster of the benchmark's own, with its own ports, absolute paths, and no proxy.
bench_inventory() {
	sed -e "s/name = \"local-test\"/name = \"$1\"/" \
		-e "s/mysql = 4306/mysql = $2/" -e "s/galera = 5567/galera = $3/" \
		-e "s/sst = 5444/sst = $4/" -e "s/ist = 5568/ist = $5/" \
		-e "s#\"secrets/#\"$PWD/$OUT/secrets/#" -e "s#\"id_ed25519\"#\"$PWD/$OUT/id_ed25519\"#" \
		-e "s#\"known_hosts\"#\"$PWD/$OUT/known_hosts\"#" -e '/^\[haproxy\]/,$d' \
		"$OUT/lab.toml"
}

# wipe_script CLUSTER: the remote shell command that removes the cluster's containers, volumes
# and files from one host (by its labels: nothing else is touched).
wipe_script() {
	printf '%s' "ids=\$(docker ps -aq --filter label=io.galeractl.cluster=$1); [ -z \"\$ids\" ] || docker rm -f \$ids >/dev/null; \
vols=\$(docker volume ls -q --filter label=io.galeractl.cluster=$1); [ -z \"\$vols\" ] || docker volume rm \$vols >/dev/null; \
rm -rf /etc/galeractl/$1"
}
