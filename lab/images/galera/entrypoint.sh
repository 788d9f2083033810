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
#   - MARIADB_AUTO_UPGRADE (the official image's semantics: set, and not "0", means on): when
#     the data directory comes from an older MariaDB (major.minor in its mariadb_upgrade_info,
#     or mysql_upgrade_info, below the server's; no such file counts as older), a temporary
#     server (socket only, Galera off: wsrep off and no provider, none of the given --wsrep*
#     options) first has its system tables backed up into the data directory
#     (system_mysql_backup_<old version>.sql.zst; MARIADB_DISABLE_UPGRADE_BACKUP=1 skips it)
#     and upgraded (mariadb-upgrade --upgrade-system-tables, as root over the socket), then
#     stops cleanly. Without MARIADB_AUTO_UPGRADE an older data directory is only noted;
#   - finally `exec gosu mysql mariadbd ARGS...`: mariadbd is PID 1.
# It lives at /usr/local/bin/docker-entrypoint.sh, the official image's path and ENTRYPOINT.
# One script for the galera:10.11 (bookworm) and galera:11.8 (trixie) images: it calls the
# mariadb* programs, or their mysql* names where a server has only those.
# Secrets are given to the client on stdin or in a temporary 0600 option file only, never on a
# command line.
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

# tool NAME OLDNAME: the program NAME, or OLDNAME where only that exists.
tool() {
	local t
	for t; do
		if command -v "$t" >/dev/null; then
			printf '%s' "$t"
			return
		fi
	done
	die "none of these programs is installed: $*"
}

# Options that begin with '-' are for mariadbd.
if [ "${1:0:1}" = '-' ]; then
	set -- mariadbd "$@"
fi
case "${1:-}" in
mariadbd | mysqld) shift ;;
*) exec "$@" ;;
esac

export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
MARIADBD=$(tool mariadbd mysqld)

# Help and version requests go straight through.
for arg; do
	case "$arg" in
	-'?' | --help | -V | --version) exec "$MARIADBD" "$@" ;;
	esac
done

MARIADB=$(tool mariadb mysql)
INSTALL_DB=$(tool mariadb-install-db mysql_install_db)

# The server, as the mysql user (gosu execs it: its pid is the server's).
server=("$MARIADBD")
if [ "$(id -u)" = 0 ]; then
	server=(gosu mysql "$MARIADBD")
fi

# A temporary server for the set-up (initialisation, upgrade): socket only, Galera off.
SOCKET=/run/mysqld/entrypoint-init.sock
TMP_PID=
client=("$MARIADB" --protocol=socket --socket="$SOCKET" -uroot --batch --skip-column-names)

# temp_server_start [OPTIONS...]: starts it with OPTIONS, then waits until root gets in by the
# client command in the array `client` (at most 30 s).
temp_server_start() {
	"${server[@]}" "$@" --socket="$SOCKET" --skip-networking --wsrep-on=OFF \
		--skip-slave-start --pid-file=/run/mysqld/entrypoint-init.pid &
	TMP_PID=$!
	local _ err
	for _ in $(seq 1 300); do
		if err=$("${client[@]}" -e 'SELECT 1' 2>&1 >/dev/null); then
			return 0
		fi
		case "$err" in
		*'Access denied'*) die "root cannot log in to the temporary server (is MARIADB_ROOT_PASSWORD, or the file of MARIADB_ROOT_PASSWORD_FILE, root's password?): $err" ;;
		esac
		kill -0 "$TMP_PID" 2>/dev/null || die "the temporary server exited during start-up"
		sleep 0.1
	done
	die "the temporary server did not answer on $SOCKET within 30 s"
}

# temp_server_stop: a clean shutdown (SIGTERM), waited for (at most 10 minutes: InnoDB may
# have much to write).
temp_server_stop() {
	local _
	kill -TERM "$TMP_PID"
	for _ in $(seq 1 6000); do
		if ! kill -0 "$TMP_PID" 2>/dev/null; then
			wait "$TMP_PID" || die "the temporary server stopped with an error"
			TMP_PID=
			return 0
		fi
		sleep 0.1
	done
	die "the temporary server did not stop within 600 s"
}

# The data directory the server will use, with the user's options, read as the server reads them.
helpout=$("${server[@]}" "$@" --verbose --help 2>&1) || die "mariadbd rejects these options: $(tail -n 3 <<<"$helpout")"
DATADIR=$(awk '$1 == "datadir" { d = $2 } END { print d }' <<<"$helpout")
DATADIR=${DATADIR%/}
[ -n "$DATADIR" ] || die "cannot tell mariadbd's datadir"

if [ "$(id -u)" = 0 ]; then
	mkdir -p "$DATADIR" /run/mysqld
	find "$DATADIR" /run/mysqld \! -user mysql -exec chown mysql:mysql '{}' +
fi

