//! What `up` reads before it plans: every host's facts and every running node's SQL, joined
//! into one [`Observed`].

use std::time::Duration;

use super::host::node_container;
use super::sql::monitor_target;
use crate::facts::{Container, ContainerRow, HostFacts, Observed, ObservedNode, SqlSaid};
use crate::galera::NodeStatus;
use crate::inventory::Inventory;
use crate::secret::Secret;
use crate::sql;

/// Builds what the planner needs: per node its container, its volume, and whether it serves.
pub async fn observed(
    inventory: &Inventory,
    facts: &[(String, HostFacts)],
    password: &Secret,
    probe_timeout: Duration,
) -> (Observed, Vec<Option<NodeStatus>>) {
    let probes = inventory.nodes.iter().map(|node| {
        let target = monitor_target(inventory, node, password);
        let running = facts
            .iter()
            .find(|(h, _)| h == &node.host)
            .and_then(|(_, f)| node_container(inventory, node, &f.containers))
            .is_some_and(ContainerRow::is_running);
        async move {
            if running {
                Some(sql::probe(&target, probe_timeout).await)
            } else {
                None
            }
        }
    });
    let answers = futures::future::join_all(probes).await;
    let said: Vec<SqlSaid> = answers
        .iter()
        .map(|a| a.as_ref().map_or(SqlSaid::NotAsked, SqlSaid::of))
        .collect();
    let statuses: Vec<Option<NodeStatus>> = answers
        .into_iter()
        .map(|a| a.and_then(Result::ok))
        .collect();
    let nodes = inventory
        .nodes
        .iter()
        .zip(&statuses)
        .zip(said)
        .map(|((node, status), sql)| {
            let host = facts.iter().find(|(h, _)| h == &node.host).map(|(_, f)| f);
            let row = host.and_then(|f| node_container(inventory, node, &f.containers));
            ObservedNode {
                name: node.name.clone(),
                container: Container::of_row(row),
                volume: host.is_some_and(|f| f.volumes.contains(&inventory.volume_name(node))),
                synced_primary: status.as_ref().is_some_and(NodeStatus::is_healthy),
                sql,
                waiting_non_primary: false,
                config: host.and_then(|f| f.configs.get(&node.name).cloned()),
            }
        })
        .collect();
    // The cluster's containers that are not nodes (health endpoints, proxy), by name.
    let aux = facts
        .iter()
        .flat_map(|(_, f)| &f.containers)
        .filter(|r| r.cluster == inventory.cluster.name && r.node.is_empty())
        .map(|r| (r.name.clone(), Container::of_row(Some(r))))
        .collect();
    (
        Observed {
            nodes,
            aux,
            proxy_config_stale: false,
            history: inventory
                .nodes
                .iter()
                .filter_map(|n| {
                    let (_, f) = facts.iter().find(|(h, _)| h == &n.host)?;
                    Some((n.host.clone(), f.history.clone()))
                })
                .collect(),
            strays: Vec::new(),
            stray_volumes: Vec::new(),
            tls_stale: Vec::new(),
            tls_running: inventory
                .nodes
                .iter()
                .filter_map(|n| {
                    let (_, f) = facts.iter().find(|(h, _)| h == &n.host)?;
                    let row = node_container(inventory, n, &f.containers)?;
                    row.is_running().then(|| (n.name.clone(), row.tls))
                })
                .collect(),
            arbitrator_member: false,
            arbitrator_surely: false,
            gcache: None,
            versions: None,
            cluster_uuid: statuses
                .iter()
                .flatten()
                .find(|s| s.is_healthy())
                .map(|s| s.cluster_state_uuid.clone()),
        },
        statuses,
    )
}
