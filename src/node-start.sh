#!/bin/sh
# galeractl's node start, the entrypoint of every node container (written by galeractl; a
# change here is undone by the next `galeractl up`).
#
# Usage: node-start IMAGE_ENTRYPOINT [MARIADBD OPTIONS...]
#
# Whoever starts the container (galeractl, the restart policy after a crash or a power cut,
# `docker restart` by hand), a node that did not shut down cleanly has no position in
# grastate.dat (seqno -1). Started as is, Galera knows nothing of its data: the node joins by a
# full copy, and after a power cut of every host the cluster re-forms with no history at all.
# So, as MariaDB's own service start does, this script first reads the node's last committed
# position from InnoDB (mariadbd --wsrep-recover, as the mysql user) and starts the server at
# that position (--wsrep-start-position). After a clean shutdown grastate.dat has the position
# and nothing extra runs. Then the image's own entrypoint runs, unchanged.
set -eu

note() { printf '%s [Note] [galeractl node-start]: %s\n' "$(date '+%F %T')" "$*"; }
fail() {
	printf '%s [ERROR] [galeractl node-start]: %s\n' "$(date '+%F %T')" "$*" >&2
	exit 1
}

[ "$#" -ge 1 ] || fail "usage: node-start IMAGE_ENTRYPOINT [MARIADBD OPTIONS...]"
entrypoint=$1
shift

datadir=/var/lib/mysql
state=$datadir/grastate.dat
# galeractl's settings for the node (docker::CONFIG_MOUNT): the cluster address.
config=/etc/mysql/conf.d/zz-galeractl.cnf
zero=00000000-0000-0000-0000-000000000000

# field NAME: the value of NAME in grastate.dat.
field() { sed -n "s/^$1:[[:space:]]*//p" "$state" | head -n 1; }

# Recover unless grastate.dat holds a real position, or says the all-zero UUID (the node never
# joined, or a full copy into it was under way: Galera writes that before a transfer).
why=
if [ -d "$datadir/mysql" ]; then
	if [ ! -f "$state" ]; then
		why="grastate.dat is missing beside a database"
	elif [ "$(field uuid)" != "$zero" ]; then
		case "$(field seqno)" in
		-1) why="grastate.dat has no seqno (the node did not shut down cleanly)" ;;
		'' | *[!0-9]*) why="grastate.dat has no valid seqno ('$(field seqno)')" ;;
		esac
	fi
fi

# series: the MAJOR MINOR of the first version on stdin ("10.11.6-MariaDB" gives "10 11").
series() { sed -n '1s/^[^0-9]*\([0-9][0-9]*\)\.\([0-9][0-9]*\)\..*/\1 \2/p'; }
server_series=$(mariadbd --version 2>/dev/null | series)
# The release series the data directory's system tables are for (none before initialisation).
tables_series=
for info in "$datadir/mariadb_upgrade_info" "$datadir/mysql_upgrade_info"; do
	if [ -r "$info" ]; then
		tables_series=$(series <"$info")
		break
	fi
done
# A server of an older release series than the tables (the inventory's image set back, or a
# container created anew from another image after an outage) is a downgrade, which MariaDB does
# not support: the node does not start, whoever starts it (galeractl, the restart policy, a
# docker start by hand), and its data stays as it is.
if [ -n "$server_series" ] && [ -n "$tables_series" ] &&
	[ -n "$(echo "$server_series $tables_series" | awk '$1 < $3 || ($1 == $3 && $2 < $4) { print "older" }')" ]; then
	fail "this server ($(echo "$server_series" | tr ' ' .)) is of an older release series than the data directory's tables ($(echo "$tables_series" | tr ' ' .)): a downgrade, which MariaDB does not support; the node is not started and its data is untouched: give the inventory an image of MariaDB $(echo "$tables_series" | tr ' ' .) or newer"
fi

