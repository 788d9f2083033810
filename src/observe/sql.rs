//! What the nodes' SQL says, as the monitoring user: wsrep status probes in parallel, and a
//! few global variables (provider options, version).

use std::time::Duration;

use crate::galera::{NoAnswer, NodeStatus, Probe};
use crate::inventory::{Inventory, Node};
use crate::secret::Secret;
use crate::sql::{self, SqlTarget};

pub fn monitor_target(inventory: &Inventory, node: &Node, password: &Secret) -> SqlTarget {
    SqlTarget {
        host: inventory.sql_host(node),
        port: node.ports.mysql,
        user: inventory.cluster.monitor_user.clone(),
        password: password.clone(),
        ca: inventory.tls.as_ref().map(|t| t.ca_cert.clone()),
    }
}

/// The wsrep status of each named node, or why there is none, probed in parallel as the
/// monitoring user, each within `timeout`.
pub async fn probes<S: AsRef<str>>(
    inventory: &Inventory,
    names: &[S],
    password: &Secret,
    timeout: Duration,
) -> Vec<Probe> {
    futures::future::join_all(names.iter().map(|name| async move {
        let Some(node) = inventory.node(name.as_ref()) else {
            return Err(NoAnswer::Other {
                message: format!("{} is not in the inventory", name.as_ref()),
            });
        };
        sql::probe(&monitor_target(inventory, node, password), timeout).await
    }))
    .await
}

/// [`probes`] for every node of the inventory, in inventory order.
pub async fn probe_every(
    inventory: &Inventory,
    password: &Secret,
    timeout: Duration,
) -> Vec<Probe> {
    let names: Vec<&str> = inventory.nodes.iter().map(|n| n.name.as_str()).collect();
    probes(inventory, &names, password, timeout).await
}

/// The wsrep status of each named node (`None`: no answer, whatever the reason, or not in the
/// inventory), probed in parallel as the monitoring user, each within `timeout`.
pub async fn probe_named<S: AsRef<str>>(
    inventory: &Inventory,
    names: &[S],
    password: &Secret,
    timeout: Duration,
) -> Vec<Option<NodeStatus>> {
    probes(inventory, names, password, timeout)
        .await
        .into_iter()
        .map(Result::ok)
        .collect()
}

/// [`probe_named`] for every node of the inventory, in inventory order.
pub async fn probe_all(
    inventory: &Inventory,
    password: &Secret,
    timeout: Duration,
) -> Vec<Option<NodeStatus>> {
    let names: Vec<&str> = inventory.nodes.iter().map(|n| n.name.as_str()).collect();
    probe_named(inventory, &names, password, timeout).await
}

/// A node's `wsrep_provider_options` (Galera's settings, `gcache.size` among them).
pub async fn provider_options(target: &crate::sql::SqlTarget, timeout: Duration) -> Option<String> {
    global_variable(target, "wsrep_provider_options", timeout).await
}

async fn global_variable(
    target: &crate::sql::SqlTarget,
    name: &str,
    timeout: Duration,
) -> Option<String> {
    let rows = crate::sql::query_pairs(
        target,
        &format!("SHOW GLOBAL VARIABLES LIKE '{name}'"),
        timeout,
    )
    .await
    .ok()?;
    rows.into_iter().find(|(k, _)| k == name).map(|(_, v)| v)
}

/// The MariaDB version a node runs (`10.11.14-MariaDB-...`), or `None`.
pub async fn running_version(target: &crate::sql::SqlTarget, timeout: Duration) -> Option<String> {
    global_variable(target, "version", timeout).await
}
