//! What one host says: its containers, volumes, listening ports, image, config files and
//! recorded history.

use std::collections::{BTreeMap, BTreeSet};

use super::container::ContainerRow;
use crate::inventory::{Inventory, Node};

/// What one host says before `up` changes anything on it.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HostFacts {
    pub containers: Vec<ContainerRow>,
    pub volumes: BTreeSet<String>,
    /// `None` when `ss` is not available on the host.
    pub listening: Option<BTreeSet<u16>>,
    pub image_present: bool,
    /// Config files of this cluster's nodes on the host, by node name (absent: unreadable).
    pub configs: BTreeMap<String, String>,
    /// The cluster's recorded history UUID on this host (absent: no record).
    pub history: Option<String>,
}

/// What is there of a node before a restore.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Present {
    pub node: String,
    pub container: bool,
    pub volume: bool,
}

/// The container of `node` among a host's containers.
pub fn node_container<'a>(
    inventory: &Inventory,
    node: &Node,
    rows: &'a [ContainerRow],
) -> Option<&'a ContainerRow> {
    rows.iter()
        .find(|r| r.cluster == inventory.cluster.name && r.node == node.name)
}

/// What a host holds as the cluster's CA certificate.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HostCa {
    /// No file there (a host the cluster has not used with TLS yet).
    Missing,
    Pem(String),
}

/// What running `PROGRAM VERSION_FLAG` in the image showed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProgramCheck {
    Runs,
    /// docker could not start it (exit 127: not found; 126: not executable).
    Missing(String),
    /// It started and failed (its exit code and last output).
    Fails(i32, String),
}

/// An image a service container needs on its host (no registry to pull from), and the program
/// its container runs, asked for its version.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AuxImage {
    /// What it is for: `HAProxy`, `arbitrator`.
    pub what: &'static str,
    pub host: String,
    pub image: String,
    pub program: &'static str,
    pub flag: &'static str,
}

/// What its host showed of an [`AuxImage`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuxSeen {
    /// The image is not there.
    Missing,
    /// The host or docker did not say (what was said).
    Error(String),
    /// The image is there; what its program did.
    Program(ProgramCheck),
}