if [ -n "$why" ]; then
	note "$why: recovering the node's position from InnoDB (mariadbd --wsrep-recover)"
	log=$(mktemp /tmp/galeractl-wsrep-recover.XXXXXX)
	user=
	if [ "$(id -u)" = 0 ]; then
		chown mysql "$log"
		user=--user=mysql
	fi
	# In the background, so that a `docker stop` meanwhile (SIGTERM to this PID 1) reaches it.
	mariadbd ${user:+"$user"} "$@" --wsrep-recover --log-error="$log" >/dev/null 2>&1 &
	pid=$!
	trap 'kill -TERM "$pid" 2>/dev/null; wait "$pid"; exit 143' TERM INT
	if ! wait "$pid"; then
		tail -n 20 "$log" >&2 || true
		fail "mariadbd --wsrep-recover failed (its log is above); the node is not started so that a full copy cannot overwrite its data: run 'galeractl recover'"
	fi
	trap - TERM INT
	# UUID:SEQNO, without the GTID that may follow (UUID:SEQNO,DOMAIN-SERVER-SEQ).
	position=$(sed -n 's/.*WSREP: Recovered position: *\([^ ,]*\).*/\1/p' "$log" | tail -n 1)
	rm -f "$log"
	case "$position" in
	"" | *:-1 | "$zero":*)
		note "no position recovered (${position:-none}): starting without one; Galera decides how the node catches up"
		;;
	*)
		note "recovered position $position: starting at it (--wsrep-start-position)"
		set -- "$@" "--wsrep-start-position=$position"
		;;
	esac
fi

# A joiner whose data directory is empty gets all of it from a donor (a full state transfer,
# SST, which replaces the whole directory): the image's initialisation (mariadb-install-db, a
# temporary server, the users) would be thrown away, and costs seconds of CPU per node. So when
# the cluster address galeractl wrote names other members, the server starts directly, as the
# image's entrypoint would start it: as the mysql user through gosu. A bootstrap node (address
# gcomm://) or an image without gosu goes through the image's entrypoint as always.
address=$(sed -n 's/^[[:space:]]*wsrep_cluster_address[[:space:]]*=[[:space:]]*\(.*[^[:space:]]\)[[:space:]]*$/\1/p' "$config" 2>/dev/null | tail -n 1)
joiner_without_data=
if [ ! -d "$datadir/mysql" ]; then
	case "$address" in gcomm://?*) joiner_without_data=yes ;; esac
fi
if [ -n "$joiner_without_data" ] && { [ "$(id -u)" != 0 ] || command -v gosu >/dev/null 2>&1; }; then
	note "empty data directory, joining $address: the data comes by a full state transfer (SST), the image's initialisation is skipped"
	# What the initialisation leaves and an rsync copy keeps (it copies no top-level file): the
	# server version the system tables are for. Without it the image's entrypoint would take
	# the copied tables for an older version at the next start, and run mariadb-upgrade on this
	# node alone (or, after a copy cut short, fail on half-copied tables at every start).
	version=$(mariadbd --version | sed -n 's/.* Ver \([0-9][0-9]*\.[0-9][0-9.]*-MariaDB\).*/\1/p')
	case "$version" in
	'') note "mariadbd --version gave no version: no upgrade-info file written" ;;
	[0-9].* | 10.*) printf '%s' "$version" >"$datadir/mysql_upgrade_info" ;;
	*) printf '%s' "$version" >"$datadir/mariadb_upgrade_info" ;;
	esac
	if [ "$(id -u)" = 0 ]; then
		mkdir -p /run/mysqld
		find "$datadir" /run/mysqld \! -user mysql -exec chown mysql: '{}' + ||
			note "could not give every file under $datadir and /run/mysqld to mysql"
		# As the image does: the server may read its cgroup's memory pressure.
		pressure=/sys/fs/cgroup$(sed -n 's/^0:://p' /proc/self/cgroup 2>/dev/null)/memory.pressure
		[ ! -w "$pressure" ] || chown mysql "$pressure" 2>/dev/null || true
		exec gosu mysql mariadbd "$@"
	fi
	exec mariadbd "$@"
fi

# A data directory initialised for this server's major.minor needs no password: neither the
# image's initialisation nor its upgrade runs. The official image's entrypoint would still read
# each *_FILE variable and export the password into the environment of mariadbd (readable in
# /proc/1/environ by the server's user, inherited by every state-transfer script): it gets
# none. A start that initialises or upgrades keeps them (the lab image's upgrade logs in as
# root); the next start drops them.
if [ -d "$datadir/mysql" ] && [ -n "$server_series" ] && [ "$tables_series" = "$server_series" ]; then
	unset MARIADB_ROOT_PASSWORD_FILE MARIADB_PASSWORD_FILE MYSQL_ROOT_PASSWORD_FILE \
		MYSQL_PASSWORD_FILE MARIADB_ROOT_PASSWORD MARIADB_PASSWORD MYSQL_ROOT_PASSWORD \
		MYSQL_PASSWORD
fi
exec "$entrypoint" "$@"
