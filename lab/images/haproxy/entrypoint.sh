#!/bin/sh
# Entrypoint of galeractl-lab/haproxy, with the contract of the official `haproxy` image:
# with no arguments it runs `haproxy -W -db -f /usr/local/etc/haproxy/haproxy.cfg` as PID 1;
# arguments that begin with '-' are options for haproxy (they replace the default `-f ...`);
# any other command is run as given.
set -e
if [ "${1#-}" != "$1" ]; then
	set -- haproxy "$@"
fi
if [ "$1" = haproxy ]; then
	shift
	set -- haproxy -W -db "$@"
fi
exec "$@"
