//! What `galeractl status` reads: every node's wsrep state over SQL, in parallel, each with a
//! deadline; SSH only for the nodes that do not answer (what their container is doing), for
//! the history records and for garbd's container; HAProxy's stats page.

use std::time::Duration;

use crate::facts::ContainerState;
use crate::galera::NodeStatus;
use crate::inventory::{Inventory, Node};
use crate::observe;
use crate::report::{BackendReport, NodeReport, ProxyReport, StatusFacts};
use crate::secret::Secret;
use crate::sql;
use crate::ssh::{Remote, SshOptions, Target};

/// How `status` reads: SSH capped to answer within seconds, the SQL deadline, and whether a
/// silent node's last log lines are read.
pub struct Reading {
    pub options: SshOptions,
    pub timeout: Duration,
    pub logs: bool,
}

/// Every node's state, the history records, HAProxy's view and garbd's container.
pub async fn read(inventory: &Inventory, password: &Secret, how: &Reading) -> StatusFacts {
    let options = &how.options;
    let timeout = how.timeout;
    let first = inventory.nodes.first();
    let (nodes, first_record) = tokio::join!(
        futures::future::join_all(
            inventory
                .nodes
                .iter()
                .map(|n| node_report(inventory, n, password, how)),
        ),
        async {
            let record = match first {
                Some(node) => host_record(inventory, node, options).await,
                None => None,
            };
            // No record there (the host unreachable, or none written): the other hosts are
            // needed whatever the nodes say, so they are read now, still beside the probes.
            let others = match record {
                None => Some(other_records(inventory, options).await),
                Some(_) => None,
            };
            (record, others)
        }
    );
    let recorded_history = recorded_history(inventory, &nodes, first_record, options).await;
    let proxy = match &inventory.haproxy {
        Some(h) => Some(proxy_report(inventory, h, &nodes, timeout).await),
        None => None,
    };
    let arbitrator = match &inventory.arbitrator {
        Some(a) => Some(arbitrator_container(inventory, &a.host, options).await),
        None => None,
    };
    StatusFacts {
        nodes,
        recorded_history,
        proxy,
        arbitrator,
    }
}

/// The state of garbd's container on its host.
async fn arbitrator_container(
    inventory: &Inventory,
    host: &str,
    options: &SshOptions,
) -> ContainerState {
    let remote = match Remote::connect(&Target::for_host(inventory, host), options).await {
        Ok(r) => r,
        Err(e) => return ContainerState::Unknown(e.to_string()),
    };
    let name = inventory.arbitrator_container();
    let state = match observe::containers(&remote).await {
        Ok(rows) => rows
            .iter()
            .find(|r| r.name == name)
            .map_or(ContainerState::Missing, |r| r.state.clone()),
        Err(e) => ContainerState::Unknown(e.to_string()),
    };
    remote.close().await;
    state
}

async fn proxy_report(
    inventory: &Inventory,
    h: &crate::inventory::Haproxy,
    nodes: &[NodeReport],
    timeout: Duration,
) -> ProxyReport {
    let mut report = ProxyReport {
        host: h.host.clone(),
        port: h.port,
        stats_port: h.stats_port,
        error: None,
        backends: Vec::new(),
    };
    let backends = match Secret::read(&h.stats_password_file) {
        Err(e) => Err(format!(
            "cannot read {}: {e}",
            h.stats_password_file.display()
        )),
        Ok(password) => {
            let ca = inventory.tls.as_ref().map(|t| t.ca_cert.as_path());
            observe::proxy_backends(h, &password, ca, timeout).await
        }
    };
    match backends {
        Err(e) => report.error = Some(e),
        Ok(list) => {
            report.backends = list
                .into_iter()
                .map(|b| {
                    let node_healthy = nodes
                        .iter()
                        .find(|n| n.name == b.server)
                        .and_then(|n| n.wsrep.as_ref())
                        .is_some_and(NodeStatus::is_healthy);
                    BackendReport {
                        agrees: b.status.starts_with("UP") == node_healthy,
                        server: b.server,
                        status: b.status,
                        backup: b.backup,
                        node_healthy,
                    }
                })
                .collect();
        }
    }
    report
}

/// The history UUIDs recorded on the nodes' hosts (each distinct one once). The first node's
/// host is read alongside the SQL probes; when its record is the Primary component's UUID, the
/// verdict is settled (the live history is recorded) and no other host is asked: one SSH
/// connection, whatever the node count. Otherwise (no record there, another UUID, no single
/// Primary UUID, that host unreachable) every other host is read too, at once, and the verdict
/// sees all their records, as before.
async fn recorded_history(
    inventory: &Inventory,
    nodes: &[NodeReport],
    (first_record, others): (Option<String>, Option<Vec<String>>),
    options: &SshOptions,
) -> Vec<String> {
    let settled = record_settles(first_record.as_deref(), nodes);
    let mut distinct: std::collections::BTreeSet<String> = first_record.into_iter().collect();
    if !settled {
        let others = match others {
            Some(read) => read,
            None => other_records(inventory, options).await,
        };
        distinct.extend(others);
    }
    distinct.into_iter().collect()
}

