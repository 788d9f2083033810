//! `galeractl stop-node` and `start-node`: one node out of the cluster and back, the way the
//! seed does it by hand, with the quorum arithmetic and the catch-up checked.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use super::{inventory_path, monitor_password, print_warnings, Failure, Outcome};
use crate::cli::NodeArgs;
use crate::exit;
use crate::galera::{self, NodeStatus};
use crate::inventory::{self, Inventory, Node};
use crate::observe;
use crate::plan::{self, ContainerFact};
use crate::runner::Runner;
use crate::secret::Secret;
use crate::ssh::{Hosts, Remote, Target};

use super::PROBE_TIMEOUT;

/// Whether stopping `node` keeps a majority of the cluster's members Synced and Primary.
/// Returns the explanation either way.
pub fn quorum_after_stop(members: usize, healthy_others: &[&str], node: &str) -> (bool, String) {
    let needed = members / 2 + 1;
    let left = healthy_others.len();
    let ok = left >= needed;
    let who = if healthy_others.is_empty() {
        "none".to_string()
    } else {
        healthy_others.join(", ")
    };
    (
        ok,
        format!(
            "after stopping {node}, {left} of {members} members would be Synced and Primary ({who}); a majority of {members} is {needed}"
        ),
    )
}

struct Context {
    inventory: Inventory,
    password: Secret,
    statuses: Vec<Option<NodeStatus>>,
}

async fn context(args: &NodeArgs) -> Result<(Context, Node), Failure> {
    let path = inventory_path(&args.inventory)?;
    let (inventory, report) = inventory::load(&path, inventory::Secrets::Required)?;
    print_warnings(&report);
    let node = inventory
        .node(&args.node)
        .cloned()
        .ok_or_else(|| super::unknown_node(&args.node, &path, &inventory))?;
    let password = monitor_password(&inventory)?;
    Ok((
        Context {
            inventory,
            password,
            statuses: Vec::new(),
        },
        node,
    ))
}

/// Connects to the node's host and, unless `--dry-run`, the cluster lock's hosts.
async fn connect_for(cx: &Context, node: &Node, args: &NodeArgs) -> Result<Hosts, Failure> {
    let targets = vec![Target::for_node(&cx.inventory, node)];
    if args.dry_run {
        return super::connect(targets, &args.remote).await;
    }
    super::locked::connect_with_lock_hosts(targets, &cx.inventory, &args.remote).await
}

/// Runs `work` holding the cluster lock (none for `--dry-run`, which changes nothing).
async fn guarded(
    inventory: &Inventory,
    hosts: &Hosts,
    args: &NodeArgs,
    command: &str,
    work: impl std::future::Future<Output = Outcome>,
) -> Outcome {
    if args.dry_run {
        return work.await;
    }
    let wait = Duration::from_secs(args.remote.lock_wait);
    super::locked::locked(inventory, hosts, command, wait, false, work).await
}

async fn container_of(
    inventory: &Inventory,
    node: &Node,
    remote: &Remote,
) -> Result<Option<observe::ContainerRow>, Failure> {
    let rows = observe::containers(remote)
        .await
        .map_err(|e| Failure::new(exit::FAILED, e.to_string()))?;
    Ok(observe::node_container(inventory, node, &rows).cloned())
}

pub async fn stop(args: &NodeArgs) -> Outcome {
    let (mut cx, node) = context(args).await?;
    let hosts = connect_for(&cx, &node, args).await?;
    let inventory = cx.inventory.clone();
    let command = format!("stop-node {}", node.name);
    let result = guarded(&inventory, &hosts, args, &command, async {
        // Read once the lock is held: another operator's stop lands before this decision.
        cx.statuses = observe::probe_all(&cx.inventory, &cx.password, PROBE_TIMEOUT).await;
        stop_on(&cx, &node, &hosts, args).await
    })
    .await;
    hosts.close().await;
    result
}

fn runner<'a>(cx: &'a Context, hosts: &'a Hosts, args: &NodeArgs) -> Runner<'a> {
    Runner {
        inventory: &cx.inventory,
        hosts,
        monitor_password: cx.password.clone(),
        sync_timeout: Duration::from_secs(args.remote.sync_timeout.max(1)),
        probe_timeout: PROBE_TIMEOUT,
    }
}

