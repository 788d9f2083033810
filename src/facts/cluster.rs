//! What `up` and the planners know of a cluster on its hosts: its nodes, their containers,
//! what their SQL said, strays, and what a rolling replace needs.

use super::container::{Container, ContainerState};

/// What is known of the cluster on its hosts before planning. The default is a cluster that
/// does not exist yet: that is what `galeractl plan` shows.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Observed {
    pub nodes: Vec<ObservedNode>,
    /// The cluster's other containers (health endpoints, proxy), by container name.
    pub aux: Vec<(String, Container)>,
    /// HAProxy's configuration on its host differs from the one the inventory gives (a new
    /// stats password: the spec label cannot show it).
    pub proxy_config_stale: bool,
    /// The history UUID recorded on each host of a node (`None`: no record: a cluster made
    /// before galeractl recorded it, or a new host). Hosts not read are absent.
    pub history: std::collections::BTreeMap<String, Option<String>>,
    /// The state UUID of the nodes that are Synced in the Primary component.
    pub cluster_uuid: Option<String>,
    /// Each running node container of the inventory: whether it runs with TLS (its
    /// `io.galeractl.tls` label).
    pub tls_running: std::collections::BTreeMap<String, bool>,
    /// Running nodes whose server presents another TLS certificate than the one on this
    /// machine (renewed there, or about to be): `up` writes and reloads theirs.
    pub tls_stale: Vec<String>,
    /// The cluster's nodes that the inventory does not name.
    pub strays: Vec<Stray>,
    /// Data volumes labelled with the cluster for a node the inventory does not name (an old
    /// name's data), read when no node of the inventory serves.
    pub stray_volumes: Vec<StrayVolume>,
    /// How far back the serving nodes' gcache reaches, and the write rate: whether a node
    /// taken down for a rolling replace can come back by IST (read when one is planned).
    pub gcache: Option<Gcache>,
    /// MariaDB's version running now and in the inventory's image (read when a rolling
    /// replace is planned, and both could be read).
    pub versions: Option<Versions>,
    /// The Primary component counts the arbitrator, most likely (the size of the component
    /// the waits expect).
    pub arbitrator_member: bool,
    /// The arbitrator must be a member: no node whose SQL is silent could be that member
    /// instead (what a majority may count on).
    pub arbitrator_surely: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObservedNode {
    pub name: String,
    pub container: Container,
    /// The node's data volume exists (it may hold a database).
    #[serde(default)]
    pub volume: bool,
    /// The node answers SQL and is Synced in a Primary component.
    #[serde(default)]
    pub synced_primary: bool,
    /// What its SQL said: its wsrep state, or why it gave none (not asked when its container
    /// does not run).
    #[serde(default)]
    pub sql: SqlSaid,
    /// Its container runs, its SQL is silent, and its own log says its last view since its
    /// start is non-Primary: it waits for a Primary component.
    #[serde(default)]
    pub waiting_non_primary: bool,
    /// The content of the node's config file on its host, when it could be read.
    #[serde(default)]
    pub config: Option<String>,
}

/// What a node's SQL said when `up` asked it.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SqlSaid {
    /// Not asked: its container does not run.
    #[default]
    NotAsked,
    /// Its wsrep state: `wsrep_cluster_status` and `wsrep_local_state_comment`.
    State {
        cluster_status: String,
        local_state: String,
    },
    /// It gave no status, and why.
    NoAnswer(crate::galera::NoAnswer),
}

impl SqlSaid {
    pub fn of(probe: &crate::galera::Probe) -> SqlSaid {
        match probe {
            Ok(s) => SqlSaid::State {
                cluster_status: s.cluster_status.clone(),
                local_state: s.local_state.clone(),
            },
            Err(e) => SqlSaid::NoAnswer(e.clone()),
        }
    }

    /// Its server answered and refused the monitoring user.
    pub fn access_denied(&self) -> bool {
        matches!(self, SqlSaid::NoAnswer(e) if e.is_access_denied())
    }

    /// Its server answered something (a state, or an error such as access denied): a process
    /// serves on its port.
    pub fn server_answered(&self) -> bool {
        match self {
            SqlSaid::NotAsked => false,
            SqlSaid::State { .. } => true,
            SqlSaid::NoAnswer(e) => e.server_answered(),
        }
    }
}

impl std::fmt::Display for SqlSaid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SqlSaid::NotAsked => f.write_str("not asked"),
            SqlSaid::State {
                cluster_status,
                local_state,
            } => write!(f, "{cluster_status} {local_state}"),
            SqlSaid::NoAnswer(e) => write!(f, "{e}"),
        }
    }
}

/// A node of the cluster that the inventory does not name, as found on its host.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stray {
    pub name: String,
    pub host: String,
    /// Its container's name.
    pub container: String,
    /// Its container's state (a member found only by its address runs).
    pub state: ContainerState,
    /// The members' list of addresses names it: it is in the Primary component now.
    pub member: bool,
}

/// A data volume of the cluster whose node label the inventory does not name.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StrayVolume {
    pub host: String,
    pub volume: String,
    /// Its `io.galeractl.node` label.
    pub node: String,
}

/// The gcache's size and how fast write-sets fill it, as a serving node reports them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Gcache {
    /// `gcache.size`, in bytes: a donor keeps the last this many bytes of write-sets.
    pub size_bytes: u64,
    /// Write-set bytes per minute, measured over `window_secs`.
    pub bytes_per_minute: u64,
    pub window_secs: u64,
}

/// Versions as MariaDB prints them (`10.11.14-MariaDB-...`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Versions {
    pub running: String,
    pub image: String,
}
