//! `galeractl stop-node` and `start-node`: one node out of the cluster and back, the way the
//! seed does it by hand, with the quorum arithmetic and the catch-up checked. Wiring: read
//! (`observe::node`), decide (`plan::stop_node_decision`, `plan::start_node_decision`), print
//! or run.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use super::{inventory_path, monitor_password, print_warnings, Failure, Outcome};
use crate::cli::NodeArgs;
use crate::exit;
use crate::facts::{ContainerState, NodeFacts};
use crate::galera;
use crate::inventory::{self, Inventory, Node};
use crate::observe::{self, node::For};
use crate::plan::{self, Plan, StartNode, StopNode};
use crate::secret::Secret;
use crate::ssh::{Hosts, Remote, Target};

struct Context {
    inventory: Inventory,
    password: Secret,
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

/// The node's host, connected.
fn remote_of(hosts: &Hosts, node: &Node) -> Result<std::sync::Arc<Remote>, Failure> {
    hosts
        .get(&node.host)
        .ok_or_else(|| Failure::new(exit::FAILED, format!("host {} is not connected", node.host)))
}

/// What the command reads, once the lock is held (another operator's change lands before
/// this decision).
async fn read(
    cx: &Context,
    node: &Node,
    (remote, hosts): (&Remote, &Hosts),
    command: For,
) -> Result<NodeFacts, Failure> {
    observe::node::read(&cx.inventory, node, (remote, hosts), &cx.password, command)
        .await
        .map_err(|e| Failure::new(exit::FAILED, e.to_string()))
}

/// Runs `plan`, unless the operator interrupted before its first step.
async fn run(cx: &Context, hosts: &Hosts, args: &NodeArgs, plan: &Plan) -> Result<(), Failure> {
    if let Some(signal) = crate::interrupt::signalled() {
        return Err(super::interrupted_before_change(signal));
    }
    let runner = super::runner(&cx.inventory, hosts, cx.password.clone(), &args.remote);
    super::run_plan(&runner, plan).await.map(|_| ())
}

pub async fn stop(args: &NodeArgs) -> Outcome {
    let (cx, node) = context(args)?;
    let hosts = connect_for(&cx, &node, args).await?;
    let command = format!("stop-node {}", node.name);
    let result = guarded(&cx.inventory, &hosts, args, &command, async {
        let remote = remote_of(&hosts, &node)?;
        let facts = read(&cx, &node, (&remote, &hosts), For::Stop).await?;
        let decided = plan::stop_node_decision(&cx.inventory, &node, &facts, args.force)
            .map_err(|refusal| Failure::new(exit::REFUSED, refusal))?;
        stop_on(&cx, &node, (&remote, &hosts), args, decided).await
    })
    .await;
    hosts.close().await;
    result
}

async fn stop_on(
    cx: &Context,
    node: &Node,
    (remote, hosts): (&Remote, &Hosts),
    args: &NodeArgs,
    decided: StopNode,
) -> Outcome {
    let inventory = &cx.inventory;
    let name = inventory.container_name(node);
    let plan = match decided {
        StopNode::Already { state, plan } => {
            // Stopped already (a crash, a `docker stop`): the operator wants it down, so
            // watch is told to leave it there.
            if let Some(plan) = plan {
                if args.dry_run {
                    return super::print_plan(&plan, inventory, args.json);
                }
                run(cx, hosts, args, &plan).await?;
            }
            let text = if state == ContainerState::Missing {
                format!("{}: already stopped (no container {name})", node.name)
            } else {
                format!(
                    "{}: already stopped (container {name} is {state})",
                    node.name
                )
            };
            super::print_result(
                args.json,
                &text,
                &serde_json::json!({
                    "node": node.name,
                    "changed": false,
                    "container": name,
                    "state": state,
                }),
            );
            return Ok(ExitCode::SUCCESS);
        }
        StopNode::Stop { plan, forced } => {
            if let Some(arithmetic) = forced {
                tracing::warn!("--force: stopping {} although {arithmetic}", node.name);
            }
            plan
        }
    };
    if args.dry_run {
        return super::print_plan(&plan, inventory, args.json);
    }
    let started = Instant::now();
    run(cx, hosts, args, &plan).await?;
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
    let (cx, node) = context(args)?;
    let hosts = connect_for(&cx, &node, args).await?;
    let command = format!("start-node {}", node.name);
    let result = guarded(&cx.inventory, &hosts, args, &command, async {
        // With TLS, the probes verify the nodes with this machine's CA: one that is not the
        // cluster's would make every node look silent. Said as what it is, first.
        super::trusted_ca::check(&cx.inventory, &hosts, &command).await?;
        let remote = remote_of(&hosts, &node)?;
        let facts = read(&cx, &node, (&remote, &hosts), For::Start).await?;
        let decided = plan::start_node_decision(&cx.inventory, &node, &facts, args.force)
            .map_err(|refusal| Failure::new(exit::REFUSED, refusal))?;
        match decided {
            StartNode::Serving => {
                super::print_result(
                    args.json,
                    &format!("{}: already running, Synced and Primary", node.name),
                    &serde_json::json!({
                        "node": node.name,
                        "changed": false,
                        "state": "Synced",
                    }),
                );
                Ok(ExitCode::SUCCESS)
            }
            StartNode::Start(plan) => start_on(&cx, &node, (&remote, &hosts), args, &plan).await,
        }
    })
    .await;
    hosts.close().await;
    result
}

async fn start_on(
    cx: &Context,
    node: &Node,
    (remote, hosts): (&Remote, &Hosts),
    args: &NodeArgs,
    plan: &Plan,
) -> Outcome {
    let inventory = &cx.inventory;
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
        return super::print_plan(plan, inventory, args.json);
    }
    let started = Instant::now();
    run(cx, hosts, args, plan).await?;
    let log = observe::log_tail(remote, &inventory.container_name(node), 400).await;
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
