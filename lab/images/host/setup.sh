#!/bin/sh
# Runs inside the image's root filesystem after the packages are installed.
set -eu
install -m 0755 /tmp/recipe/init.sh /usr/local/sbin/galeractl-lab-host-init
install -m 0644 /tmp/recipe/sshd_config /etc/ssh/sshd_config.d/galeractl-lab.conf
# Every host makes its own host keys at first start (ssh-keygen -A).
rm -f /etc/ssh/ssh_host_*
install -d -m 0700 /root/.ssh
# A non-root login for galeractl's [ssh] sudo = true: no password, sudo without one (sudo -n).
useradd --create-home --uid 1000 --shell /bin/bash deploy
# '*', not useradd's locked '!': sshd without PAM refuses a locked account even with a key.
usermod -p '*' deploy
install -d -m 0700 -o deploy -g deploy /home/deploy/.ssh
printf 'deploy ALL=(ALL) NOPASSWD: ALL\n' >/etc/sudoers.d/deploy
chmod 0440 /etc/sudoers.d/deploy
test -x /usr/bin/tini
test -x /usr/sbin/dockerd
test -x /usr/bin/sudo
