#!/bin/sh
# Runs inside the image's root filesystem after the packages are installed.
set -eu
install -m 0755 /tmp/recipe/entrypoint.sh /usr/local/bin/docker-entrypoint.sh
install -d -m 0755 /usr/local/etc/haproxy
# The config comes from the user (a bind mount), as in the official image.
rm -f /etc/haproxy/haproxy.cfg
install -d -o haproxy -g haproxy -m 0755 /var/lib/haproxy
haproxy -v | head -n 1 | grep -q 'version 2\.6\.'