# The server's version (X.Y.Z), from its --verbose --help ("mariadbd  Ver 11.8.9-MariaDB...").
version_of() { sed -n 's/^[^ ]*  *Ver \([0-9][0-9]*\.[0-9][0-9]*\.[0-9][0-9]*\).*$/\1/p' | head -n 1; }
SERVER_VERSION=$(version_of <<<"$helpout")
if [ -z "$SERVER_VERSION" ]; then
	SERVER_VERSION=$("$MARIADBD" --version 2>/dev/null | version_of)
fi
unset helpout

# upgrade_needed: whether the data directory's system tables come from an older MariaDB than
# the server, as the official image tells: the major.minor of mariadb_upgrade_info (of
# mysql_upgrade_info, the name before 11.x, when there is none) below the server's, or no such
# file at all. Sets OLD_VERSION (the file's version, or "unknown").
OLD_VERSION=
upgrade_needed() {
	local f info='' old new
	for f in "$DATADIR/mariadb_upgrade_info" "$DATADIR/mysql_upgrade_info"; do
		if [ -f "$f" ]; then
			info=$f
			break
		fi
	done
	if [ -z "$info" ]; then
		OLD_VERSION=unknown
		note "the data directory has no mariadb_upgrade_info (nor mysql_upgrade_info): assuming its system tables need mariadb-upgrade"
		return 0
	fi
	OLD_VERSION=$(tr -d '\0' <"$info" | head -n 1 | tr -d '[:space:]')
	OLD_VERSION=${OLD_VERSION:-unknown}
	IFS=.- read -r -a old <<<"$OLD_VERSION"
	IFS=.- read -r -a new <<<"$SERVER_VERSION"
	if ((${#old[@]} < 2 || ${#new[@]} < 2)) || [[ ! "${old[0]}${old[1]}${new[0]}${new[1]}" =~ ^[0-9]+$ ]]; then
		return 0
	fi
	if ((old[0] < new[0] || (old[0] == new[0] && old[1] < new[1]))); then
		return 0
	fi
	if ((old[0] > new[0] || (old[0] == new[0] && old[1] > new[1]))); then
		warn "the data directory comes from a newer MariaDB ($OLD_VERSION) than this server ($SERVER_VERSION): nothing is upgraded (nor downgraded)"
	fi
	return 1
}

# option_file_value VALUE: VALUE as a double-quoted value of an option file.
option_file_value() {
	local s=${1//\\/\\\\}
	s=${s//\"/\\\"}
	s=${s//$'\n'/\\n}
	printf '"%s"' "$s"
}

# upgrade_cleanup: on the way out of a failed upgrade, the temporary server is stopped cleanly
# and the temporary option file removed.
UPGRADE_TMP=
upgrade_cleanup() {
	if [ -n "$TMP_PID" ] && kill -0 "$TMP_PID" 2>/dev/null; then
		warn "stopping the temporary server"
		kill -TERM "$TMP_PID" 2>/dev/null || true
		wait "$TMP_PID" 2>/dev/null || true
	fi
	if [ -n "$UPGRADE_TMP" ]; then
		rm -rf "$UPGRADE_TMP"
	fi
}

# auto_upgrade ARGS...: MARIADB_AUTO_UPGRADE's step, before the real server starts with ARGS.
auto_upgrade() {
	local upgrade dump arg skip='' dropped=() kept=() defaults backup upgrade_defaults pwd_env=
	trap upgrade_cleanup EXIT
	# PID 1 ignores a signal it has no handler for: docker stop during the upgrade stops it at
	# the next step (after mariadb-upgrade, if that runs), the temporary server cleanly.
	trap 'warn "signal received: the upgrade stops here"; exit 143' TERM INT
	upgrade=$(tool mariadb-upgrade mysql_upgrade)
	dump=$(tool mariadb-dump mysqldump)
	note "MARIADB_AUTO_UPGRADE=$MARIADB_AUTO_UPGRADE: the data directory $DATADIR comes from MariaDB $OLD_VERSION, the server is $SERVER_VERSION: upgrading its system tables before the server starts"

	# The temporary server gets the given options without Galera's (a --wsrep-start-position,
	# the cluster address, --wsrep-new-cluster, the provider): Galera stays off, as MariaDB
	# documents for an upgrade. The others (InnoDB settings, datadir...) stay.
	for arg; do
		if [ -n "$skip" ]; then
			skip=
			if [ "${arg:0:1}" != - ]; then
				continue
			fi
		fi
		case "$arg" in
		--wsrep[-_]* | --loose-wsrep[-_]* | --skip-wsrep[-_]* | --enable-wsrep[-_]* | --disable-wsrep[-_]*)
			dropped+=("${arg%%=*}")
			if [[ "$arg" != *=* ]]; then
				skip=1 # its value may be the next word
			fi
			;;
		*) kept+=("$arg") ;;
		esac
	done
	if ((${#dropped[@]})); then
		note "the temporary server runs without these options: ${dropped[*]}"
	fi

	file_env MARIADB_ROOT_PASSWORD
	UPGRADE_TMP=$(mktemp -d /tmp/entrypoint-upgrade.XXXXXX)
	defaults=$UPGRADE_TMP
	(
		umask 077
		printf '[client]\nuser=root\n' >"$defaults/root.cnf"
		cp "$defaults/root.cnf" "$defaults/root-nopassword.cnf"
		if [ -n "$MARIADB_ROOT_PASSWORD" ]; then
			# printf is a builtin: the password is on no command line.
			printf 'password=%s\n' "$(option_file_value "$MARIADB_ROOT_PASSWORD")" >>"$defaults/root.cnf"
		fi
	)
	upgrade_defaults=$defaults/root.cnf
	if [ -n "$MARIADB_ROOT_PASSWORD" ]; then
		note "root connects with the password of MARIADB_ROOT_PASSWORD (from a temporary 0600 option file)"
		case "$MARIADB_ROOT_PASSWORD" in
		*\'* | *\\*)
			# mariadb-upgrade hands the password on to its own tools shell-quoted in an option
			# file, which mangles these two characters; they read MYSQL_PWD right.
			note "the root password has a ' or a \\, which mariadb-upgrade would mangle: it gets the password in its environment (MYSQL_PWD) instead"
			upgrade_defaults=$defaults/root-nopassword.cnf
			pwd_env=1
			;;
		esac
	else
		note "no root password given (MARIADB_ROOT_PASSWORD, MARIADB_ROOT_PASSWORD_FILE): root connects by its unix socket authentication"
	fi
	client=("$MARIADB" --defaults-extra-file="$defaults/root.cnf" --protocol=socket --socket="$SOCKET"
		--batch --skip-column-names)

	note "starting a temporary server for the upgrade (socket only, wsrep off, no Galera provider)"
	temp_server_start "${kept[@]}" --wsrep-provider=none \
		--loose-innodb-buffer-pool-load-at-startup=0 --loose-innodb-buffer-pool-dump-at-shutdown=0
	note "temporary server up: $("${client[@]}" -e 'SELECT VERSION()' 2>&1)"

	if [ "${MARIADB_DISABLE_UPGRADE_BACKUP:-}" = 1 ]; then
		note "no backup of the system tables: MARIADB_DISABLE_UPGRADE_BACKUP=1"
	else
		backup=$DATADIR/system_mysql_backup_$OLD_VERSION.sql.zst
		if [ "$OLD_VERSION" = unknown ]; then
			backup=$DATADIR/system_mysql_backup_unknown_version.sql.zst
		fi
		note "backing up the system tables (database mysql) to $backup"
		if ! (umask 077 && "$dump" --defaults-extra-file="$defaults/root.cnf" --protocol=socket \
			--socket="$SOCKET" --skip-lock-tables --replace --databases mysql | zstd -q >"$backup"); then
			die "the backup of the system tables failed: not upgrading (MARIADB_DISABLE_UPGRADE_BACKUP=1 skips the backup)"
		fi
		chown mysql:mysql "$backup" 2>/dev/null || true
		note "backup done ($(du -h "$backup" | cut -f1))"
	fi

	note "running $upgrade --upgrade-system-tables"
	# In a subshell: MYSQL_PWD (when used) is exported to mariadb-upgrade only, never an argument.
	if ! (
		if [ -n "$pwd_env" ]; then
			export MYSQL_PWD=$MARIADB_ROOT_PASSWORD
		fi
		exec "$upgrade" --defaults-extra-file="$upgrade_defaults" --protocol=socket \
			--socket="$SOCKET" --upgrade-system-tables
	); then
		die "$upgrade failed (its output is above): the server is not started"
	fi
	rm -rf "$UPGRADE_TMP"
	UPGRADE_TMP=
	if [ "$(id -u)" = 0 ]; then
		# mariadb-upgrade ran as root: what it wrote in the data directory goes to mysql.
		find "$DATADIR" -maxdepth 1 \! -user mysql -exec chown mysql:mysql '{}' +
	fi
	note "$upgrade done; the data directory's upgrade info now says: $(tr -d '\0' <"$DATADIR/mariadb_upgrade_info" 2>/dev/null ||
		tr -d '\0' <"$DATADIR/mysql_upgrade_info" 2>/dev/null || echo '(none)')"

	note "stopping the temporary server"
	temp_server_stop
	trap - EXIT TERM INT
	note "upgrade complete; starting the server"
}

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
	"$INSTALL_DB" --user=mysql --datadir="$DATADIR" --skip-test-db --skip-name-resolve \
		--skip-log-bin --default-time-zone=SYSTEM >/dev/null || die "mariadb-install-db failed"

	note "starting a temporary server (socket only, wsrep off)"
	temp_server_start --datadir="$DATADIR" --skip-log-bin --default-time-zone=SYSTEM

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
	temp_server_stop
	note "initialization complete; ready for start-up"
elif upgrade_needed; then
	if [ -z "${MARIADB_AUTO_UPGRADE:-}" ] || [ "$MARIADB_AUTO_UPGRADE" = 0 ]; then
		note "the system tables need mariadb-upgrade (data directory from MariaDB $OLD_VERSION, server $SERVER_VERSION): not done, MARIADB_AUTO_UPGRADE is not set"
	else
		auto_upgrade "$@"
	fi
fi

unset "${SECRET_VARS[@]}"
exec "${server[@]}" "$@"
