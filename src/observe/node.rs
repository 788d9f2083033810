//! What the node commands read, each in one call: every node's probe and the node's container
//! in parallel (`stop-node`, `start-node`), the versions when `start-node` would create the
//! container anew; every node's probe and, with HAProxy, the restarted nodes' hosts' containers
//! (`restart`).

use super::PROBE_TIMEOUT;
use crate::facts::{Container, NodeFacts, RestartFacts};
use crate::galera::NodeStatus;
use crate::inventory::{Inventory, Node};
use crate::secret::Secret;
use crate::ssh::{Hosts, Remote, SshError};

/// Which node command reads: `start-node` also needs the versions when it would create the
/// node's container anew.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum For {
    Stop,
    Start,
}

/// Every node's probe and `node`'s container (on `remote`, its host's connection), read at
/// once; `Err` when its host's docker does not answer.
pub async fn read(
    inventory: &Inventory,
    node: &Node,
    (remote, hosts): (&Remote, &Hosts),
    password: &Secret,
    command: For,
) -> Result<NodeFacts, SshError> {
    let (probes, row) = tokio::join!(
        super::probe_every(inventory, password, PROBE_TIMEOUT),
        super::node_row(inventory, node, remote)
    );
    let container = row?;
    let statuses: Vec<Option<NodeStatus>> = probes.iter().map(|p| p.clone().ok()).collect();
    let unnamed = super::strays::foreign_members(inventory, &statuses);
    let creates =
        crate::plan::start_node_creates(inventory, node, &Container::of_row(container.as_ref()));
    let versions = if command == For::Start && creates {
        super::versions::read(inventory, hosts, password, &statuses).await
    } else {
        None
    };
    Ok(NodeFacts {
        probes,
        container,
        unnamed,
        versions,
    })
}

/// Every node's probe and, with HAProxy, the containers on the hosts of `nodes`, read at once.
pub async fn read_restart(
    inventory: &Inventory,
    nodes: &[Node],
    hosts: &Hosts,
    password: &Secret,
) -> RestartFacts {
    let rows = async {
        if inventory.haproxy.is_none() {
            return Vec::new();
        }
        super::containers_by_host(hosts, nodes.iter().map(|n| n.host.as_str())).await
    };
    let (probes, rows) = tokio::join!(super::probe_every(inventory, password, PROBE_TIMEOUT), rows);
    RestartFacts { probes, rows }
}
