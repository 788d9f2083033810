//! The operator's intent that a node stays down: `stop-node` records, on the node's host, the
//! start time of the container it stops. The record holds as long as the container has not
//! been started since (the same start time): a node started again by `up`, `start-node`, a
//! restart policy or by hand, then crashed, is watch's to heal; one the operator stopped is not.
//! No clock is compared: the record is docker's own start time, read back from docker.

use crate::argv::Argv;
use crate::inventory::{Inventory, Node};

/// The record's directory on a node's host.
pub fn dir(inventory: &Inventory) -> String {
    format!("{}/stopped", inventory.cluster_dir())
}

/// Writes the record for `node`: its container's current start time (run before the stop).
pub fn record_argv(inventory: &Inventory, node: &Node) -> Argv {
    vec![
        "sh".into(),
        "-c".into(),
        "mkdir -p \"$1\" && docker inspect -f '{{.State.StartedAt}}' \"$2\" > \"$1/$3.new\" && mv -f \"$1/$3.new\" \"$1/$3\"".into(),
        "galeractl-intent".into(),
        dir(inventory),
        inventory.container_name(node),
        node.name.clone(),
    ]
}

/// Reads the record and the container's start time now, one a line (either line empty when
/// there is none).
pub fn read_argv(inventory: &Inventory, node: &Node) -> Argv {
    vec![
        "sh".into(),
        "-c".into(),
        "cat \"$1/$3\" 2>/dev/null; echo; docker inspect -f '{{.State.StartedAt}}' \"$2\" 2>/dev/null; true".into(),
        "galeractl-intent".into(),
        dir(inventory),
        inventory.container_name(node),
        node.name.clone(),
    ]
}

/// Whether [`read_argv`]'s output says the operator stopped the node and it was not started
/// since: the record is the container's start time, or the container is gone (removed by hand
/// after `stop-node`: anything that creates it again gives it a new start time).
pub fn operator_stopped(read: &str) -> bool {
    let mut lines = read.lines().map(str::trim);
    let record = lines.next().unwrap_or_default();
    let started = lines.find(|l| !l.is_empty()).unwrap_or_default();
    !record.is_empty() && (record == started || started.is_empty())
}
