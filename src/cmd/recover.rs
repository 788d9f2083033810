//! `galeractl recover`: after a full outage, read every node's position (in parallel), print
//! them, choose the node to bootstrap from (`crate::recover`, pure), then run the actions one
//! stage at a time: bootstrap at the recovered position, join the others one by one, verify.
//! On any failure: stop, say what each node is doing now and what was left to do.

mod act;
mod report;

use report::{dry_run, finish, print_dry_run, say};

use std::process::ExitCode;
use std::time::{Duration, Instant};

use super::{inventory_path, monitor_password, print_warnings, ssh_options, Failure, Outcome};
use crate::cli::{RecoverArgs, TcHeuristic};
use crate::facts::Positions;
use crate::inventory::{self, Inventory};
use crate::plan::Plan;
use crate::recover::{self, render, Choice, Safety};
use crate::secret::Secret;
use crate::ssh::{Hosts, SshError, Target};
use crate::{exit, observe};

/// Everything the reading and acting steps share.
pub(crate) struct Context<'a> {
    pub inventory: &'a Inventory,
    pub hosts: &'a Hosts,
    /// Hosts that could not be reached, with ssh's reason.
    pub unreachable: Vec<(String, String)>,
    pub password: Secret,
    pub step_timeout: Duration,
    /// Deadline of long work: crash recovery on a volume, a node becoming Synced (SST).
    pub long_timeout: Duration,
    pub tc_heuristic: Option<TcHeuristic>,
    pub dry_run: bool,
    /// Nodes whose prepared transactions this run resolved by heuristic (their positions are
    /// read again, and they never serve as the bootstrap node).
    pub resolved: std::sync::Mutex<std::collections::BTreeSet<String>>,
}

impl Context<'_> {
    pub fn resolved(&self, node: &str) -> bool {
        self.resolved.lock().is_ok_and(|r| r.contains(node))
    }

    /// What reading the positions needs of this run.
    fn reach(&self) -> observe::positions::Reach<'_> {
        observe::positions::Reach {
            inventory: self.inventory,
            hosts: self.hosts,
            unreachable: &self.unreachable,
            password: &self.password,
            step_timeout: self.step_timeout,
            long_timeout: self.long_timeout,
            resolved: self.resolved.lock().map(|r| r.clone()).unwrap_or_default(),
        }
    }
}

/// The confirmation's name for what the destructive flags given do: `recover` and each of
/// `--force-without`, `--force`, `--tc-heuristic-recover` given.
fn destructive_flags(args: &RecoverArgs) -> String {
    let mut name = String::from("recover");
    if !args.force_without.is_empty() {
        name.push_str(" --force-without");
    }
    if args.force {
        name.push_str(" --force");
    }
    if args.tc_heuristic_recover.is_some() {
        name.push_str(" --tc-heuristic-recover");
    }
    name
}

pub async fn run(args: &RecoverArgs) -> Outcome {
    let started = Instant::now();
    // Refused at once without a terminal to ask on and without --yes: nothing is read yet.
    let destructive =
        !args.force_without.is_empty() || args.force || args.tc_heuristic_recover.is_some();
    let what = destructive_flags(args);
    let ask = super::confirm::gate(&what, destructive, args.dry_run, args.yes)?;
    let path = inventory_path(&args.inventory)?;
    let (inventory, report) = inventory::load(&path, inventory::Secrets::Required)?;
    print_warnings(&report);
    let password = monitor_password(&inventory)?;
    // Before any host is reached (the lock, crash recovery on the volumes): the nodes given up.
    if ask {
        super::confirm::confirm(&what, &destroy_summary(&inventory, args))?;
    }
    let targets = inventory
        .nodes
        .iter()
        .map(|n| Target::for_node(&inventory, n))
        .collect();
    // Unreachable hosts are facts for the rules (refuse unless --force), not an early error.
    let (hosts, errors) = Hosts::connect_reachable(targets, &ssh_options(&args.remote)).await;
    // The lock's other hosts (the arbitrator's): a part there counts toward its majority.
    let hosts = super::locked::with_lock_hosts(hosts, &inventory, &args.remote).await;
    let cx = Context {
        inventory: &inventory,
        hosts: &hosts,
        unreachable: errors.iter().map(|e| (host_of(e), e.to_string())).collect(),
        password,
        step_timeout: Duration::from_secs(args.remote.step_timeout.max(1)),
        long_timeout: Duration::from_secs(args.remote.sync_timeout.max(1)),
        tc_heuristic: args.tc_heuristic_recover,
        dry_run: args.dry_run,
        resolved: std::sync::Mutex::default(),
    };
    // Even a dry-run runs crash recovery on the volumes: it holds the lock too, taken on a
    // majority of the node hosts; without one it goes on only with --without-lock.
    let wait = Duration::from_secs(args.remote.lock_wait);
    let work = async {
        // The cluster exists: its CA must be this machine's (checked before anything is read
        // or changed); recover never makes one.
        super::trusted_ca::check(&inventory, &hosts, "recover").await?;
        recover(&cx, args, started).await
    };
    let without = args.without_lock;
    let result = super::locked::locked(&inventory, &hosts, "recover", wait, without, work).await;
    hosts.close().await;
    result
}

