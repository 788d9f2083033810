//! The MariaDB versions a rolling upgrade's guard compares: the newest release series the
//! serving nodes run (SQL), and the inventory's image's (`mariadbd --version` in a one-off
//! container on a host that has the image, else on this machine). `None` when either cannot
//! be read: the guard then refuses unless `--force`.

use crate::facts::Versions;
use crate::galera::NodeStatus;
use crate::inventory::{Inventory, Node};
use crate::observe;
use crate::plan;
use crate::secret::Secret;
use crate::ssh::Hosts;

use super::PROBE_TIMEOUT;

/// The versions, read from the nodes that `statuses` (in inventory order) say serve.
pub async fn read(
    inventory: &Inventory,
    hosts: &Hosts,
    password: &Secret,
    statuses: &[Option<NodeStatus>],
) -> Option<Versions> {
    // The newest release series any serving node runs (a half-done upgrade mixes them).
    let serving: Vec<&Node> = inventory
        .nodes
        .iter()
        .zip(statuses)
        .filter(|(_, s)| s.as_ref().is_some_and(NodeStatus::is_healthy))
        .map(|(n, _)| n)
        .collect();
    let versions = futures::future::join_all(serving.iter().map(|n| {
        let target = observe::monitor_target(inventory, n, password);
        async move { observe::running_version(&target, PROBE_TIMEOUT).await }
    }))
    .await;
    let running = versions
        .into_iter()
        .flatten()
        .max_by_key(|v| plan::series(v))?;
    let mut image = None;
    for remote in hosts.all() {
        if observe::image_present(remote, &inventory.cluster.image)
            .await
            .unwrap_or(false)
        {
            image = observe::image_version(remote, &inventory.cluster.image).await;
            break;
        }
    }
    // No host has it yet (it will be copied from this machine): read it here.
    if image.is_none() {
        image = observe::local_image_version(&inventory.cluster.image).await;
    }
    Some(Versions {
        running,
        image: image?,
    })
}
