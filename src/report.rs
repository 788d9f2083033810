//! What `galeractl status` found, as data: one report of the cluster (its verdict, every node's
//! wsrep state or why it gave none, the proxy's backends, garbd). `observe::status` reads it,
//! `StatusReport::judge` decides the verdict, `table.rs` renders it as the table an operator
//! reads (`--json` is its serialisation), and `prometheus.rs` as metrics. Pure.

mod table;

pub mod up;

use serde::Serialize;

use crate::facts::ContainerState;
use crate::galera::{self, NodeStatus, Verdict};
use crate::inventory::Inventory;

pub use table::render;

/// What `status` read (`observe::status::read`), before any verdict.
pub struct StatusFacts {
    pub nodes: Vec<NodeReport>,
    /// The distinct history UUIDs recorded on the hosts read.
    pub recorded_history: Vec<String>,
    pub proxy: Option<ProxyReport>,
    /// garbd's container, when the inventory has an arbitrator.
    pub arbitrator: Option<ContainerState>,
}

/// The `--json` document (documented in docs/src/status.md): stable field names.
#[derive(Debug, Serialize)]
pub struct StatusReport {
    pub cluster: String,
    pub verdict: Verdict,
    /// The cluster state UUIDs galeractl recorded on the hosts (one per distinct record), as
    /// read: the first node's host's alone when it is the Primary component's UUID, otherwise
    /// every host's; absent when no host could be read or none has a record.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub recorded_history: Vec<String>,
    pub exit_code: u8,
    pub nodes: Vec<NodeReport>,
    /// Present when the inventory has a `[haproxy]` section.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proxy: Option<ProxyReport>,
    /// Present when the inventory has an `[arbitrator]` section.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arbitrator: Option<ArbitratorReport>,
    /// What to fix when nodes refuse the monitoring user (its password file); absent
    /// otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub advice: Option<String>,
}

impl StatusReport {
    /// The report of what `status` read: the verdict at the inventory's size, garbd's
    /// membership, and advice when nodes refuse the monitoring user.
    /// The report of what `status` read: [`StatusReport::judge`] over it.
    pub fn of(inventory: &Inventory, facts: StatusFacts) -> StatusReport {
        StatusReport::judge(
            inventory,
            facts.nodes,
            facts.recorded_history,
            facts.proxy,
            facts.arbitrator,
        )
    }

    pub fn judge(
        inventory: &Inventory,
        nodes: Vec<NodeReport>,
        recorded_history: Vec<String>,
        proxy: Option<ProxyReport>,
        arbitrator: Option<ContainerState>,
    ) -> StatusReport {
        let pairs: Vec<(&str, Option<&NodeStatus>)> = nodes
            .iter()
            .map(|n| (n.name.as_str(), n.wsrep.as_ref()))
            .collect();
        let verdict = galera::verdict(inventory.members(), &pairs, &recorded_history);
        let statuses: Vec<Option<NodeStatus>> = nodes.iter().map(|n| n.wsrep.clone()).collect();
        let arbitrator = inventory
            .arbitrator
            .as_ref()
            .zip(arbitrator)
            .map(|(a, container)| {
                ArbitratorReport {
                    host: a.host.clone(),
                    port: a.port,
                    // Its container runs and the component counts a member no node accounts for.
                    member: container == ContainerState::Running
                        && crate::arbitrator::is_member(&statuses, 0),
                    container,
                }
            });
        let advice = nodes
            .iter()
            .any(|n| {
                n.no_answer
                    .as_ref()
                    .is_some_and(galera::NoAnswer::is_access_denied)
            })
            .then(|| {
                galera::access_denied_advice(
                    &inventory.cluster.monitor_user,
                    &inventory.cluster.monitor_password_file,
                )
            });
        StatusReport {
            cluster: inventory.cluster.name.clone(),
            advice,
            recorded_history,
            exit_code: verdict.exit_code(),
            verdict,
            nodes,
            proxy,
            arbitrator,
        }
    }
}

/// garbd: a member without data, so no SQL; its container's state over SSH, and whether the
/// Primary component counts a member that is no node.
#[derive(Debug, Serialize)]
pub struct ArbitratorReport {
    pub host: String,
    pub port: u16,
    /// `running`, `exited`, `missing`, or `unknown (why)`.
    pub container: ContainerState,
    pub member: bool,
}

#[derive(Debug, Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProxyReport {
    pub host: String,
    pub port: u16,
    pub stats_port: u16,
    /// Why HAProxy's stats could not be read; absent when they were.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub backends: Vec<BackendReport>,
}

#[derive(Debug, Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackendReport {
    pub server: String,
    /// As HAProxy sees it: UP, DOWN, ...
    pub status: String,
    pub backup: bool,
    /// The node's own wsrep state says it may take traffic.
    pub node_healthy: bool,
    /// HAProxy and the node agree (UP exactly when healthy).
    pub agrees: bool,
}

#[derive(Debug, Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeReport {
    pub name: String,
    pub host: String,
    pub port: u16,
    /// Container state from docker (`running`, `exited`, `missing`...), or `unknown` when it
    /// was not asked (the node answered SQL: it runs) or the host could not be reached.
    pub container: ContainerState,
    /// Why SQL gave no status; absent when it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The same reason as data (`kind`: access_denied, server_error, refused, timeout, tls,
    /// other); absent when SQL gave a status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub no_answer: Option<galera::NoAnswer>,
    pub wsrep: Option<NodeStatus>,
    /// Last log lines of the container (with -v, for nodes that do not answer).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub log: Vec<String>,
}
