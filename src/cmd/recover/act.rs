//! Running the recovery actions: stage after stage, the actions of a stage in parallel across
//! nodes. On a failure: put a bootstrap address back to the members' (no second cluster on a
//! restart), then report each node's state and the actions that were not run.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use super::{monitor_target, Context, NodeState, PROBE_TIMEOUT};
use crate::exit;
use crate::galera::NodeStatus;
use crate::inventory::Node;
use crate::observe;
use crate::plan::WaitFor;
use crate::recover::{commands, render, Action, Choice};
use crate::runner::Runner;

use super::super::Failure;

pub(crate) async fn run(
    cx: &Context<'_>,
    choice: &Choice,
    stages: &[Vec<Action>],
) -> Result<(), Failure> {
    let progress = AtomicUsize::new(0);
    let outcome = tokio::select! {
        run = try_run(cx, stages, &progress) => run.map_err(|(next, error)| (next, error, exit::FAILED)),
        signal = super::super::interrupted() => Err((
            // The stage under way counts as not done.
            progress.load(Ordering::SeqCst),
            format!("interrupted by {signal}; the action under way may have completed"),
            exit::INTERRUPTED,
        )),
    };
    match outcome {
        Ok(()) => Ok(()),
        Err((next, error, code)) => {
            let mut failure = failed(cx, choice, &stages[next..], &error).await;
            failure.code = code;
            Err(failure)
        }
    }
}

/// Runs the stages; on a failure, the index of the stage that failed and the error.
pub(crate) async fn try_run(
    cx: &Context<'_>,
    stages: &[Vec<Action>],
    progress: &AtomicUsize,
) -> Result<(), (usize, String)> {
    let total: usize = stages.iter().map(Vec::len).sum();
    let mut done = 0;
    for (i, stage) in stages.iter().enumerate() {
        progress.store(i, Ordering::SeqCst);
        let mut by_node: BTreeMap<&str, Vec<(usize, &Action)>> = BTreeMap::new();
        for (k, a) in stage.iter().enumerate() {
            by_node
                .entry(a.node().unwrap_or(""))
                .or_default()
                .push((done + k + 1, a));
        }
        let results = futures::future::join_all(by_node.into_values().map(|actions| async move {
            for (n, a) in actions {
                let started = Instant::now();
                tracing::info!("  {n:>3}/{total}. {a}");
                perform(cx, a)
                    .await
                    .map_err(|e| format!("step {n} ({a}): {e}"))?;
                tracing::debug!("       done in {:.1}s", started.elapsed().as_secs_f64());
            }
            Ok::<(), String>(())
        }))
        .await;
        let errors: Vec<String> = results.into_iter().filter_map(Result::err).collect();
        if !errors.is_empty() {
            // The failed stage counts as not done: some of its actions may not have run.
            return Err((i, errors.join("; ")));
        }
        done += stage.len();
    }
    Ok(())
}

/// How long Galera's pc.recovery gets to re-form the Primary component before recovery falls
/// back to bootstrapping (it takes a few seconds on the lab).
const REFORM_TIMEOUT: Duration = Duration::from_secs(45);

/// Polls until one of `nodes` reports a Primary component of all of them.
async fn wait_reformed(cx: &Context<'_>, nodes: &[String]) -> Result<(), String> {
    let deadline = Instant::now() + REFORM_TIMEOUT;
    loop {
        let statuses = observe::probe_named(cx.inventory, nodes, &cx.password, PROBE_TIMEOUT).await;
        if statuses
            .iter()
            .flatten()
            .any(|s| s.is_primary() && s.cluster_size as usize == nodes.len())
        {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(format!(
                "no Primary component of {} re-formed within {}s",
                nodes.len(),
                REFORM_TIMEOUT.as_secs()
            ));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Given-up nodes must stay silent up to the bootstrap: one that answers SQL now may be serving.
async fn check_silent(cx: &Context<'_>, nodes: &[String]) -> Result<(), String> {
    let seen = observe::probe_named(cx.inventory, nodes, &cx.password, PROBE_TIMEOUT).await;
    let answering: Vec<String> = nodes
        .iter()
        .zip(seen)
        .filter_map(|(n, s)| s.map(|s| format!("{n} ({} {})", s.cluster_status, s.local_state)))
        .collect();
    if answering.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "given up but answering SQL now: {}; no bootstrap beside a node that may serve",
            answering.join(", ")
        ))
    }
}

fn node<'a>(cx: &Context<'a>, name: &str) -> Result<&'a Node, String> {
    cx.inventory
        .node(name)
        .ok_or_else(|| format!("{name} is not in the inventory"))
}

/// Runs one action: its commands (`recover::commands`, exactly what `--dry-run` prints) through
/// the runner, or, for the actions that only look, their check or wait.
async fn perform(cx: &Context<'_>, action: &Action) -> Result<(), String> {
    match action {
        Action::WaitReformed { nodes } => return wait_reformed(cx, nodes).await,
        Action::CheckSilent { nodes } => return check_silent(cx, nodes).await,
        Action::Verify { .. } => return verify(cx, action).await,
        Action::WaitSynced { node } => {
            return runner(cx)
                .wait(&WaitFor::Synced {
                    nodes: vec![node.clone()],
                })
                .await
                .map_err(|e| e.message)
        }
        _ => {}
    }
    if let Some(name) = action.node() {
        node(cx, name)?;
    }
    let steps = commands::commands(cx.inventory, action);
    runner(cx).run_steps(&steps).await.map_err(|e| e.message)
}