async fn stop_on(cx: &Context, node: &Node, hosts: &Hosts, args: &NodeArgs) -> Outcome {
    let inventory = &cx.inventory;
    let remote = hosts.get(&node.host).ok_or_else(|| {
        Failure::new(exit::FAILED, format!("host {} is not connected", node.host))
    })?;
    let remote = &remote;
    let name = inventory.container_name(node);
    match container_of(inventory, node, remote).await? {
        Some(row) if row.is_running() => {}
        Some(row) => {
            outln!(
                "{}: already stopped (container {name} is {})",
                node.name,
                row.state
            );
            return Ok(ExitCode::SUCCESS);
        }
        None => {
            outln!("{}: already stopped (no container {name})", node.name);
            return Ok(ExitCode::SUCCESS);
        }
    }
    let mut healthy_others: Vec<&str> = inventory
        .nodes
        .iter()
        .zip(&cx.statuses)
        .filter(|(n, s)| n.name != node.name && s.as_ref().is_some_and(NodeStatus::is_healthy))
        .map(|(n, _)| n.name.as_str())
        .collect();
    if inventory.arbitrator.is_some() && crate::arbitrator::surely_member(&cx.statuses, 0) {
        healthy_others.push("the arbitrator");
    }
    let (ok, arithmetic) = quorum_after_stop(inventory.members(), &healthy_others, &node.name);
    if !ok && !args.force {
        return Err(Failure::new(
            exit::REFUSED,
            format!(
                "refusing to stop {}: the cluster would lose quorum: {arithmetic}. Nothing was stopped; --force overrides",
                node.name
            ),
        ));
    }
    if !ok {
        tracing::warn!("--force: stopping {} although {arithmetic}", node.name);
    }
    let plan = plan::stop_node(inventory, node);
    if args.dry_run {
        return super::print_plan(&plan, args.json);
    }
    if let Some(signal) = super::signalled() {
        return Err(super::interrupted_before_change(signal));
    }
    let started = Instant::now();
    super::run_plan(&runner(cx, hosts, args), &plan).await?;
    let seqno = saved_seqno(inventory, node, remote).await;
    outln!(
        "{}: stopped cleanly in {:.1}s; last committed seqno {} (grastate.dat)",
        node.name,
        started.elapsed().as_secs_f64(),
        seqno.map_or("unknown".into(), |s| s.to_string())
    );
    if seqno == Some(-1) {
        tracing::warn!(
            "{}: grastate.dat says seqno -1: the node did not close cleanly",
            node.name
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// The seqno in the node's grastate.dat, read (read-only) through recovery's labelled one-off
/// container on its volume, with recovery's parser.
async fn saved_seqno(inventory: &Inventory, node: &Node, remote: &Remote) -> Option<i64> {
    let argv = crate::recover::oneoff::read_grastate(inventory, node);
    let out = remote.run_ok(&argv, None).await.ok()?;
    crate::recover::parse_grastate(&out).ok().map(|g| g.seqno)
}

pub async fn start(args: &NodeArgs) -> Outcome {
    let (mut cx, node) = context(args).await?;
    let hosts = connect_for(&cx, &node, args).await?;
    let inventory = cx.inventory.clone();
    let command = format!("start-node {}", node.name);
    let result = guarded(&inventory, &hosts, args, &command, async {
        cx.statuses = observe::probe_all(&cx.inventory, &cx.password, PROBE_TIMEOUT).await;
        start_checked(&cx, &node, &hosts, args).await
    })
    .await;
    hosts.close().await;
    result
}

/// Starts the node unless it serves already, or there is no cluster to join.
async fn start_checked(cx: &Context, node: &Node, hosts: &Hosts, args: &NodeArgs) -> Outcome {
    let inventory = &cx.inventory;
    let others_primary = inventory
        .nodes
        .iter()
        .zip(&cx.statuses)
        .any(|(n, s)| n.name != node.name && s.as_ref().is_some_and(NodeStatus::is_healthy));
    let own = cx
        .inventory
        .nodes
        .iter()
        .position(|n| n.name == node.name)
        .and_then(|i| cx.statuses[i].clone());
    if own.as_ref().is_some_and(NodeStatus::is_healthy) {
        outln!("{}: already running, Synced and Primary", node.name);
        return Ok(ExitCode::SUCCESS);
    }
    if !others_primary {
        return Err(Failure::new(
            exit::REFUSED,
            format!(
                "refusing to start {}: no other node is Synced in a Primary component, so there is no cluster to join; after a full outage run `galeractl recover`",
                node.name
            ),
        ));
    }
    start_on(cx, node, hosts, args).await
}

async fn start_on(cx: &Context, node: &Node, hosts: &Hosts, args: &NodeArgs) -> Outcome {
    let inventory = &cx.inventory;
    let remote = hosts.get(&node.host).ok_or_else(|| {
        Failure::new(exit::FAILED, format!("host {} is not connected", node.host))
    })?;
    let fact = match container_of(inventory, node, &remote).await? {
        None => ContainerFact::Missing,
        Some(r) if r.is_running() => ContainerFact::Running { spec: r.spec },
        Some(r) => ContainerFact::Stopped { spec: r.spec },
    };
    let plan = plan::start_node(inventory, node, &fact);
    if args.dry_run {
        return super::print_plan(&plan, args.json);
    }
    if let Some(signal) = super::signalled() {
        return Err(super::interrupted_before_change(signal));
    }
    let started = Instant::now();
    super::run_plan(&runner(cx, hosts, args), &plan).await?;
    let log = observe::log_tail(&remote, &inventory.container_name(node), 400).await;
    let how = galera::catch_up(&log);
    outln!(
        "{}: Synced in {:.1}s; caught up by {how}",
        node.name,
        started.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quorum_arithmetic() {
        let (ok, why) = quorum_after_stop(3, &["nodea", "nodec"], "nodeb");
        assert!(ok, "{why}");
        let (ok, why) = quorum_after_stop(3, &["nodea"], "nodec");
        assert!(!ok);
        assert_eq!(
            why,
            "after stopping nodec, 1 of 3 members would be Synced and Primary (nodea); a majority of 3 is 2"
        );
        assert!(!quorum_after_stop(4, &["a", "b"], "c").0);
        assert!(quorum_after_stop(5, &["a", "b", "c"], "d").0);
        assert!(!quorum_after_stop(1, &[], "a").0);
    }
}
