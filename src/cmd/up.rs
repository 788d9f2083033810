//! `galeractl up`: connect to every host, look, refuse what is unsafe, plan, preflight, run,
//! verify.

use std::collections::BTreeSet;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::{inventory_path, monitor_password, print_warnings, Failure, Outcome};
use crate::cli::UpArgs;
use crate::inventory::{self, Inventory};
use crate::observe::program::ProgramCheck;
use crate::observe::{self, HostFacts};
use crate::plan::{self, Plan, Stdin, StepKind};
use crate::ssh::Hosts;
use crate::{exit, galera};

use super::PROBE_TIMEOUT;

#[derive(Debug, Serialize)]
struct Summary<'a> {
    cluster: &'a str,
    changed: bool,
    steps_run: usize,
    steps_skipped: usize,
    seconds: f64,
    verdict: String,
    nodes: Vec<NodeSummary>,
}

#[derive(Debug, Serialize)]
struct NodeSummary {
    name: String,
    host: String,
    container: String,
    state: String,
}

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
        super::confirm::confirm(DELETE_DATA, &deletions_summary(inventory, &strays))?;
    }
    Ok(strays.into_iter().map(|s| (s.name, s.host)).collect())
}

/// What `up --prune --delete-data` deletes, for its question.
fn deletions_summary(inventory: &Inventory, strays: &[crate::facts::Stray]) -> String {
    let mut lines = vec![format!(
        "up --prune --delete-data takes out cluster {}'s nodes that the inventory no longer names, and deletes their data:",
        inventory.cluster.name
    )];
    for stray in strays {
        lines.push(format!(
            "  {} on {}: container {} stopped and removed, volume {} deleted",
            stray.name,
            stray.host,
            if stray.container.is_empty() {
                "(unknown)"
            } else {
                stray.container.as_str()
            },
            plan::stray_volume(inventory, stray)
        ));
    }
    lines.push("A deleted volume cannot be brought back.".to_string());
    lines.join("\n")
}