/// What the destructive flags given may lose, one paragraph each.
fn destroy_summary(inventory: &Inventory, args: &RecoverArgs) -> String {
    let mut parts = Vec::new();
    if !args.force_without.is_empty() {
        parts.push(give_up_summary(inventory, &args.force_without));
    }
    if args.force {
        parts.push(format!(
            "recover --force on cluster {}: a bootstrap past a safe_to_bootstrap that disagrees with the seqnos, and a stopped node ahead of the running Primary joined by a full copy: what only that node holds is lost.",
            inventory.cluster.name
        ));
    }
    if let Some(action) = args.tc_heuristic_recover {
        parts.push(format!(
            "recover --tc-heuristic-recover {action:?} on cluster {}: the prepared transactions crash recovery cannot resolve are decided by hand, for good.",
            inventory.cluster.name
        ));
    }
    parts.join("\n")
}

/// What `recover --force-without` gives up, for its question.
fn give_up_summary(inventory: &Inventory, without: &[String]) -> String {
    let nodes: Vec<String> = without
        .iter()
        .map(|name| match inventory.node(name) {
            Some(node) => format!(
                "{name} on {} (its volume {})",
                node.host,
                inventory.volume_name(node)
            ),
            None => format!("{name} (no such node in the inventory)"),
        })
        .collect();
    format!(
        "recover --force-without gives up on cluster {}'s {}: {}.\nWhen their position cannot be read, the cluster is recovered from the other nodes as a NEW history (a new cluster UUID): what only the given-up nodes hold is lost, and they can rejoin only by a full copy (SST).",
        inventory.cluster.name,
        if without.len() == 1 { "node" } else { "nodes" },
        nodes.join(", ")
    )
}

/// With `[arbitrator]`, before a new history is bootstrapped from `chosen`: garbd's last view,
/// read from its container's log on its host (`crate::arbitrator::view`). `Err` when garbd is
/// in a Primary component without `chosen`, or runs and its state cannot be told.
async fn consult_arbitrator(
    inventory: &Inventory,
    chosen: &str,
    remote: &crate::cli::RemoteArgs,
) -> Result<(), String> {
    let Some(garbd) = observe::arbitrator::garbd(inventory, &ssh_options(remote)).await else {
        return Ok(());
    };
    let seen =
        garbd.and_then(|(running, log)| crate::arbitrator::view::judge(running, &log, chosen))?;
    tracing::info!("{seen}");
    Ok(())
}

fn host_of(e: &SshError) -> String {
    match e {
        SshError::HostKey { host, .. }
        | SshError::Connect { host, .. }
        | SshError::Timeout { host, .. }
        | SshError::Failed { host, .. }
        | SshError::Transport { host, .. } => host.clone(),
        SshError::Local { .. } => String::new(),
    }
}

/// Recovery as a loop: read every position, choose, run the plan chosen; a plan that is
/// only a first step (prepared transactions resolved, waiting nodes stopped, pc.recovery's
/// fall-back) is followed by reading every position again.
async fn recover(cx: &Context<'_>, args: &RecoverArgs, started: Instant) -> Outcome {
    // Galera's pc.recovery is tried only while this run has stopped no node: a clean stop
    // removes the saved view, and after its fall-back it was tried.
    let mut pc_recovery = true;
    loop {
        let observed = read(cx, args, started).await;
        let round = choose(cx, args, &observed, pc_recovery).await?;
        if cx.dry_run {
            return print_round(cx, args, &observed.positions, &round);
        }
        match run_round(cx, args, started, round).await? {
            Next::Done(code) => return Ok(code),
            Next::ReadAgain { nodes_stopped } => {
                if nodes_stopped {
                    pc_recovery = false;
                }
            }
        }
    }
}

/// What one reading decided: the plan to run next.
enum Round {
    /// The prepared transactions of `nodes` resolved as `--tc-heuristic-recover` asks, then
    /// every position read again.
    Resolve {
        nodes: Vec<String>,
        choice: String,
        plan: Plan,
    },
    /// The cluster recovered.
    Recover(Box<Recovery>),
}