/// Whether a host's record settles the history verdict: it is the one state UUID the Primary
/// nodes report (then no other host's record can change the verdict).
fn record_settles(record: Option<&str>, nodes: &[NodeReport]) -> bool {
    let live: std::collections::BTreeSet<&str> = nodes
        .iter()
        .filter_map(|n| n.wsrep.as_ref())
        .filter(|s| s.is_primary())
        .map(|s| s.cluster_state_uuid.as_str())
        .collect();
    record.is_some_and(|r| live.len() == 1 && live.contains(r))
}

/// The records on every host but the first node's (each host once), read at once.
async fn other_records(inventory: &Inventory, options: &SshOptions) -> Vec<String> {
    let mut seen: std::collections::BTreeSet<&str> = inventory
        .nodes
        .first()
        .map(|n| n.host.as_str())
        .into_iter()
        .collect();
    let others: Vec<&Node> = inventory
        .nodes
        .iter()
        .filter(|n| seen.insert(n.host.as_str()))
        .collect();
    futures::future::join_all(
        others
            .into_iter()
            .map(|node| host_record(inventory, node, options)),
    )
    .await
    .into_iter()
    .flatten()
    .collect()
}

/// The history UUID recorded on a node's host, if the host answers and has one.
async fn host_record(inventory: &Inventory, node: &Node, options: &SshOptions) -> Option<String> {
    let remote = Remote::connect(&Target::for_node(inventory, node), options)
        .await
        .ok()?;
    let record = observe::recorded_history(&remote, inventory).await;
    remote.close().await;
    record
}

async fn node_report(
    inventory: &Inventory,
    node: &Node,
    password: &Secret,
    how: &Reading,
) -> NodeReport {
    let target = observe::monitor_target(inventory, node, password);
    let mut report = NodeReport {
        name: node.name.clone(),
        host: node.host.clone(),
        port: node.ports.mysql,
        container: ContainerState::Unknown(String::new()),
        error: None,
        no_answer: None,
        wsrep: None,
        log: Vec::new(),
    };
    match sql::probe(&target, how.timeout).await {
        Ok(status) => {
            report.container = ContainerState::Running;
            report.wsrep = Some(status);
        }
        Err(e) => {
            report.error = Some(format!("{}:{}: {e}", target.host, target.port));
            report.no_answer = Some(e);
            // SQL is silent: ask the host what the container is doing.
            match Remote::connect(&Target::for_node(inventory, node), &how.options).await {
                Err(e) => report.container = ContainerState::Unknown(e.to_string()),
                Ok(remote) => {
                    let name = inventory.container_name(node);
                    report.container = match observe::containers(&remote).await {
                        Ok(rows) => observe::node_container(inventory, node, &rows)
                            .map_or(ContainerState::Missing, |r| r.state.clone()),
                        Err(e) => ContainerState::Unknown(e.to_string()),
                    };
                    if how.logs {
                        report.log = observe::log_tail(&remote, &name, 10)
                            .await
                            .lines()
                            .map(str::to_string)
                            .collect();
                    }
                    remote.close().await;
                }
            }
        }
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIVE: &str = "5bd3c0a5-c0b0-11ef-8a6e-7e0a8f3a1b11";
    const OLD: &str = "0f9e6a11-c0b0-11ef-8a6e-7e0a8f3a1b11";

    fn node(uuid: &str, status: &str) -> NodeReport {
        NodeReport {
            name: "n".into(),
            host: "h".into(),
            port: 4306,
            container: ContainerState::Running,
            error: None,
            no_answer: None,
            wsrep: Some(NodeStatus::from_rows([
                ("wsrep_cluster_status", status),
                ("wsrep_cluster_state_uuid", uuid),
            ])),
            log: Vec::new(),
        }
    }

    #[test]
    fn only_the_one_primary_uuid_settles_the_history_verdict() {
        let primary = [node(LIVE, "Primary"), node(LIVE, "Primary")];
        assert!(record_settles(Some(LIVE), &primary));
        assert!(!record_settles(Some(OLD), &primary));
        assert!(!record_settles(None, &primary));
        // Two Primary UUIDs (a split), or none (down): every host's record is read.
        let split = [node(LIVE, "Primary"), node(OLD, "Primary")];
        assert!(!record_settles(Some(LIVE), &split));
        let down = [node(LIVE, "non-Primary")];
        assert!(!record_settles(Some(LIVE), &down));
        assert!(!record_settles(Some(LIVE), &[]));
    }
}
