//! `galeractl up`: connect to every host, look, refuse what is unsafe, plan, preflight, run,
//! verify.

use std::collections::BTreeSet;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use super::{inventory_path, monitor_password, print_warnings, Failure, Outcome};
use crate::cli::UpArgs;
use crate::inventory::{self, Inventory};
use crate::observe::{self, HostFacts};
use crate::plan::{self, Plan, StepKind};
use crate::report::up::UpSummary;
use crate::ssh::Hosts;
use crate::{exit, galera};

use super::PROBE_TIMEOUT;

/// The confirmation's name for what `up --prune --delete-data` does.
const DELETE_DATA: &str = "up --prune --delete-data";

pub async fn run(args: &UpArgs) -> Outcome {
    let started = Instant::now();
    // Refused at once without a terminal to ask on and without --yes: nothing is read yet.
    let ask = super::confirm::gate(
        DELETE_DATA,
        args.prune && args.delete_data,
        args.dry_run,
        args.yes,
    )?;
    let path = inventory_path(&args.inventory)?;
    let (inventory, report) = inventory::load(&path, inventory::Secrets::Required)?;
    print_warnings(&report);
    let password = monitor_password(&inventory)?;
    let hosts = super::connect_all(&inventory, &args.remote).await?;
    let confirmed = if ask {
        match confirm_deletions(args, &inventory, &hosts, &password).await {
            Ok(strays) => Some(strays),
            Err(failure) => {
                hosts.close().await;
                return Err(failure);
            }
        }
    } else {
        None
    };
    let confirmed = confirmed.as_deref();
    let result = if args.dry_run {
        up(args, &inventory, &hosts, password, started, confirmed).await
    } else {
        let wait = Duration::from_secs(args.remote.lock_wait);
        let work = up(args, &inventory, &hosts, password, started, confirmed);
        super::locked::locked(&inventory, &hosts, "up", wait, false, work).await
    };
    hosts.close().await;
    result
}

/// Before the lock, on a terminal: the nodes whose data `--prune --delete-data` would delete
/// (found as `up` finds them, changing nothing), shown and asked about. Returns them (name and
/// host): the run under the lock deletes no other's.
async fn confirm_deletions(
    args: &UpArgs,
    inventory: &Inventory,
    hosts: &Hosts,
    password: &crate::secret::Secret,
) -> Result<Vec<(String, String)>, Failure> {
    let statuses = observe::probe_all(inventory, password, PROBE_TIMEOUT).await;
    let (strays, extra) = crate::observe::strays::find(
        inventory,
        hosts,
        &statuses,
        &super::ssh_options(&args.remote),
        true,
    )
    .await?;
    extra.close().await;
    if !strays.is_empty() {
        super::confirm::confirm(DELETE_DATA, &plan::deletion_question(inventory, &strays))?;
    }
    Ok(strays.into_iter().map(|s| (s.name, s.host)).collect())
}

async fn up(
    args: &UpArgs,
    inventory: &Inventory,
    hosts: &Hosts,
    password: crate::secret::Secret,
    started: Instant,
    confirmed: Option<&[(String, String)]>,
) -> Outcome {
    let read = observe::up::read(
        inventory,
        hosts,
        &password,
        &super::ssh_options(&args.remote),
        args.prune,
    )
    .await;
    let observe::up::UpFacts {
        hosts: facts,
        mut observed,
        statuses,
        extra,
    } = read.map_err(|e| match e {
        observe::up::UpReadError::DockerSilent(problems) => preflight_failure(problems),
        observe::up::UpReadError::Stray(e) => Failure::from(e),
    })?;
    // The hosts only strays use are connected too: the plan may take them out there.
    let joined = hosts.joined(extra);
    // The history recorded before this run, to compare the cluster with at the end (none when
    // this run records it: a new cluster, or hosts without a record).
    let recorded: Vec<String> = facts
        .iter()
        .filter_map(|(_, f)| f.history.clone())
        .collect();
    // The certificates (on this machine): a running node that serves another one than this
    // machine's gets it, and reloads it. Nodes running with TLS trust only their CA: a new one
    // is refused (a switch between plaintext and TLS is the planner's refusal, with its plan).
    let running_tls = observed.tls_running.values().any(|tls| *tls);
    let made = match super::ensure_certs(inventory, args.dry_run, running_tls) {
        Ok(made) => made,
        Err(failure) => {
            joined.close().await;
            return Err(failure);
        }
    };
    observed.tls_stale = observe::tls::stale_certificates(inventory, &statuses, &made);
    // Under the lock: no node's data is deleted that the operator was not asked about.
    if let Some(confirmed) = confirmed {
        let unasked: Vec<String> = observed
            .strays
            .iter()
            .filter(|s| !confirmed.iter().any(|(n, h)| *n == s.name && *h == s.host))
            .map(|s| format!("{} on {}", s.name, s.host))
            .collect();
        if !unasked.is_empty() {
            joined.close().await;
            return Err(Failure::new(
                exit::REFUSED,
                format!(
                    "refusing to delete data nobody was asked about: {} appeared since the question; nothing was changed; run again",
                    unasked.join(", ")
                ),
            ));
        }
    }
    let result = plan_and_run(
        args, inventory, &joined, &facts, observed, recorded, password, started,
    )
    .await;
    joined.close().await;
    result
}

