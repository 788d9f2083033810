#!/bin/bash
# Entrypoint of galeractl-lab/galera (the lab's Galera node image).
#
# It keeps the contract of the official `mariadb` image, so that galeractl drives the lab
# image and the real default image the same way:
#   - arguments that begin with `-` are options for mariadbd; `mariadbd` (or `mysqld`) as the
#     first argument means "no extra options"; any other command is run as given;
#   - an empty data directory (no `mysql/` in it) is initialised: mariadb-install-db, then a
#     temporary socket-only server (wsrep off) sets up root and the optional user/database;
#   - MARIADB_ROOT_PASSWORD, MARIADB_USER, MARIADB_PASSWORD, MARIADB_DATABASE,
#     MARIADB_ROOT_HOST (default '%'), MARIADB_ALLOW_EMPTY_ROOT_PASSWORD, each also as *_FILE
#     (the file's contents; setting both is an error) and with the MYSQL_* spelling as fallback;
#   - the official image's privilege model: the *_FILE secrets are read as root, then every
#     server run (the temporary one of the initialisation and the real one) starts as the
#     `mysql` user (uid 999) through gosu, so mariadbd reads its option files as that user and
#     silently skips any it cannot read, as the official image does;
#   - finally `exec gosu mysql mariadbd ARGS...`: mariadbd is PID 1.
# It lives at /usr/local/bin/docker-entrypoint.sh, the official image's path and ENTRYPOINT.
# Secrets are given to the client on stdin only, never on a command line.
set -eo pipefail
shopt -s nullglob

note() { printf '%s [Note] [Entrypoint]: %s\n' "$(date '+%F %T%:z')" "$*"; }
warn() { printf '%s [Warn] [Entrypoint]: %s\n' "$(date '+%F %T%:z')" "$*" >&2; }
die() {
	printf '%s [ERROR] [Entrypoint]: %s\n' "$(date '+%F %T%:z')" "$*" >&2
	exit 1
}

SECRET_VARS=(
	MARIADB_ROOT_PASSWORD MARIADB_ROOT_PASSWORD_FILE MARIADB_PASSWORD MARIADB_PASSWORD_FILE
	MYSQL_ROOT_PASSWORD MYSQL_ROOT_PASSWORD_FILE MYSQL_PASSWORD MYSQL_PASSWORD_FILE
)

# file_env NAME [DEFAULT]: sets NAME (a MARIADB_* name) from NAME, NAME_FILE, MYSQL_*, MYSQL_*_FILE.
file_env() {
	local var=$1 def=${2:-}
	local fvar=${var}_FILE
	local mvar=MYSQL_${var#MARIADB_}
	local mfvar=${mvar}_FILE
	local val=$def
	if [ -n "${!var:-}" ] && [ -n "${!fvar:-}" ]; then
		die "both $var and $fvar are set (they are exclusive)"
	fi
	if [ -n "${!mvar:-}" ] && [ -n "${!mfvar:-}" ]; then
		die "both $mvar and $mfvar are set (they are exclusive)"
	fi
	if [ -n "${!var:-}" ]; then
		val=${!var}
	elif [ -n "${!fvar:-}" ]; then
		[ -r "${!fvar}" ] || die "$fvar: cannot read '${!fvar}'"
		val=$(<"${!fvar}")
	elif [ -n "${!mvar:-}" ]; then
		val=${!mvar}
	elif [ -n "${!mfvar:-}" ]; then
		[ -r "${!mfvar}" ] || die "$mfvar: cannot read '${!mfvar}'"
		val=$(<"${!mfvar}")
	fi
	printf -v "$var" '%s' "$val"
}

# sql_string VALUE: VALUE as an SQL string literal (quotes included).
sql_string() {
	local s=${1//\\/\\\\}
	s=${s//\'/\\\'}
	printf "'%s'" "$s"
}

# sql_ident VALUE: VALUE as a quoted SQL identifier.
sql_ident() {
	# shellcheck disable=SC2016 # backquotes, not an expansion
	printf '`%s`' "${1//\`/\`\`}"
}

# Options that begin with '-' are for mariadbd.
if [ "${1:0:1}" = '-' ]; then
	set -- mariadbd "$@"
fi
case "${1:-}" in
mariadbd | mysqld) shift ;;
*) exec "$@" ;;
esac

# Help and version requests go straight through.
for arg; do
	case "$arg" in
	-'?' | --help | -V | --version) exec mariadbd "$@" ;;
	esac
done

export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

# The server, as the mysql user (gosu execs it: its pid is the server's).
server=(mariadbd)
if [ "$(id -u)" = 0 ]; then
	server=(gosu mysql mariadbd)
fi

# The data directory the server will use, with the user's options, read as the server reads them.
helpout=$("${server[@]}" "$@" --verbose --help 2>&1) || die "mariadbd rejects these options: $(tail -n 3 <<<"$helpout")"
DATADIR=$(awk '$1 == "datadir" { d = $2 } END { print d }' <<<"$helpout")
DATADIR=${DATADIR%/}
[ -n "$DATADIR" ] || die "cannot tell mariadbd's datadir"
unset helpout

if [ "$(id -u)" = 0 ]; then
	mkdir -p "$DATADIR" /run/mysqld
	find "$DATADIR" /run/mysqld \! -user mysql -exec chown mysql:mysql '{}' +
fi

