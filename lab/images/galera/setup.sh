#!/bin/sh
# Runs inside the image's root filesystem after the packages are installed. Shared by the
# galera (bookworm, 10.11) and galera118 (trixie, 11.8) recipes.
set -eu
# The suite gave the server the image's tag names (galeractl-lab/galera:11.8: MariaDB 11.8.x).
version=$(sed 's/.*://' /tmp/recipe/image | tr -d '[:space:]')
mariadbd --version
mariadbd --version | grep -q " Ver $version\."
for tool in mariadbd mariadb mariadb-install-db mariadb-upgrade mariadb-dump mariadb-backup gosu zstd; do
	command -v "$tool"
done
install -m 0755 /tmp/recipe/entrypoint.sh /usr/local/bin/docker-entrypoint.sh
# The official image's path; the old lab path stays as a link.
ln -sf /usr/local/bin/docker-entrypoint.sh /entrypoint.sh

# The official image's mysql user and group are 999: make Debian's match, and move what the
# packages gave the old ids.
old_uid=$(id -u mysql)
old_gid=$(getent group mysql | cut -d: -f3)
if [ "$old_gid" != 999 ]; then
	groupmod -g 999 mysql
	find / -xdev -gid "$old_gid" -exec chgrp -h 999 '{}' +
fi
if [ "$old_uid" != 999 ]; then
	usermod -u 999 mysql
	find / -xdev -uid "$old_uid" -exec chown -h 999 '{}' +
fi
test "$(id -u mysql):$(id -g mysql)" = 999:999
gosu mysql true
mkdir -p /docker-entrypoint-initdb.d

# Debian's server binds 127.0.0.1: a Galera node must be reachable.
sed -i 's/^\([[:space:]]*bind-address[[:space:]]*=\).*/\1 0.0.0.0/' /etc/mysql/mariadb.conf.d/50-server.cnf
grep -q '^[[:space:]]*bind-address[[:space:]]*=[[:space:]]*0\.0\.0\.0$' /etc/mysql/mariadb.conf.d/50-server.cnf
# As the official image: no host cache, no name resolution.
cat >/etc/mysql/mariadb.conf.d/05-docker.cnf <<'CNF'
[mariadb]
host-cache-size=0
skip-name-resolve
CNF

# An empty data directory: every node initialises its own (the package filled it).
rm -rf /var/lib/mysql
install -d -o mysql -g mysql -m 0755 /var/lib/mysql
install -d -o mysql -g mysql -m 0755 /run/mysqld
test -f /usr/lib/galera/libgalera_smm.so
# The server reads /etc/mysql/conf.d (galeractl mounts its settings there).
grep -q '^!includedir /etc/mysql/conf.d/\?$' /etc/mysql/my.cnf /etc/mysql/mariadb.cnf
