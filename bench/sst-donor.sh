#!/usr/bin/env bash
# bench/sst-donor.sh: what a full state transfer costs the donor, rsync against mariabackup, side
# by side in one run, on the lab: for each method a 3-node cluster of its own ("backupsst",
# ~16 MB of rows), then one node's data removed and `start-node` bringing it back by SST while
# a writer inserts through the donor and the other node; prints the transfer time and the
# writes each acknowledged meanwhile (rsync blocks the donor's writes for the copy; mariabackup
# does not). It is the end-to-end test tests/e2e_mariabackup.rs with SST_COMPARE=1. Bounded;
# touches only its own cluster.
set -euo pipefail
cd "$(dirname "$0")/.."
SST_COMPARE=1 cargo test --release --locked -q --test e2e_mariabackup -- --nocapture 2>&1 |
	grep -E '^\| |^mariabackup:'