async fn write_config(cx: &Context<'_>, node: &Node, bootstrap: bool) -> Result<(), String> {
    perform(
        cx,
        &Action::WriteConfig {
            node: node.name.clone(),
            bootstrap,
        },
    )
    .await
}

fn runner<'a>(cx: &Context<'a>) -> Runner<'a> {
    Runner {
        inventory: cx.inventory,
        hosts: cx.hosts,
        monitor_password: cx.password.clone(),
        sync_timeout: cx.long_timeout,
        probe_timeout: PROBE_TIMEOUT,
    }
}

/// Every node of the inventory: `up`'s verification. Fewer (some left out with --force): the
/// named nodes Synced and Primary, one cluster UUID, a component of at least their number.
async fn verify(cx: &Context<'_>, action: &Action) -> Result<(), String> {
    let Action::Verify { nodes } = action else {
        return Ok(());
    };
    if nodes.len() == cx.inventory.nodes.len() {
        return runner(cx)
            .wait(&WaitFor::Verified { size: nodes.len() })
            .await
            .map_err(|e| e.message);
    }
    let deadline = Instant::now() + cx.long_timeout;
    loop {
        let found = observe::probe_named(cx.inventory, nodes, &cx.password, PROBE_TIMEOUT).await;
        let statuses: Vec<(&str, Option<NodeStatus>)> =
            nodes.iter().map(String::as_str).zip(found).collect();
        let healthy: Vec<&NodeStatus> = statuses
            .iter()
            .filter_map(|(_, s)| s.as_ref())
            .filter(|s| s.is_healthy() && s.cluster_size as usize >= nodes.len())
            .collect();
        let one_uuid = healthy
            .windows(2)
            .all(|w| w[0].cluster_state_uuid == w[1].cluster_state_uuid);
        if healthy.len() == nodes.len() && one_uuid {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(format!(
                "timed out after {}s verifying {}",
                cx.long_timeout.as_secs(),
                nodes.join(", ")
            ));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// A new history clears the chosen node's position right before its start. If the run stopped
/// after that and before the start, its recovered position is written back, so that a rerun
/// reads it (and never takes it for a node without data).
async fn restore_position(
    cx: &Context<'_>,
    choice: &Choice,
    rest: &[Vec<Action>],
) -> Option<String> {
    let Choice::Bootstrap {
        node,
        uuid,
        seqno,
        new_history: true,
        ..
    } = choice
    else {
        return None;
    };
    let pending = |want: &dyn Fn(&Action) -> bool| rest.iter().flatten().any(want);
    let cleared_not_started =
        !pending(&|a| matches!(a, Action::WriteGrastate { node: n, seqno: -1, .. } if n == node))
            && pending(&|a| matches!(a, Action::Start { node: n, .. } if n == node));
    if !cleared_not_started {
        return None;
    }
    let restore = Action::WriteGrastate {
        node: node.clone(),
        uuid: uuid.clone(),
        seqno: *seqno,
        safe_to_bootstrap: false,
    };
    Some(match perform(cx, &restore).await {
        Ok(()) => format!("{node}'s position {uuid}:{seqno} is back in its grastate.dat"),
        Err(e) => format!(
            "WARNING: {node}'s grastate.dat says no position; write {uuid}:{seqno} back before anything starts it ({e})"
        ),
    })
}

/// Every node's container and wsrep state, read now.
pub(crate) async fn node_states(cx: &Context<'_>) -> Vec<NodeState> {
    futures::future::join_all(cx.inventory.nodes.iter().map(|n| async move {
        let container = match cx.hosts.get(&n.host) {
            None => "host unreachable".to_string(),
            Some(remote) => match observe::containers(&remote).await {
                Ok(rows) => observe::node_container(cx.inventory, n, &rows)
                    .map_or("missing".to_string(), |r| r.state.clone()),
                Err(_) => "unknown".to_string(),
            },
        };
        let status = crate::sql::probe(&monitor_target(cx, n), PROBE_TIMEOUT)
            .await
            .ok();
        NodeState {
            name: n.name.clone(),
            host: n.host.clone(),
            container,
            status,
        }
    }))
    .await
}

/// The failure report. First, if the chosen node may still hold `gcomm://`, its address goes
/// back to the other members: a restart must never bootstrap a second cluster.
async fn failed(cx: &Context<'_>, choice: &Choice, rest: &[Vec<Action>], error: &str) -> Failure {
    let mut message = format!("recover stopped: {error}");
    if let Some(note) = restore_position(cx, choice, rest).await {
        message.push('\n');
        message.push_str(&note);
    }
    if let Choice::Bootstrap { node, .. } = choice {
        let pending = rest
            .iter()
            .flatten()
            .any(|a| matches!(a, Action::WriteConfig { node: n, bootstrap: false } if n == node));
        if pending {
            if let Some(n) = cx.inventory.node(node) {
                match write_config(cx, n, false).await {
                    Ok(()) => message.push_str(&format!(
                        "\n{node}'s cluster address is the other members again (no bootstrap on a restart)"
                    )),
                    Err(e) => message.push_str(&format!(
                        "\nWARNING: {node}'s config may still say gcomm:// (bootstrap); rewriting it failed: {e}"
                    )),
                }
            }
        }
    }
    message.push_str("\nnodes now:");
    for s in node_states(cx).await {
        message.push_str(&format!("\n  {s}"));
    }
    let rest: Vec<Vec<Action>> = rest.to_vec();
    if !rest.is_empty() {
        message.push_str("\nnot done (what it would do next):\n");
        message.push_str(render::actions(&rest).trim_end());
    }
    message.push_str(
        "\nfix the cause, then run `galeractl recover` again: it reads every position afresh",
    );
    Failure::new(exit::FAILED, message)
}