/// Plans from what was observed, then prints the plan (`--dry-run`) or preflights, runs and
/// verifies it.
#[allow(clippy::too_many_arguments)]
async fn plan_and_run(
    args: &UpArgs,
    inventory: &Inventory,
    hosts: &Hosts,
    facts: &[(String, HostFacts)],
    observed: crate::facts::Observed,
    mut recorded: Vec<String>,
    password: crate::secret::Secret,
    started: Instant,
) -> Outcome {
    let options = plan::UpOptions {
        prune: args.prune,
        delete_data: args.delete_data,
        force: args.force,
        new_history: args.new_history,
    };
    let plan = plan::up_with(inventory, &observed, options)
        .map_err(|e| Failure::new(exit::REFUSED, e.to_string()))?;
    if !args.dry_run {
        for note in &plan.notes {
            tracing::warn!("{note}");
        }
    }
    if plan.records_history() {
        recorded.clear();
    }
    if args.dry_run {
        // The very plan `up` would run: pasteable commands, or (--json) the same as data.
        return super::print_plan(&plan, inventory, args.json);
    }
    if plan.stages.is_empty() {
        tracing::info!(
            "cluster {}: up to date ({} nodes Synced and Primary, every container matches the inventory)",
            inventory.cluster.name,
            inventory.nodes.len()
        );
        let strays = plan::prune_members(&observed);
        return finish(
            args, inventory, hosts, &password, started, None, recorded, strays,
        )
        .await;
    }
    if let Some(signal) = crate::interrupt::signalled() {
        return Err(super::interrupted_before_change(signal));
    }
    preflight(inventory, &plan, facts).await?;
    aux_preflight(inventory, hosts, &plan).await?;
    ports_between_hosts(inventory, hosts, &plan, facts).await?;
    let runner = super::runner(inventory, hosts, password.clone(), &args.remote);
    let report = super::run_plan(&runner, &plan).await?;
    finish(
        args,
        inventory,
        hosts,
        &password,
        started,
        Some(report),
        recorded,
        plan::prune_members(&observed),
    )
    .await
}

/// Checks every host that the plan will touch, before the first change (see
/// [`plan::preflight_up`]); this machine's image is read only when the plan copies it to a host
/// that lacks it.
async fn preflight(
    inventory: &Inventory,
    plan: &Plan,
    facts: &[(String, HostFacts)],
) -> Result<(), Failure> {
    let local_image = if plan::copies_image_to_some_host(plan, facts) {
        Some(observe::local_image_present(&inventory.cluster.image).await)
    } else {
        None
    };
    preflight_failed(plan::preflight_up(inventory, plan, facts, local_image))
}

/// Verifies and reports; `report` is `None` when nothing had to change.
#[allow(clippy::too_many_arguments)]
async fn finish(
    args: &UpArgs,
    inventory: &Inventory,
    hosts: &Hosts,
    password: &crate::secret::Secret,
    started: Instant,
    report: Option<crate::runner::RunReport>,
    recorded: Vec<String>,
    strays: usize,
) -> Outcome {
    let (rows, statuses) = observe::up::after(inventory, hosts, password).await;
    let pairs: Vec<(&str, Option<&galera::NodeStatus>)> = inventory
        .nodes
        .iter()
        .zip(&statuses)
        .map(|(n, s)| (n.name.as_str(), s.as_ref()))
        .collect();
    // Members the inventory does not name count until --prune takes them out.
    let expected = inventory.members() + if args.prune { 0 } else { strays };
    let verdict = galera::verdict(expected, &pairs, &recorded);
    let ran = report.map(|r| (r.steps_run, r.steps_skipped));
    let seconds = started.elapsed().as_secs_f64();
    let summary = UpSummary::new(inventory, &verdict, (ran, seconds), &rows, &statuses);
    if args.json {
        let text = serde_json::to_string_pretty(&summary)
            .map_err(|e| Failure::new(exit::FAILED, format!("cannot encode the summary: {e}")))?;
        outln!("{text}");
    } else {
        out!("{}", summary.text());
    }
    if verdict == galera::Verdict::Healthy {
        Ok(ExitCode::SUCCESS)
    } else {
        Err(Failure::new(
            exit::FAILED,
            format!(
                "cluster {} is not verified: {verdict}",
                inventory.cluster.name
            ),
        ))
    }
}

/// When the plan creates nodes: their hosts reach the others' Galera, SST and IST ports, and
/// are reached on theirs (a firewall that drops them would show as a join that times out).
async fn ports_between_hosts(
    inventory: &Inventory,
    hosts: &Hosts,
    plan: &Plan,
    facts: &[(String, HostFacts)],
) -> Result<(), Failure> {
    let new_hosts: BTreeSet<String> = plan
        .steps_of(StepKind::CreateNode)
        .filter_map(|s| s.node.as_deref())
        .filter_map(|n| inventory.node(n))
        .map(|n| n.host.clone())
        .collect();
    let problems =
        crate::observe::preflight::links_before_up(inventory, hosts, facts, &new_hosts).await;
    preflight_failed(problems)
}

/// When the plan deploys HAProxy or the arbitrator: its image must be on its host (no
/// registry to pull from), and run its program, checked before anything changes.
async fn aux_preflight(inventory: &Inventory, hosts: &Hosts, plan: &Plan) -> Result<(), Failure> {
    let seen = observe::up::aux_images(hosts, plan::aux_images(inventory, plan)).await;
    preflight_failed(plan::aux_problems(&seen))
}

/// The checks before the first change: `Ok` when `problems` is empty, else the failure that
/// lists them all (nothing was changed).
fn preflight_failed(problems: Vec<String>) -> Result<(), Failure> {
    if problems.is_empty() {
        return Ok(());
    }
    Err(preflight_failure(problems))
}

fn preflight_failure(problems: Vec<String>) -> Failure {
    Failure::new(
        exit::FAILED,
        format!(
            "preflight failed; nothing was changed:\n  {}",
            problems.join("\n  ")
        ),
    )
}
