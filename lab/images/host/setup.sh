#!/bin/sh
# Runs inside the image's root filesystem after the packages are installed.
set -eu
install -m 0755 /tmp/recipe/init.sh /usr/local/sbin/galeractl-lab-host-init
install -m 0644 /tmp/recipe/sshd_config /etc/ssh/sshd_config.d/galeractl-lab.conf
# Every host makes its own host keys at first start (ssh-keygen -A).
rm -f /etc/ssh/ssh_host_*
install -d -m 0700 /root/.ssh
test -x /usr/bin/tini
test -x /usr/sbin/dockerd
