//! `galeractl stop-node` and `start-node`: one node out of the cluster and back, the way the
//! seed does it by hand, with the quorum arithmetic and the catch-up checked.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use super::{inventory_path, monitor_password, print_warnings, Failure, Outcome};
use crate::cli::NodeArgs;
use crate::exit;
use crate::facts::{Container, ContainerRow, ContainerState};
use crate::galera::{self, NodeStatus, Probe};
use crate::inventory::{self, Inventory, Node};
use crate::observe;
use crate::plan;
use crate::runner::Runner;
use crate::secret::Secret;
use crate::ssh::{Hosts, Remote, Target};

use super::PROBE_TIMEOUT;

struct Context {
    inventory: Inventory,
    password: Secret,
    /// Each node's probe, in inventory order.
    probes: Vec<Probe>,
}

fn context(args: &NodeArgs) -> Result<(Context, Node), Failure> {
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
            probes: Vec::new(),
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
) -> Result<Option<ContainerRow>, Failure> {
    observe::node_row(inventory, node, remote)
        .await
        .map_err(|e| Failure::new(exit::FAILED, e.to_string()))
}

pub async fn stop(args: &NodeArgs) -> Outcome {
    let (mut cx, node) = context(args)?;
    let hosts = connect_for(&cx, &node, args).await?;
    let inventory = cx.inventory.clone();
    let command = format!("stop-node {}", node.name);
    let result = guarded(&inventory, &hosts, args, &command, async {
        // Read once the lock is held: another operator's stop lands before this decision.
        cx.probes = observe::probe_every(&cx.inventory, &cx.password, PROBE_TIMEOUT).await;
        stop_on(&cx, &node, &hosts, args).await
    })
    .await;
    hosts.close().await;
    result
}

