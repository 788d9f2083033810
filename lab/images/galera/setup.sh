#!/bin/sh
# Runs inside the image's root filesystem after the packages are installed.
set -eu
install -m 0755 /tmp/recipe/entrypoint.sh /entrypoint.sh
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
