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
use crate::recover::round::{self, Recovery, Round};
use crate::recover::{self, render, Choice, Safety};
use crate::runner::Stop;
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

pub async fn run(args: &RecoverArgs) -> Outcome {
    let started = Instant::now();
    // Refused at once without a terminal to ask on and without --yes: nothing is read yet.
    let destructive =
        !args.force_without.is_empty() || args.force || args.tc_heuristic_recover.is_some();
    let tc = args.tc_heuristic_recover.map(|h| format!("{h:?}"));
    let what = round::destructive_flags(&args.force_without, args.force, tc.as_deref());
    let ask = super::confirm::gate(&what, destructive, args.dry_run, args.yes)?;
    let path = inventory_path(&args.inventory)?;
    let (inventory, report) = inventory::load(&path, inventory::Secrets::Required)?;
    print_warnings(&report);
    let password = monitor_password(&inventory)?;
    // Before any host is reached (the lock, crash recovery on the volumes): the nodes given up.
    if ask {
        let summary =
            round::destroy_summary(&inventory, &args.force_without, args.force, tc.as_deref());
        super::confirm::confirm(&what, &summary)?;
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

/// The plan to run next, from the positions read (`recover::round::decide`), the arbitrator
/// consulted before a new history, and the certificates the plan needs.
async fn choose(
    cx: &Context<'_>,
    args: &RecoverArgs,
    observed: &Positions,
    pc_recovery: bool,
) -> Result<Round, Failure> {
    let inventory = cx.inventory;
    let asked = round::Asked {
        safety: Safety {
            force: args.force,
            without: args.force_without.iter().cloned().collect(),
        },
        tc_heuristic: cx.tc_heuristic.map(TcHeuristic::as_str),
        pc_recovery,
    };
    let resolved = cx.resolved.lock().map(|r| r.clone()).unwrap_or_default();
    let round = round::decide(inventory, observed, &resolved, &asked)
        .map_err(|r| Failure::new(exit::REFUSED, round::refusal_message(inventory, &r)))?;
    if let Some(node) = round.new_history_from() {
        consult_arbitrator(inventory, node, &args.remote)
            .await
            .map_err(|why| {
                Failure::new(
                    exit::REFUSED,
                    format!("refused, nothing was changed: {why}"),
                )
            })?;
    }
    if matches!(round, Round::Recover(_)) {
        super::ensure_certs(cx.inventory, cx.dry_run, false)?;
    }
    Ok(round)
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
    if let Some(signal) = crate::interrupt::signalled() {
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
            Err(Stop::Interrupted(signal)) => {
                return Err(Failure::new(
                    exit::INTERRUPTED,
                    format!("interrupted by {signal} during pc.recovery; the nodes were left as they are: run `galeractl recover` again"),
                ));
            }
            // A bug: nothing more is decided; the nodes are left as they are.
            Err(Stop::Bug(error)) => {
                return Err(Failure::new(
                    exit::FAILED,
                    format!("recover stopped during pc.recovery: {error}; the nodes were left as they are: run `galeractl recover` again"),
                ));
            }
            Err(Stop::Failed(error)) => {
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
    act::try_run(cx, &stop).await.map_err(|stop| {
        let (code, e) = match stop {
            Stop::Interrupted(signal) => (exit::INTERRUPTED, format!("was interrupted by {signal}")),
            Stop::Failed(e) | Stop::Bug(e) => (exit::FAILED, format!("failed: {e}")),
        };
        Failure::new(
            code,
            format!(
                "recover stopped: pc.recovery failed ({error}) and stopping the nodes {e}; run `galeractl recover` again"
            ),
        )
    })
}
