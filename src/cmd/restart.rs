//! `galeractl restart`: a rolling restart. Refused unless every member serves now, and (with
//! HAProxy) unless each node's health endpoint knows how to drain; then the plan of
//! `plan::restart`, run under the cluster's lock, exactly as `--dry-run` prints it.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use super::{inventory_path, monitor_password, print_warnings, Failure, Outcome};
use crate::cli::{InventoryArg, RestartArgs};
use crate::inventory::{self, Inventory, Node};
use crate::ssh::Hosts;
use crate::{exit, observe, plan};

pub async fn run(args: &RestartArgs) -> Outcome {
    let started = Instant::now();
    let path = inventory_path(&InventoryArg {
        positional: None,
        flag: args.inventory.clone(),
    })?;
    let (inventory, report) = inventory::load(&path, inventory::Secrets::Required)?;
    print_warnings(&report);
    let nodes = chosen(&inventory, &args.nodes, &path)?;
    let hosts = super::connect_all(&inventory, &args.remote).await?;
    let work = restart(args, &inventory, &hosts, &nodes, started);
    let result = if args.dry_run {
        work.await
    } else {
        let wait = Duration::from_secs(args.remote.lock_wait);
        super::locked::locked(&inventory, &hosts, "restart", wait, false, work).await
    };
    hosts.close().await;
    result
}

/// The named nodes, in the order given (every node when none is named).
fn chosen(
    inventory: &Inventory,
    names: &[String],
    path: &std::path::Path,
) -> Result<Vec<Node>, Failure> {
    if names.is_empty() {
        return Ok(inventory.nodes.clone());
    }
    names
        .iter()
        .map(|name| {
            inventory
                .node(name)
                .cloned()
                .ok_or_else(|| super::unknown_node(name, path, inventory))
        })
        .collect()
}

async fn restart(
    args: &RestartArgs,
    inventory: &Inventory,
    hosts: &Hosts,
    nodes: &[Node],
    started: Instant,
) -> Outcome {
    let password = monitor_password(inventory)?;
    // Read once the lock is held: every member must serve before the first stop, and (with
    // HAProxy) each node's health endpoint must know how to drain.
    let facts = observe::node::read_restart(inventory, nodes, hosts, &password).await;
    let plan = plan::restart_decision(inventory, nodes, &facts)
        .map_err(|refusal| Failure::new(exit::REFUSED, refusal))?;
    if args.dry_run {
        return super::print_plan(&plan, inventory, args.json);
    }
    if let Some(signal) = crate::interrupt::signalled() {
        return Err(super::interrupted_before_change(signal));
    }
    let runner = super::runner(inventory, hosts, password, &args.remote);
    let report = super::run_plan(&runner, &plan).await?;
    let names: Vec<&str> = nodes.iter().map(|n| n.name.as_str()).collect();
    let seconds = started.elapsed().as_secs_f64();
    super::print_result(
        args.json,
        &format!(
            "cluster {}: {} restarted one at a time in {seconds:.1}s, each caught up by IST",
            inventory.cluster.name,
            names.join(", ")
        ),
        &serde_json::json!({
            "cluster": inventory.cluster.name,
            "restarted": names,
            "caught_up_by": "IST",
            "steps_run": report.steps_run,
            "seconds": seconds,
        }),
    );
    Ok(ExitCode::SUCCESS)
}

/// With HAProxy, each node's health endpoint must be the one this galeractl deploys
/// ([`plan::stale_endpoints`]): each node's host read once, in parallel.
pub(super) async fn stale_endpoints(
    inventory: &Inventory,
    hosts: &Hosts,
    nodes: &[Node],
    verb: &str,
    missing_counts: bool,
) -> Result<(), Failure> {
    if inventory.haproxy.is_none() {
        return Ok(());
    }
    let rows = observe::containers_by_host(hosts, nodes.iter().map(|n| n.host.as_str())).await;
    let stale = plan::stale_endpoints(inventory, nodes, &rows, missing_counts);
    if stale.is_empty() {
        Ok(())
    } else {
        Err(Failure::new(
            exit::REFUSED,
            plan::stale_endpoints_refusal(verb, &stale),
        ))
    }
}