/// The cluster recovered by `choice`: its plan, pc.recovery's plan when it applies (or why
/// not), and the path taken, in words.
struct Recovery {
    choice: Choice,
    plan: Plan,
    fast: Result<Plan, String>,
    path: String,
}

/// What is left after a round's plan ran.
enum Next {
    /// Recovered: the closing report's exit code.
    Done(ExitCode),
    /// Every position is read again; `nodes_stopped`: this round stopped nodes cleanly.
    ReadAgain { nodes_stopped: bool },
}

/// Every node's position, read now, and printed (not with `--json`).
async fn read(cx: &Context<'_>, args: &RecoverArgs, started: Instant) -> Positions {
    tracing::info!(
        "cluster {}: reading the position of {} nodes",
        cx.inventory.cluster.name,
        cx.inventory.nodes.len()
    );
    let observed = observe::positions::read(&cx.reach()).await;
    if !args.json {
        out!("{}", render::positions(&observed.positions));
    }
    tracing::info!("positions read in {:.1}s", started.elapsed().as_secs_f64());
    observed
}

/// The plan to run next, from the positions read: prepared transactions to resolve first, as
/// the operator asked; otherwise the bootstrap node's choice (or its refusal) and its plans.
async fn choose(
    cx: &Context<'_>,
    args: &RecoverArgs,
    observed: &Positions,
    pc_recovery: bool,
) -> Result<Round, Failure> {
    let inventory = cx.inventory;
    let unresolved: Vec<String> = observed
        .positions
        .iter()
        .filter(|p| matches!(p.reading, recover::Reading::PreparedTransactions(_)))
        .map(|p| p.name.clone())
        .filter(|n| !cx.resolved(n))
        .collect();
    if let (Some(how), false) = (cx.tc_heuristic, unresolved.is_empty()) {
        let plan = recover::commands::resolve_plan(inventory, &unresolved, how.as_str());
        let choice = format!(
            "choice: resolve the prepared transactions of {} ({}), as --tc-heuristic-recover asks, then read every position again and choose; {} never serve{} as the bootstrap node",
            unresolved.join(", "),
            how.as_str(),
            unresolved.join(", "),
            if unresolved.len() == 1 { "s" } else { "" }
        );
        return Ok(Round::Resolve {
            nodes: unresolved,
            choice,
            plan,
        });
    }
    let safety = Safety {
        force: args.force,
        without: args.force_without.iter().cloned().collect(),
    };
    let choice = recover::choose_bootstrap_node(&observed.positions, &safety).map_err(|r| {
        let advice = match &r {
            recover::Refusal::MonitorDenied(_) => format!(
                "; {}",
                crate::galera::access_denied_advice(
                    &inventory.cluster.monitor_user,
                    &inventory.cluster.monitor_password_file
                )
            ),
            _ => String::new(),
        };
        Failure::new(
            exit::REFUSED,
            format!("refused, nothing was changed: {r}{advice}"),
        )
    })?;
    if let Choice::Bootstrap {
        node,
        new_history: true,
        ..
    } = &choice
    {
        consult_arbitrator(inventory, node, &args.remote)
            .await
            .map_err(|why| {
                Failure::new(
                    exit::REFUSED,
                    format!("refused, nothing was changed: {why}"),
                )
            })?;
    }
    let stages = recover::actions(&choice);
    let plan = recover::commands::plan(inventory, &choice, &stages);
    let fast = if pc_recovery {
        recover::pc_recovery(&choice, &observed.positions, &observed.views)
            .map(|stages| recover::commands::pc_plan(inventory, &choice, &stages))
    } else {
        Err("it was tried and did not re-form the cluster".to_string())
    };
    let path = match (&choice, &fast) {
        (Choice::StopWaiting { .. }, _) => "stop the waiting nodes, then read again".to_string(),
        (_, Ok(_)) => "pc.recovery: every node saved the same last Primary view; they restart together and Galera re-forms it (no bootstrap); if it does not within its deadline, every node is stopped cleanly, every position read again, and the bootstrap above is done instead".to_string(),
        (_, Err(why)) => format!("bootstrap ({why}, so Galera's pc.recovery does not apply)"),
    };
    super::ensure_certs(cx.inventory, cx.dry_run, false)?;
    Ok(Round::Recover(Box::new(Recovery {
        choice,
        plan,
        fast,
        path,
    })))
}