async fn up(
    args: &UpArgs,
    inventory: &Inventory,
    hosts: &Hosts,
    password: crate::secret::Secret,
    started: Instant,
    confirmed: Option<&[(String, String)]>,
) -> Outcome {
    let facts = gather(inventory, hosts).await?;
    // The history recorded before this run, to compare the cluster with at the end (none when
    // this run records it: a new cluster, or hosts without a record).
    let recorded: Vec<String> = facts
        .iter()
        .filter_map(|(_, f)| f.history.clone())
        .collect();
    let probed_at = Instant::now();
    let (mut observed, statuses) =
        observe::observed(inventory, &facts, &password, PROBE_TIMEOUT).await;
    // The certificates first (on this machine): a running node that serves another one than
    // this machine's gets it, and reloads it.
    // Nodes running with TLS trust only their CA: a new one is refused (a switch between
    // plaintext and TLS is the planner's refusal, with its plan).
    let running_tls = observed.tls_running.values().any(|tls| *tls);
    let made = super::ensure_certs(inventory, args.dry_run, running_tls)?;
    observed.tls_stale = stale_certificates(inventory, &statuses, &made);
    mark_waiting(inventory, hosts, &mut observed).await;
    observed.proxy_config_stale = observe::proxy_config_stale(inventory, hosts).await;
    let (strays, extra) = crate::observe::strays::find(
        inventory,
        hosts,
        &statuses,
        &super::ssh_options(&args.remote),
        args.prune,
    )
    .await?;
    observed.strays = strays;
    // No node of the inventory serves: the data of other node names is evidence against a
    // new cluster.
    if !observed.nodes.iter().any(|o| o.synced_primary) {
        observed.stray_volumes = crate::observe::strays::volumes(inventory, hosts).await;
    }
    let strays = plan::prune_members(&observed);
    observed.arbitrator_member =
        inventory.arbitrator.is_some() && crate::arbitrator::is_member(&statuses, strays);
    observed.arbitrator_surely =
        inventory.arbitrator.is_some() && crate::arbitrator::surely_member(&statuses, strays);
    if plan::replaces_running(inventory, &observed) {
        upgrade_facts(
            inventory,
            hosts,
            &password,
            &statuses,
            probed_at,
            &mut observed,
        )
        .await;
    }
    // The hosts only strays use are connected too: the plan may take them out there.
    let joined = hosts.joined(extra);
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
    if let Some(signal) = super::signalled() {
        return Err(super::interrupted_before_change(signal));
    }
    preflight(inventory, &plan, facts)?;
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

/// The running nodes whose server presents another certificate than this machine's: one
/// `ensure_certs` made (or would make), or one that ends at another time.
fn stale_certificates(
    inventory: &Inventory,
    statuses: &[Option<galera::NodeStatus>],
    made: &[String],
) -> Vec<String> {
    let Some(tls) = &inventory.tls else {
        return Vec::new();
    };
    inventory
        .nodes
        .iter()
        .zip(statuses)
        .filter_map(|(node, status)| {
            let served = status.as_ref()?.tls_not_after.as_deref()?;
            let local = crate::tls::local_cert(tls, &node.name);
            let renewed = made.contains(&local.display().to_string());
            let same = crate::tls::certs::not_after(&local)
                .is_some_and(|end| crate::tls::certs::same_end(served, end));
            (renewed || !same).then(|| node.name.clone())
        })
        .collect()
}

/// The window over which the write rate is measured before a rolling replace.
const RATE_WINDOW: Duration = Duration::from_secs(2);

/// Before a rolling replace: the gcache's reach and the write rate (a second probe,
/// [`RATE_WINDOW`] after the first), and the versions running and in the image.
async fn upgrade_facts(
    inventory: &Inventory,
    hosts: &Hosts,
    password: &crate::secret::Secret,
    before: &[Option<galera::NodeStatus>],
    probed_at: Instant,
    observed: &mut crate::facts::Observed,
) {
    let left = RATE_WINDOW.saturating_sub(probed_at.elapsed());
    // A measurement window, not a wait for a state.
    tokio::time::sleep(left).await;
    let window = probed_at.elapsed();
    let after = observe::probe_all(inventory, password, PROBE_TIMEOUT).await;
    // One serving node's view, before and after: the write-set bytes it saw (its own and the
    // others'), and its gcache's size.
    let pick = after.iter().zip(before).position(|(a, b)| {
        a.as_ref()
            .zip(b.as_ref())
            .is_some_and(|(a, _)| a.is_healthy())
    });
    if let Some(i) = pick {
        let node = &inventory.nodes[i];
        let target = observe::monitor_target(inventory, node, password);
        let size = observe::provider_options(&target, PROBE_TIMEOUT)
            .await
            .as_deref()
            .and_then(plan::gcache_size_of);
        let (a, b) = (&before[i], &after[i]);
        if let (Some(size), Some(a), Some(b)) = (size, a, b) {
            let bytes = b.writeset_bytes.saturating_sub(a.writeset_bytes);
            let ms = u64::try_from(window.as_millis()).unwrap_or(u64::MAX).max(1);
            observed.gcache = Some(crate::facts::Gcache {
                size_bytes: size,
                bytes_per_minute: bytes.saturating_mul(60_000) / ms,
                window_secs: window.as_secs(),
            });
        }
    }
    observed.versions = crate::observe::versions::read(inventory, hosts, password, &after).await;
}

/// For each running node whose SQL is silent: whether its own log says it waits non-Primary
/// (read only for those nodes, in parallel).
async fn mark_waiting(inventory: &Inventory, hosts: &Hosts, observed: &mut crate::facts::Observed) {
    let silent: Vec<usize> = observed
        .nodes
        .iter()
        .enumerate()
        .filter(|(_, o)| {
            // A server that answered with an error (refused the monitoring user) serves: its
            // log is no reason to call it waiting.
            o.container.is_running()
                && !o.synced_primary
                && !matches!(&o.sql, crate::facts::SqlSaid::NoAnswer(e) if e.server_answered())
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
        Some(observe::log_tail(&remote, &container, 400).await)
    }))
    .await;
    for (i, log) in silent.into_iter().zip(logs) {
        if log.is_some_and(|l| galera::last_view_is_non_primary(&l)) {
            observed.nodes[i].waiting_non_primary = true;
        }
    }
}

