//! What `up` reads before it plans, in one call ([`read`]): every host's facts and every
//! running node's SQL, joined into one [`Observed`]; then what the planner needs beyond them.

use std::time::{Duration, Instant};

use super::sql::monitor_target;
use super::strays::UnreachableStray;
use super::PROBE_TIMEOUT;
use crate::facts::{
    node_container, AuxImage, AuxSeen, Container, ContainerRow, HostFacts, Observed, ObservedNode,
    SqlSaid,
};
use crate::galera::{self, NodeStatus};
use crate::inventory::Inventory;
use crate::plan;
use crate::secret::Secret;
use crate::sql;
use crate::ssh::{Hosts, SshOptions};

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

/// What `up` reads first: every host's facts, every running node's SQL, joined.
struct UpReading {
    pub hosts: Vec<(String, HostFacts)>,
    pub observed: Observed,
    /// Each node's wsrep status, in inventory order (`None`: no answer, or not running).
    pub statuses: Vec<Option<NodeStatus>>,
    /// When the nodes were probed: the write rate is measured from here.
    pub probed_at: Instant,
}

/// Hosts whose docker does not answer, one line each: `up` fails before anything changes.
#[derive(Debug)]
struct DockerSilent(pub Vec<String>);

/// Every host's facts, read in parallel, then every running node's SQL.
async fn first(
    inventory: &Inventory,
    hosts: &Hosts,
    password: &Secret,
) -> Result<UpReading, DockerSilent> {
    let results = futures::future::join_all(hosts.all().map(|remote| async move {
        (
            remote.host.clone(),
            super::host_facts(remote, inventory).await,
        )
    }))
    .await;
    let mut facts = Vec::new();
    let mut errors = Vec::new();
    for (host, r) in results {
        match r {
            Ok(f) => facts.push((host, f)),
            Err(e) => {
                let said = e.to_string();
                let hint = crate::preflight::login_hint(&said)
                    .map_or(String::new(), |h| format!(" ({h})"));
                errors.push(format!("host {host}: docker does not answer: {said}{hint}"));
            }
        }
    }
    if !errors.is_empty() {
        return Err(DockerSilent(errors));
    }
    let probed_at = Instant::now();
    let (observed, statuses) = observed(inventory, &facts, password, PROBE_TIMEOUT).await;
    Ok(UpReading {
        hosts: facts,
        observed,
        statuses,
        probed_at,
    })
}

/// The rest of what `up` plans from, into `reading.observed`: which silent nodes wait
/// non-Primary, whether HAProxy's configuration is stale, the strays (and, when no node
/// serves, the volumes of names the inventory lacks), the arbitrator's membership and, before
/// a rolling replace, the gcache's reach and the versions. Returns the connections to the
/// hosts only strays use.
async fn rest(
    inventory: &Inventory,
    hosts: &Hosts,
    password: &Secret,
    reading: &mut UpReading,
    options: &SshOptions,
    prune: bool,
) -> Result<Hosts, UnreachableStray> {
    let statuses = &reading.statuses;
    let observed = &mut reading.observed;
    mark_waiting(inventory, hosts, observed).await;
    observed.proxy_config_stale = super::proxy_config_stale(inventory, hosts).await;
    let (strays, extra) = super::strays::find(inventory, hosts, statuses, options, prune).await?;
    observed.strays = strays;
    // No node of the inventory serves: the data of other node names is evidence against a
    // new cluster.
    if !observed.nodes.iter().any(|o| o.synced_primary) {
        observed.stray_volumes = super::strays::volumes(inventory, hosts).await;
    }
    let strays = plan::prune_members(observed);
    observed.arbitrator_member =
        inventory.arbitrator.is_some() && crate::arbitrator::is_member(statuses, strays);
    observed.arbitrator_surely =
        inventory.arbitrator.is_some() && crate::arbitrator::surely_member(statuses, strays);
    if plan::replaces_running(inventory, observed) {
        upgrade_facts(
            inventory,
            hosts,
            password,
            statuses,
            reading.probed_at,
            observed,
        )
        .await;
    }
    Ok(extra)
}

/// Everything `up` plans from, read in one call: every host's facts, every running node's
/// SQL, and the rest ([`first`], then [`rest`]), with the connections to the hosts only strays
/// use (the plan may take them out there).
pub struct UpFacts {
    pub hosts: Vec<(String, HostFacts)>,
    pub observed: Observed,
    /// Each node's wsrep status, in inventory order (`None`: no answer, or not running).
    pub statuses: Vec<Option<NodeStatus>>,
    pub extra: Hosts,
}

/// Why `up` could not read what it plans from; nothing was changed.
#[derive(Debug)]
pub enum UpReadError {
    /// Hosts whose docker does not answer, one line each.
    DockerSilent(Vec<String>),
    /// A host that only a stray member uses is out of reach.
    Stray(UnreachableStray),
}