fn runner<'a>(cx: &'a Context, hosts: &'a Hosts, args: &NodeArgs) -> Runner<'a> {
    super::runner(&cx.inventory, hosts, cx.password.clone(), &args.remote)
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
            // Stopped already (a crash, a `docker stop`): the operator wants it down, so
            // watch is told to leave it there.
            let plan = plan::record_stop(inventory, node);
            if args.dry_run {
                return super::print_plan(&plan, inventory, args.json);
            }
            super::run_plan(&runner(cx, hosts, args), &plan).await?;
            super::print_result(
                args.json,
                &format!(
                    "{}: already stopped (container {name} is {})",
                    node.name, row.state
                ),
                &serde_json::json!({
                    "node": node.name,
                    "changed": false,
                    "container": name,
                    "state": row.state,
                }),
            );
            return Ok(ExitCode::SUCCESS);
        }
        None => {
            super::print_result(
                args.json,
                &format!("{}: already stopped (no container {name})", node.name),
                &serde_json::json!({
                    "node": node.name,
                    "changed": false,
                    "container": name,
                    "state": ContainerState::Missing,
                }),
            );
            return Ok(ExitCode::SUCCESS);
        }
    }
    let statuses: Vec<Option<NodeStatus>> = cx.probes.iter().map(|p| p.clone().ok()).collect();
    let unnamed = crate::observe::strays::foreign_members(inventory, &statuses);
    match plan::stop_keeps_quorum(inventory, &node.name, &cx.probes, &unnamed) {
        Ok(()) => {}
        Err(loss) if !args.force => return Err(Failure::new(exit::REFUSED, loss.refusal)),
        Err(loss) => tracing::warn!(
            "--force: stopping {} although {}",
            node.name,
            loss.arithmetic
        ),
    }
    let plan = plan::stop_node(inventory, node);
    if args.dry_run {
        return super::print_plan(&plan, inventory, args.json);
    }
    if let Some(signal) = super::signalled() {
        return Err(super::interrupted_before_change(signal));
    }
    let started = Instant::now();
    super::run_plan(&runner(cx, hosts, args), &plan).await?;
    let seqno = observe::positions::saved_seqno(inventory, node, remote).await;
    let seconds = started.elapsed().as_secs_f64();
    super::print_result(
        args.json,
        &format!(
            "{}: stopped cleanly in {seconds:.1}s; last committed seqno {} (grastate.dat)",
            node.name,
            seqno.map_or("unknown".into(), |s| s.to_string())
        ),
        &serde_json::json!({
            "node": node.name,
            "changed": true,
            "container": name,
            "state": ContainerState::Exited,
            "seconds": seconds,
            "seqno": seqno,
        }),
    );
    if seqno == Some(-1) {
        tracing::warn!(
            "{}: grastate.dat says seqno -1: the node did not close cleanly",
            node.name
        );
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn start(args: &NodeArgs) -> Outcome {
    let (mut cx, node) = context(args)?;
    let hosts = connect_for(&cx, &node, args).await?;
    let inventory = cx.inventory.clone();
    let command = format!("start-node {}", node.name);
    let result = guarded(&inventory, &hosts, args, &command, async {
        // With TLS, the probes verify the nodes with this machine's CA: one that is not the
        // cluster's would make every node look silent. Said as what it is, first.
        super::trusted_ca::check(&cx.inventory, &hosts, &command).await?;
        cx.probes = observe::probe_every(&cx.inventory, &cx.password, PROBE_TIMEOUT).await;
        start_checked(&cx, &node, &hosts, args).await
    })
    .await;
    hosts.close().await;
    result
}

/// Starts the node unless it serves already, or there is no cluster to join.
async fn start_checked(cx: &Context, node: &Node, hosts: &Hosts, args: &NodeArgs) -> Outcome {
    let inventory = &cx.inventory;
    let own = inventory
        .nodes
        .iter()
        .position(|n| n.name == node.name)
        .and_then(|i| cx.probes.get(i))
        .and_then(|p| p.as_ref().ok());
    if own.is_some_and(NodeStatus::is_healthy) {
        super::print_result(
            args.json,
            &format!("{}: already running, Synced and Primary", node.name),
            &serde_json::json!({
                "node": node.name,
                "changed": false,
                "state": "Synced",
            }),
        );
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(refusal) = plan::start_refusal(inventory, &node.name, &cx.probes) {
        return Err(Failure::new(exit::REFUSED, refusal));
    }
    start_on(cx, node, hosts, args).await
}

async fn start_on(cx: &Context, node: &Node, hosts: &Hosts, args: &NodeArgs) -> Outcome {
    let inventory = &cx.inventory;
    let remote = hosts.get(&node.host).ok_or_else(|| {
        Failure::new(exit::FAILED, format!("host {} is not connected", node.host))
    })?;
    let fact = Container::of_row(container_of(inventory, node, &remote).await?.as_ref());
    // A container created anew: the rolling upgrade's version guard, as `up` has it.
    let versions = if plan::start_node_creates(inventory, node, &fact) {
        let statuses: Vec<Option<NodeStatus>> = cx.probes.iter().map(|p| p.clone().ok()).collect();
        crate::observe::versions::read(inventory, hosts, &cx.password, &statuses).await
    } else {
        None
    };
    let plan = plan::start_node(inventory, node, &fact, versions.as_ref(), args.force)
        .map_err(|e| Failure::new(exit::REFUSED, e.to_string()))?;
    if !args.dry_run {
        for note in &plan.notes {
            tracing::warn!("{note}");
        }
    }
    // It uploads this machine's TLS files: they must be the cluster's CA's (never a new CA),
    // and the node's certificate is made or renewed with it first.
    if inventory
        .tls
        .as_ref()
        .is_some_and(|t| plan.reads_local(&t.ca_cert))
    {
        super::trusted_ca::check(inventory, hosts, &format!("start-node {}", node.name)).await?;
        super::ensure_certs(inventory, args.dry_run, true)?;
    }
    if args.dry_run {
        return super::print_plan(&plan, inventory, args.json);
    }
    if let Some(signal) = super::signalled() {
        return Err(super::interrupted_before_change(signal));
    }
    let started = Instant::now();
    super::run_plan(&runner(cx, hosts, args), &plan).await?;
    let log = observe::log_tail(&remote, &inventory.container_name(node), 400).await;
    let how = galera::catch_up(&log);
    let seconds = started.elapsed().as_secs_f64();
    let (by, writesets) = match how {
        galera::CatchUp::Ist { writesets } => ("IST", Some(writesets)),
        galera::CatchUp::Sst => ("SST", None),
        galera::CatchUp::None => ("none", None),
        galera::CatchUp::Unknown => ("unknown", None),
    };
    super::print_result(
        args.json,
        &format!("{}: Synced in {seconds:.1}s; caught up by {how}", node.name),
        &serde_json::json!({
            "node": node.name,
            "changed": true,
            "state": "Synced",
            "seconds": seconds,
            "caught_up_by": by,
            "writesets": writesets,
        }),
    );
    Ok(ExitCode::SUCCESS)
}