if [ ! -d "$DATADIR/mysql" ]; then
	file_env MARIADB_ROOT_PASSWORD
	file_env MARIADB_USER
	file_env MARIADB_PASSWORD
	file_env MARIADB_DATABASE
	file_env MARIADB_ROOT_HOST '%'
	file_env MARIADB_ALLOW_EMPTY_ROOT_PASSWORD

	if [ -z "$MARIADB_ROOT_PASSWORD" ] && [ -z "$MARIADB_ALLOW_EMPTY_ROOT_PASSWORD" ]; then
		die "database is uninitialized and no root password is given: set MARIADB_ROOT_PASSWORD (or MARIADB_ROOT_PASSWORD_FILE), or MARIADB_ALLOW_EMPTY_ROOT_PASSWORD"
	fi
	if [ "$MARIADB_USER" = root ]; then
		die "MARIADB_USER=root: MARIADB_USER and MARIADB_PASSWORD are for a regular user, not for root"
	fi
	if [ -n "$MARIADB_USER" ] && [ -z "$MARIADB_PASSWORD" ]; then
		warn "MARIADB_USER is set without MARIADB_PASSWORD: no user is created"
	fi
	if [ -z "$MARIADB_USER" ] && [ -n "$MARIADB_PASSWORD" ]; then
		warn "MARIADB_PASSWORD is set without MARIADB_USER: no user is created"
	fi

	note "initializing the data directory $DATADIR"
	mariadb-install-db --user=mysql --datadir="$DATADIR" --skip-test-db --skip-name-resolve \
		--skip-log-bin --default-time-zone=SYSTEM >/dev/null || die "mariadb-install-db failed"

	SOCKET=/run/mysqld/entrypoint-init.sock
	note "starting a temporary server (socket only, wsrep off)"
	"${server[@]}" --datadir="$DATADIR" --socket="$SOCKET" --skip-networking \
		--wsrep-on=OFF --skip-log-bin --skip-slave-start --default-time-zone=SYSTEM \
		--pid-file=/run/mysqld/entrypoint-init.pid &
	tmp_pid=$!
	client=(mariadb --protocol=socket --socket="$SOCKET" -uroot --batch --skip-column-names)
	ready=
	for _ in $(seq 1 300); do
		if "${client[@]}" -e 'SELECT 1' >/dev/null 2>&1; then
			ready=1
			break
		fi
		kill -0 "$tmp_pid" 2>/dev/null || die "the temporary server exited during start-up"
		sleep 0.1
	done
	[ -n "$ready" ] || die "the temporary server did not answer on $SOCKET within 30 s"

	sql="SET @@SESSION.SQL_LOG_BIN=0;
DROP USER IF EXISTS root@'127.0.0.1', root@'::1', ''@'localhost', ''@'127.0.0.1', ''@'::1';
EXECUTE IMMEDIATE CONCAT('DROP USER IF EXISTS root@\\'', @@hostname, '\\', \\'\\'@\\'', @@hostname, '\\'');
DELETE FROM mysql.proxies_priv WHERE Host = @@hostname;
"
	if [ -n "$MARIADB_ROOT_PASSWORD" ]; then
		pw=$(sql_string "$MARIADB_ROOT_PASSWORD")
		sql+="SET PASSWORD FOR 'root'@'localhost' = PASSWORD($pw);
"
		identified="IDENTIFIED BY $pw"
	else
		identified=
	fi
	if [ "$MARIADB_ROOT_HOST" != localhost ]; then
		rh=$(sql_string "$MARIADB_ROOT_HOST")
		sql+="CREATE USER 'root'@$rh $identified;
GRANT ALL ON *.* TO 'root'@$rh WITH GRANT OPTION;
GRANT PROXY ON ''@'%' TO 'root'@$rh WITH GRANT OPTION;
"
	fi
	if [ -n "$MARIADB_DATABASE" ]; then
		note "creating database $MARIADB_DATABASE"
		sql+="CREATE DATABASE IF NOT EXISTS $(sql_ident "$MARIADB_DATABASE");
"
	fi
	if [ -n "$MARIADB_USER" ] && [ -n "$MARIADB_PASSWORD" ]; then
		note "creating user $MARIADB_USER"
		u=$(sql_string "$MARIADB_USER")
		sql+="CREATE USER $u@'%' IDENTIFIED BY $(sql_string "$MARIADB_PASSWORD");
"
		if [ -n "$MARIADB_DATABASE" ]; then
			sql+="GRANT ALL ON $(sql_ident "$MARIADB_DATABASE").* TO $u@'%';
"
		fi
	fi
	# printf is a builtin: the SQL (with the passwords) reaches the client on stdin only.
	printf '%s' "$sql" | "${client[@]}" || die "setting up root and users failed"
	unset sql pw identified

	for f in /docker-entrypoint-initdb.d/*; do
		case "$f" in
		*.sh)
			note "running $f"
			bash "$f"
			;;
		*.sql)
			note "running $f"
			"${client[@]}" <"$f"
			;;
		*) note "ignoring $f" ;;
		esac
	done

	note "stopping the temporary server"
	kill -TERM "$tmp_pid"
	stopped=
	for _ in $(seq 1 600); do
		if ! kill -0 "$tmp_pid" 2>/dev/null; then
			stopped=1
			break
		fi
		sleep 0.1
	done
	[ -n "$stopped" ] || die "the temporary server did not stop within 60 s"
	wait "$tmp_pid" || die "the temporary server stopped with an error"
	note "initialization complete; ready for start-up"
fi

unset "${SECRET_VARS[@]}"
exec "${server[@]}" "$@"
