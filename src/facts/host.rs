//! What one host says: its containers, volumes, listening ports, image, config files and
//! recorded history.

use std::collections::{BTreeMap, BTreeSet};

use super::container::ContainerRow;
use crate::inventory::{Inventory, Node};

/// What one host says before `up` changes anything on it.
#[derive(Debug, Clone, Default)]
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
#[derive(Debug, Clone, PartialEq, Eq)]
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
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostCa {
    /// No file there (a host the cluster has not used with TLS yet).
    Missing,
    Pem(String),
}