/// Every host's facts, read in parallel; any host whose docker does not answer fails `up`
/// before anything changes.
async fn gather(inventory: &Inventory, hosts: &Hosts) -> Result<Vec<(String, HostFacts)>, Failure> {
    let results = futures::future::join_all(hosts.all().map(|remote| async move {
        (
            remote.host.clone(),
            observe::host_facts(remote, inventory).await,
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
    preflight_failed(errors).map(|()| facts)
}

/// Checks every host that the plan will touch, before the first change: the image is there
/// or will be copied, the ports that new containers publish are free, and no foreign
/// container holds a name the plan needs.
fn preflight(
    inventory: &Inventory,
    plan: &Plan,
    facts: &[(String, HostFacts)],
) -> Result<(), Failure> {
    let mut problems = Vec::new();
    let creates: BTreeSet<&str> = plan
        .steps_of(StepKind::CreateNode)
        .filter_map(|s| s.node.as_deref())
        .collect();
    let copies_image = plan
        .steps()
        .any(|s| matches!(s.stdin, Some(Stdin::LocalCommand(_))));
    for node in inventory
        .nodes
        .iter()
        .filter(|n| creates.contains(n.name.as_str()))
    {
        let Some((_, f)) = facts.iter().find(|(h, _)| h == &node.host) else {
            continue;
        };
        let own = observe::node_container(inventory, node, &f.containers);
        let name = inventory.container_name(node);
        if own.is_none() && f.containers.iter().any(|r| r.name == name) {
            problems.push(format!(
                "host {}: a container named {name} exists and is not {}'s: remove or rename it",
                node.host, node.name
            ));
        }
        if !f.image_present && !inventory.cluster.distribute_image {
            problems.push(format!(
                "host {}: image {} is missing (load it there, or set cluster.distribute_image = true)",
                node.host, inventory.cluster.image
            ));
        }
        // The node's own container (being replaced) may hold its ports.
        if own.is_none_or(|r| !r.is_running()) {
            if let Some(listening) = &f.listening {
                let p = node.ports;
                let busy: Vec<String> = [p.mysql, p.galera, p.sst, p.ist]
                    .into_iter()
                    .filter(|port| listening.contains(port))
                    .map(|port| port.to_string())
                    .collect();
                if !busy.is_empty() {
                    problems.push(format!(
                        "host {}: port{} {} for {} already in use",
                        node.host,
                        if busy.len() == 1 { "" } else { "s" },
                        busy.join(", "),
                        node.name
                    ));
                }
            }
        }
    }
    if copies_image && facts.iter().any(|(_, f)| !f.image_present) {
        let local = std::process::Command::new("docker")
            .args([
                "image",
                "inspect",
                "--format",
                "{{.Id}}",
                &inventory.cluster.image,
            ])
            .stdin(std::process::Stdio::null())
            .output();
        if !local.is_ok_and(|o| o.status.success()) {
            problems.push(format!(
                "image {} is missing on some hosts and cannot be read from this machine's docker to copy it",
                inventory.cluster.image
            ));
        }
    }
    preflight_failed(problems)
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
    let changed = report.is_some();
    let (steps_run, steps_skipped) = report.map_or((0, 0), |r| (r.steps_run, r.steps_skipped));
    let facts = futures::future::join_all(hosts.all().map(|r| async move {
        (
            r.host.clone(),
            observe::containers(r).await.unwrap_or_default(),
        )
    }))
    .await;
    let statuses = observe::probe_all(inventory, password, PROBE_TIMEOUT).await;
    let pairs: Vec<(&str, Option<&galera::NodeStatus>)> = inventory
        .nodes
        .iter()
        .zip(&statuses)
        .map(|(n, s)| (n.name.as_str(), s.as_ref()))
        .collect();
    // Members the inventory does not name count until --prune takes them out.
    let expected = inventory.members() + if args.prune { 0 } else { strays };
    let verdict = galera::verdict(expected, &pairs, &recorded);
    let nodes: Vec<NodeSummary> = inventory
        .nodes
        .iter()
        .zip(&statuses)
        .map(|(n, s)| {
            let row = facts
                .iter()
                .find(|(h, _)| h == &n.host)
                .and_then(|(_, rows)| observe::node_container(inventory, n, rows));
            NodeSummary {
                name: n.name.clone(),
                host: n.host.clone(),
                container: row.map_or(String::new(), |r| r.id.chars().take(12).collect()),
                state: s.as_ref().map_or("no answer".into(), |s| {
                    format!("{} {}", s.cluster_status, s.local_state)
                }),
            }
        })
        .collect();
    let seconds = started.elapsed().as_secs_f64();
    if args.json {
        let summary = Summary {
            cluster: &inventory.cluster.name,
            changed,
            steps_run,
            steps_skipped,
            seconds,
            verdict: verdict.to_string(),
            nodes,
        };
        let text = serde_json::to_string_pretty(&summary)
            .map_err(|e| Failure::new(exit::FAILED, format!("cannot encode the summary: {e}")))?;
        outln!("{text}");
    } else {
        outln!(
            "cluster {}: {} in {seconds:.1}s ({})",
            inventory.cluster.name,
            verdict,
            if changed {
                format!("{steps_run} steps run, {steps_skipped} skipped")
            } else {
                "up to date, nothing changed".into()
            }
        );
        for n in &nodes {
            outln!(
                "  {:<12} {:<16} {:<14} {}",
                n.name,
                n.host,
                n.container,
                n.state
            );
        }
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
/// registry to pull from), checked before anything changes.
async fn aux_preflight(inventory: &Inventory, hosts: &Hosts, plan: &Plan) -> Result<(), Failure> {
    // Each image is there, and runs its program (the same entrypoint its container gets).
    let mut wanted: Vec<(StepKind, &str, &str, &str, [&str; 2])> = Vec::new();
    if let Some(h) = &inventory.haproxy {
        let program = ["haproxy", "-v"];
        wanted.push((StepKind::CreateProxy, "HAProxy", &h.host, &h.image, program));
    }
    if let Some(a) = &inventory.arbitrator {
        let program = ["garbd", "--version"];
        wanted.push((
            StepKind::CreateArbitrator,
            "arbitrator",
            &a.host,
            &a.image,
            program,
        ));
    }
    let mut problems = Vec::new();
    for (kind, what, host, image, [program, flag]) in wanted {
        let Some(remote) = hosts
            .get(host)
            .filter(|_| plan.steps_of(kind).next().is_some())
        else {
            continue;
        };
        match observe::image_present(&remote, image).await {
            Ok(true) => {}
            Ok(false) => {
                problems.push(format!(
                    "host {host}: {what} image {image} is missing (load it there)"
                ));
                continue;
            }
            Err(e) => {
                problems.push(e.to_string());
                continue;
            }
        }
        match observe::program::check(&remote, image, program, flag).await {
            Ok(ProgramCheck::Runs) => {}
            Ok(ProgramCheck::Missing(said)) => problems.push(format!(
                "host {host}: {what} image {image} has no {program} (its container would loop, restarting): {said}"
            )),
            Ok(ProgramCheck::Fails(code, said)) => problems.push(format!(
                "host {host}: {what} image {image}: `{program} {flag}` exits {code}: {said}"
            )),
            Err(e) => problems.push(e.to_string()),
        }
    }
    preflight_failed(problems)
}

/// The checks before the first change: `Ok` when `problems` is empty, else the failure that
/// lists them all (nothing was changed).
fn preflight_failed(problems: Vec<String>) -> Result<(), Failure> {
    if problems.is_empty() {
        return Ok(());
    }
    Err(Failure::new(
        exit::FAILED,
        format!(
            "preflight failed; nothing was changed:\n  {}",
            problems.join("\n  ")
        ),
    ))
}

#[cfg(test)]
mod tests {
    /// Issue 29: the question of `up --prune --delete-data` names each volume it deletes.
    #[test]
    fn the_delete_data_question_names_each_volume() {
        let source = include_str!("../../inventory.example.toml");
        let parsed = crate::inventory::parse(std::path::Path::new("lab.toml"), source);
        let inventory = parsed
            .inventory
            .unwrap_or_else(|| panic!("{:?}", parsed.report.diagnostics));
        let strays = [crate::facts::Stray {
            name: "noded".into(),
            host: "10.10.10.13".into(),
            container: "local-test-noded".into(),
            running: true,
            member: true,
        }];
        assert_eq!(
            super::deletions_summary(&inventory, &strays),
            "up --prune --delete-data takes out cluster local-test's nodes that the inventory no longer names, and deletes their data:
  noded on 10.10.10.13: container local-test-noded stopped and removed, volume local-test-noded-data deleted
A deleted volume cannot be brought back."
        );
    }
}
