//! What `galeractl status` found, as data: one report of the cluster (its verdict, every node's
//! wsrep state or why it gave none, the proxy's backends, garbd), which `cmd/status.rs`
//! gathers and renders as a table or JSON, and `prometheus.rs` as metrics. Pure.

use serde::Serialize;

use crate::facts::ContainerState;
use crate::galera::{self, NodeStatus, Verdict};

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

#[derive(Debug, Serialize)]
pub struct ProxyReport {
    pub host: String,
    pub port: u16,
    pub stats_port: u16,
    /// Why HAProxy's stats could not be read; absent when they were.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub backends: Vec<BackendReport>,
}

#[derive(Debug, Serialize)]
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

#[derive(Debug, Serialize)]
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
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub log: Vec<String>,
}