/// `--dry-run`: the round's plan printed, nothing run.
fn print_round(
    cx: &Context<'_>,
    args: &RecoverArgs,
    positions: &[recover::NodePosition],
    round: &Round,
) -> Outcome {
    match round {
        Round::Resolve { choice, plan, .. } => print_dry_run(
            args,
            cx.inventory,
            positions,
            std::slice::from_ref(choice),
            "resolve, then read again",
            plan,
            None,
        ),
        Round::Recover(r) => dry_run(
            cx,
            args,
            positions,
            &r.choice,
            &r.path,
            &r.plan,
            r.fast.as_ref().ok(),
        ),
    }
}

/// Runs the round's plan: the recovery's end (the closing report), or what it leaves to read
/// again.
async fn run_round(
    cx: &Context<'_>,
    args: &RecoverArgs,
    started: Instant,
    round: Round,
) -> Result<Next, Failure> {
    let (choice, plan, fast) = match round {
        Round::Resolve {
            nodes,
            choice,
            plan,
        } => {
            say(args.json, &choice);
            act::run(cx, &plan).await?;
            if let Ok(mut r) = cx.resolved.lock() {
                r.extend(nodes);
            }
            tracing::info!("reading every position again, the prepared transactions resolved");
            return Ok(Next::ReadAgain {
                nodes_stopped: false,
            });
        }
        Round::Recover(r) => {
            let Recovery {
                choice,
                plan,
                fast,
                path,
            } = *r;
            say(args.json, &render::choice(&choice));
            say(args.json, &format!("path: {path}"));
            (choice, plan, fast)
        }
    };
    if matches!(choice, Choice::StopWaiting { .. }) {
        act::run(cx, &plan).await?;
        tracing::info!("reading every position again, the waiting nodes stopped");
        return Ok(Next::ReadAgain {
            nodes_stopped: true,
        });
    }
    if let Some(signal) = super::signalled() {
        return Err(act::interrupted_between(signal));
    }
    if let Ok(fast) = &fast {
        match act::try_run(cx, fast).await {
            Ok(()) => {
                let seconds = started.elapsed().as_secs_f64();
                return finish(cx, &choice, seconds, args.json)
                    .await
                    .map(Next::Done);
            }
            // Interrupted while the nodes re-form: they are left as they are, not stopped.
            Err(error) if super::signalled().is_some() => {
                return Err(Failure::new(
                    exit::INTERRUPTED,
                    format!("interrupted during pc.recovery ({error}); the nodes were left as they are: run `galeractl recover` again"),
                ));
            }
            Err(error) => {
                fall_back(cx, &error).await?;
                // The nodes are stopped now, cleanly (no saved view left): read every position
                // afresh and decide again, rather than trust what was read before they ran.
                tracing::info!("reading every position again after the fall-back");
                return Ok(Next::ReadAgain {
                    nodes_stopped: true,
                });
            }
        }
    }
    act::run(cx, &plan).await?;
    let seconds = started.elapsed().as_secs_f64();
    finish(cx, &choice, seconds, args.json)
        .await
        .map(Next::Done)
}

/// pc.recovery did not work out. If no Primary component formed, nothing was committed: stop
/// every node cleanly (the plan `--dry-run` printed as the fall-back) and take the bootstrap
/// path with the positions read again. If one did form, it is the cluster: say so and stop
/// (a second `recover` joins what is missing).
async fn fall_back(cx: &Context<'_>, error: &str) -> Result<(), Failure> {
    // A Primary component that formed late, or a node slow to answer, must not be missed:
    // look a few times before concluding that none formed.
    let mut states = act::node_states(cx).await;
    for _ in 0..4 {
        if states.iter().any(|s| {
            s.status
                .as_ref()
                .is_some_and(super::super::galera::NodeStatus::is_primary)
        }) {
            break;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
        states = act::node_states(cx).await;
    }
    if states.iter().any(|s| {
        s.status
            .as_ref()
            .is_some_and(super::super::galera::NodeStatus::is_primary)
    }) {
        let now: Vec<String> = states.iter().map(|s| format!("  {s}")).collect();
        return Err(Failure::new(
            exit::FAILED,
            format!(
                "recover stopped: {error}\nnodes now:\n{}\na Primary component runs: run `galeractl recover` again to start what is missing",
                now.join("\n")
            ),
        ));
    }
    tracing::warn!("pc.recovery did not re-form the cluster ({error}); stopping the nodes to bootstrap instead");
    let mut stop = recover::commands::stop_all(cx.inventory);
    stop.stages.retain(|s| !s.steps.is_empty());
    act::try_run(cx, &stop).await.map_err(|e| {
        Failure::new(
            exit::FAILED,
            format!(
                "recover stopped: pc.recovery failed ({error}) and stopping the nodes failed: {e}"
            ),
        )
    })
}