/// What `up` reads before it plans, in one call (`prune`: strays on hosts the inventory no
/// longer names are looked for too).
pub async fn read(
    inventory: &Inventory,
    hosts: &Hosts,
    password: &Secret,
    options: &SshOptions,
    prune: bool,
) -> Result<UpFacts, UpReadError> {
    let mut reading = first(inventory, hosts, password)
        .await
        .map_err(|e| UpReadError::DockerSilent(e.0))?;
    let extra = rest(inventory, hosts, password, &mut reading, options, prune)
        .await
        .map_err(UpReadError::Stray)?;
    Ok(UpFacts {
        hosts: reading.hosts,
        observed: reading.observed,
        statuses: reading.statuses,
        extra,
    })
}

/// The window over which the write rate is measured before a rolling replace.
const RATE_WINDOW: Duration = Duration::from_secs(2);

/// Before a rolling replace: the gcache's reach and the write rate (a second probe,
/// [`RATE_WINDOW`] after the first), and the versions running and in the image.
async fn upgrade_facts(
    inventory: &Inventory,
    hosts: &Hosts,
    password: &Secret,
    before: &[Option<NodeStatus>],
    probed_at: Instant,
    observed: &mut Observed,
) {
    let left = RATE_WINDOW.saturating_sub(probed_at.elapsed());
    // A measurement window, not a wait for a state.
    tokio::time::sleep(left).await;
    let window = probed_at.elapsed();
    let after = super::probe_all(inventory, password, PROBE_TIMEOUT).await;
    // One serving node's view, before and after: the write-set bytes it saw (its own and the
    // others'), and its gcache's size.
    let pick = after.iter().zip(before).position(|(a, b)| {
        a.as_ref()
            .zip(b.as_ref())
            .is_some_and(|(a, _)| a.is_healthy())
    });
    if let Some(i) = pick {
        let node = &inventory.nodes[i];
        let target = monitor_target(inventory, node, password);
        let size = super::provider_options(&target, PROBE_TIMEOUT)
            .await
            .as_deref()
            .and_then(plan::gcache_size_of);
        if let (Some(size), Some(a), Some(b)) = (size, &before[i], &after[i]) {
            observed.gcache = Some(plan::gcache_rate(
                size,
                a.writeset_bytes,
                b.writeset_bytes,
                window,
            ));
        }
    }
    observed.versions = super::versions::read(inventory, hosts, password, &after).await;
}

/// For each running node whose SQL is silent: whether its own log says it waits non-Primary
/// (read only for those nodes, in parallel).
async fn mark_waiting(inventory: &Inventory, hosts: &Hosts, observed: &mut Observed) {
    let silent: Vec<usize> = observed
        .nodes
        .iter()
        .enumerate()
        .filter(|(_, o)| {
            // A server that answered with an error (refused the monitoring user) serves: its
            // log is no reason to call it waiting.
            o.container.is_running()
                && !o.synced_primary
                && !matches!(&o.sql, SqlSaid::NoAnswer(e) if e.server_answered())
        })
        .map(|(i, _)| i)
        .collect();
    let names: Vec<String> = silent
        .iter()
        .map(|&i| observed.nodes[i].name.clone())
        .collect();
    let logs = futures::future::join_all(names.iter().map(|name| async move {
        let node = inventory.node(name)?;
        let remote = hosts.get(&node.host)?;
        let container = inventory.container_name(node);
        Some(super::log_tail(&remote, &container, 400).await)
    }))
    .await;
    for (i, log) in silent.into_iter().zip(logs) {
        if log.is_some_and(|l| galera::last_view_is_non_primary(&l)) {
            observed.nodes[i].waiting_non_primary = true;
        }
    }
}

/// Each image in `wanted` on its host, one after another (a host not connected is left out):
/// whether it is there and, when it is, whether its program runs.
pub async fn aux_images(hosts: &Hosts, wanted: Vec<AuxImage>) -> Vec<(AuxImage, AuxSeen)> {
    let mut seen = Vec::new();
    for aux in wanted {
        let Some(remote) = hosts.get(&aux.host) else {
            continue;
        };
        let said = match super::image_present(&remote, &aux.image).await {
            Ok(false) => AuxSeen::Missing,
            Err(e) => AuxSeen::Error(e.to_string()),
            Ok(true) => {
                match super::program::check(&remote, &aux.image, aux.program, aux.flag).await {
                    Ok(check) => AuxSeen::Program(check),
                    Err(e) => AuxSeen::Error(e.to_string()),
                }
            }
        };
        seen.push((aux, said));
    }
    seen
}

/// What `up` reads after its run, to verify and report: each host's containers and each node's
/// status (in inventory order).
pub async fn after(
    inventory: &Inventory,
    hosts: &Hosts,
    password: &Secret,
) -> (Vec<(String, Vec<ContainerRow>)>, Vec<Option<NodeStatus>>) {
    let rows = futures::future::join_all(hosts.all().map(|r| async move {
        (
            r.host.clone(),
            super::containers(r).await.unwrap_or_default(),
        )
    }));
    tokio::join!(rows, super::probe_all(inventory, password, PROBE_TIMEOUT))
}
