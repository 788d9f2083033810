//! What `restore --replace` reads before its first stop: on each host with data to move
//! aside, how much the volumes hold and how much their filesystem has free (`du` and `df` in a
//! read-only one-off container, `backup::space`), host after host.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::backup::space;
use crate::facts::Present;
use crate::inventory::{Inventory, Node};
use crate::ssh::Hosts;

/// One host's measure: its volumes with data, what they hold and what is free, in KiB.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Measured {
    pub host: String,
    pub volumes: Vec<String>,
    pub used_kib: u64,
    pub available_kib: u64,
}

/// A host that could not be measured.
#[derive(Debug, thiserror::Error)]
pub enum MeasureError {
    #[error("host {0} is not connected")]
    NotConnected(String),
    #[error("host {host}: cannot measure the data to move aside and the free space ({why}); nothing was changed")]
    Cannot { host: String, why: String },
}

/// Each host holding a node's data volume (by `present`), measured one after another; the
/// first that cannot be measured ends the reading.
pub async fn aside_space(
    inventory: &Inventory,
    hosts: &Hosts,
    present: &[Present],
) -> Result<Vec<Measured>, MeasureError> {
    let mut by_host: BTreeMap<&str, Vec<&Node>> = BTreeMap::new();
    for node in &inventory.nodes {
        if present.iter().any(|p| p.node == node.name && p.volume) {
            by_host.entry(node.host.as_str()).or_default().push(node);
        }
    }
    let mut measured = Vec::new();
    for (host, nodes) in by_host {
        let remote = hosts
            .get(host)
            .ok_or_else(|| MeasureError::NotConnected(host.to_string()))?;
        let argv = crate::docker::backup::measure(inventory, &nodes);
        let cannot = |why: String| MeasureError::Cannot {
            host: host.to_string(),
            why,
        };
        let out = remote
            .run(&argv, None, Duration::from_secs(300))
            .await
            .map_err(|e| cannot(e.to_string()))?;
        if out.code != 0 {
            return Err(cannot(format!("exit {}: {}", out.code, out.stderr.trim())));
        }
        let (used_kib, available_kib) = space::parse(&out.stdout)
            .ok_or_else(|| cannot(format!("unexpected output {:?}", out.stdout.trim())))?;
        measured.push(Measured {
            host: host.to_string(),
            volumes: nodes.iter().map(|n| inventory.volume_name(n)).collect(),
            used_kib,
            available_kib,
        });
    }
    Ok(measured)
}
