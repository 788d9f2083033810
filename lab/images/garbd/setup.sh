#!/bin/sh
# Runs inside the image's root filesystem after the packages are installed.
set -eu
# garbd runs as its own unprivileged user, with fixed ids (999, as the galera image's mysql),
# in a working directory it owns: the image's WORKDIR, where garbd keeps its state.
# No ENTRYPOINT: the caller runs `garbd ARGS...` (CMD is `garbd --help`). garbd is PID 1 then,
# and it sets its SIGTERM/SIGINT handlers only once it has joined: while it still connects,
# docker stop waits out its grace period and kills it (docker run --init avoids that).
groupadd --system --gid 999 garb
useradd --system --uid 999 --gid 999 --home-dir /var/lib/garb --no-create-home \
	--shell /usr/sbin/nologin garb
install -d -o garb -g garb -m 0755 /var/lib/garb
test "$(id -u garb):$(id -g garb)" = 999:999
test -x /usr/bin/garbd
garbd --version
