#!/bin/sh
# Runs inside every image's root filesystem last: what an image needs no copy of.
set -eu
apt-get clean
rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/cache/debconf/*-old /var/lib/dpkg/*-old
rm -rf /usr/share/doc/* /usr/share/man/* /usr/share/info/* /usr/share/locale/*
rm -f /var/log/apt/* /var/log/dpkg.log /var/log/alternatives.log /var/log/bootstrap.log
rm -f /usr/sbin/policy-rc.d
: >/etc/machine-id
: >/etc/resolv.conf
