#!/bin/sh
# Init of a galeractl lab host (run under tini): host keys, sshd, then dockerd in the foreground.
set -eu
ssh-keygen -A
mkdir -p /run/sshd
# A restarted container keeps its files: drop stale pid files of the last run.
rm -f /run/sshd.pid /var/run/docker.pid /var/run/docker/containerd/containerd.pid
/usr/sbin/sshd -E /var/log/sshd.log
exec dockerd >>/var/log/dockerd.log 2>&1
