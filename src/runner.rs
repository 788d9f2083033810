//! Walks a [`Plan`] against the hosts: the steps of a stage in parallel across hosts (in order
//! on one host), each guard checked right before its step, then the stage's condition polled
//! with a deadline. Stops at the first failure and says where it stopped.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

use crate::galera::{self, NodeStatus, Verdict};
use crate::inventory::Inventory;
use crate::observe;
use crate::plan::{Guard, Plan, Stage, Stdin, Stdout, Step, WaitFor};
use crate::secret::Secret;
use crate::ssh::Hosts;

mod drive;
mod watch;
pub use drive::{drive, Stop, Unfinished};
use watch::Watched;

/// How long `docker load` of an image may take.
const IMAGE_COPY_TIMEOUT: Duration = Duration::from_secs(900);
/// How often a waited-for condition is checked.
const POLL_EVERY: Duration = Duration::from_millis(200);
/// How long HAProxy gets to take a node out or back (its checks run every second, two in a
/// row decide; sessions are shut when a server is marked down).
const PROXY_WAIT: Duration = Duration::from_secs(60);
/// How often the waited-for containers are checked for an exit or a crash loop.
const CONTAINER_CHECK_EVERY: Duration = Duration::from_secs(2);

pub struct Runner<'a> {
    pub inventory: &'a Inventory,
    pub hosts: &'a Hosts,
    pub monitor_password: Secret,
    /// Deadline for each waited-for condition (a full SST fits in it).
    pub sync_timeout: Duration,
    pub probe_timeout: Duration,
}

impl<'a> Runner<'a> {
    /// The one way to make a runner: its waits get `sync_timeout`, its probes
    /// [`PROBE_TIMEOUT`](crate::observe::PROBE_TIMEOUT).
    pub fn new(
        inventory: &'a Inventory,
        hosts: &'a Hosts,
        monitor_password: Secret,
        sync_timeout: Duration,
    ) -> Runner<'a> {
        Runner {
            inventory,
            hosts,
            monitor_password,
            sync_timeout,
            probe_timeout: crate::observe::PROBE_TIMEOUT,
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct RunError {
    pub message: String,
    /// The plan's stage that failed (0-based), when a plan was run.
    pub stage: Option<usize>,
}

fn fail(message: impl Into<String>) -> RunError {
    RunError {
        message: message.into(),
        stage: None,
    }
}

#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct RunReport {
    pub steps_run: usize,
    pub steps_skipped: usize,
    /// The local files that steps' output went into (`Stdout::LocalFile`), as received.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub received: Vec<Received>,
}

/// A local file written from a step's output.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Received {
    pub path: std::path::PathBuf,
    pub bytes: u64,
    /// How long the step took, from its start to the file's last byte on disk.
    pub seconds: f64,
}

/// What one step did.
#[derive(Default)]
struct Done {
    ran: usize,
    skipped: usize,
    received: Vec<Received>,
}

impl Done {
    fn add(&mut self, other: Done) {
        self.ran += other.ran;
        self.skipped += other.skipped;
        self.received.extend(other.received);
    }
}

impl Runner<'_> {
    pub async fn run(&self, plan: &Plan) -> Result<RunReport, RunError> {
        self.run_tracked(plan, &AtomicUsize::new(0)).await
    }

    /// [`Runner::run`], keeping in `progress` the index of the stage under way (what an
    /// interrupt left undone).
    pub async fn run_tracked(
        &self,
        plan: &Plan,
        progress: &AtomicUsize,
    ) -> Result<RunReport, RunError> {
        let mut report = RunReport::default();
        let mut number = 0;
        // The containers the plan started so far: every later wait watches them too.
        let mut started: Vec<Watched> = Vec::new();
        for (i, stage) in plan.stages.iter().enumerate() {
            progress.store(i, Ordering::SeqCst);
            tracing::info!("stage {}/{}: {}", i + 1, plan.stages.len(), stage.title);
            let first = number + 1;
            number += stage.steps.len();
            let stopped = |e: RunError| RunError {
                message: format!(
                    "stopped in stage {} ({}): {}; stages after it were not run",
                    i + 1,
                    stage.title,
                    e.message
                ),
                stage: Some(i),
            };
            let done = self.run_stage(stage, first).await.map_err(stopped)?;
            report.steps_run += done.ran;
            report.steps_skipped += done.skipped;
            report.received.extend(done.received);
            let created = stage
                .steps
                .iter()
                .filter_map(|s| watch::started_by(self.inventory, s));
            started = watch::merged(started, &created.collect::<Vec<_>>());
            if let Some(wait) = &stage.wait {
                let began = Instant::now();
                self.wait_watching(wait, &started).await.map_err(stopped)?;
                tracing::info!("  ok: {wait} ({:.1}s)", began.elapsed().as_secs_f64());
            }
        }
        progress.store(plan.stages.len(), Ordering::SeqCst);
        Ok(report)
    }

    /// Steps run in order (one action's commands), each with its stdin, deadline and guard.
    pub async fn run_steps(&self, steps: &[Step]) -> Result<(), RunError> {
        for (k, step) in steps.iter().enumerate() {
            self.run_step(k + 1, step).await?;
        }
        Ok(())
    }

    /// The plan's on-failure steps, each tried whatever happened to the others; one line per
    /// step saying what was done.
    pub async fn run_on_failure(&self, plan: &Plan) -> Vec<String> {
        let mut said = Vec::new();
        for (k, step) in plan.on_failure.iter().enumerate() {
            let n = plan.stages.iter().map(|s| s.steps.len()).sum::<usize>() + k + 1;
            said.push(match self.run_step(n, step).await {
                Ok(_) => format!("on failure, done: [{}] {}", step.host, step.description),
                Err(e) => format!(
                    "WARNING: on failure, NOT done: [{}] {}: {}",
                    step.host, step.description, e.message
                ),
            });
        }
        said
    }

    async fn run_stage(&self, stage: &Stage, first: usize) -> Result<Done, RunError> {
        let mut by_host: BTreeMap<&str, Vec<(usize, &Step)>> = BTreeMap::new();
        for (k, step) in stage.steps.iter().enumerate() {
            by_host
                .entry(step.host.as_str())
                .or_default()
                .push((first + k, step));
        }
        let results = futures::future::join_all(by_host.into_values().map(|steps| async move {
            let mut done = Done::default();
            for (n, step) in steps {
                done.add(self.run_step(n, step).await?);
            }
            Ok::<_, RunError>(done)
        }))
        .await;
        let mut total = Done::default();
        let mut errors = Vec::new();
        for r in results {
            match r {
                Ok(done) => total.add(done),
                Err(e) => errors.push(e.message),
            }
        }
        if errors.is_empty() {
            Ok(total)
        } else {
            Err(fail(errors.join("; ")))
        }
    }

    /// Runs one step (skipped when its guard says so).
    async fn run_step(&self, n: usize, step: &Step) -> Result<Done, RunError> {
        let remote = self
            .hosts
            .get(&step.host)
            .ok_or_else(|| fail(format!("step {n}: host {} is not connected", step.host)))?;
        if let Some(Guard::ImageMissing { image }) = &step.only_if {
            if observe::image_present(&remote, image)
                .await
                .map_err(|e| fail(format!("step {n}: {e}")))?
            {
                tracing::info!("  {n:>3}. [{}] skipped: {image} is present", step.host);
                return Ok(Done {
                    skipped: 1,
                    ..Done::default()
                });
            }
        }
        tracing::info!("  {n:>3}. [{}] {}", step.host, step.description);
        // The step as the plan prints it (`--dry-run`): what runs can be compared with it.
        tracing::debug!("       {}", crate::plan::render_step_line(step).trim_end());
        let at = |e: crate::ssh::SshError| fail(format!("step {n} ({}): {e}", step.description));
        let deadline = step
            .deadline_secs
            .map_or(remote.command_timeout(), Duration::from_secs)
            .max(remote.command_timeout());
        if let Some(Stdout::LocalFile(file)) = &step.stdout {
            let bar = byte_bar(&step.host, "received");
            let began = Instant::now();
            let got = remote
                .pipe_to_local(&step.argv, file, deadline, |total| bar.set_position(total))
                .await
                .map_err(at)?;
            bar.finish_and_clear();
            tracing::info!(
                "       [{}] {:.1} MB received into {}",
                step.host,
                got as f64 / 1e6,
                file.display()
            );
            return Ok(Done {
                ran: 1,
                skipped: 0,
                received: vec![Received {
                    path: file.clone(),
                    bytes: got,
                    seconds: began.elapsed().as_secs_f64(),
                }],
            });
        }
        match &step.stdin {
            None if step.ignore_exit => {
                let out = remote.run(&step.argv, None, deadline).await.map_err(at)?;
                tracing::info!("       exit code {} (not checked)", out.code);
            }
            None => {
                remote
                    .run_ok_within(&step.argv, None, deadline)
                    .await
                    .map_err(at)?;
            }
            Some(Stdin::Text(text)) => {
                remote
                    .run_ok(&step.argv, Some(text.as_bytes()))
                    .await
                    .map_err(at)?;
            }
            Some(Stdin::ClusterStateUuid { node }) => {
                let seen = self.probes(&[node.as_str()]).await;
                let probe = seen.first().map(|(_, p)| p);
                let uuid = probe
                    .and_then(|p| p.as_ref().ok())
                    .map(|s| s.cluster_state_uuid.clone())
                    .filter(|u| galera::is_history(u))
                    .ok_or_else(|| {
                        fail(format!(
                            "step {n} ({}): {node} reports no cluster state UUID ({})",
                            step.description,
                            probe.map_or_else(String::new, galera::said)
                        ))
                    })?;
                remote
                    .run_ok(&step.argv, Some(format!("{uuid}\n").as_bytes()))
                    .await
                    .map_err(at)?;
            }
            Some(Stdin::SecretFile(path)) => {
                let bytes = crate::secret::read_upload(path).map_err(|e| {
                    fail(format!(
                        "step {n}: cannot read secret file {}: {e}",
                        path.display()
                    ))
                })?;
                remote.run_ok(&step.argv, Some(&bytes)).await.map_err(at)?;
            }
            Some(Stdin::TextWithSecret {
                text,
                placeholder,
                secret,
            }) => {
                let value = crate::secret::Secret::read(secret).map_err(|e| {
                    fail(format!(
                        "step {n}: cannot read secret file {}: {e}",
                        secret.display()
                    ))
                })?;
                let ok = |c: char| c.is_ascii_alphanumeric() || "._~!@%^*+=-".contains(c);
                if !value.expose().chars().all(ok) {
                    return Err(fail(format!(
                        "step {n}: the secret in {} has characters that galeractl does not write into a configuration file unquoted (use letters, digits and ._~!@%^*+=-)",
                        secret.display()
                    )));
                }
                let filled = text.replace(placeholder.as_str(), value.expose());
                remote
                    .run_ok(&step.argv, Some(filled.as_bytes()))
                    .await
                    .map_err(at)?;
            }
            Some(Stdin::LocalCommand(local)) => {
                let bar = byte_bar(&step.host, "sent");
                let limit = step
                    .deadline_secs
                    .map_or(IMAGE_COPY_TIMEOUT, Duration::from_secs);
                let sent = remote
                    .pipe_from_local(local, &step.argv, limit, |b| bar.set_position(b))
                    .await
                    .map_err(at)?;
                bar.finish_and_clear();
                tracing::info!("       [{}] {} MB sent", step.host, sent / 1_000_000);
            }
        }
        Ok(Done {
            ran: 1,
            ..Done::default()
        })
    }

    async fn probes(&self, names: &[&str]) -> Vec<(String, galera::Probe)> {
        let found = observe::probes(
            self.inventory,
            names,
            &self.monitor_password,
            self.probe_timeout,
        )
        .await;
        names
            .iter()
            .map(std::string::ToString::to_string)
            .zip(found)
            .collect()
    }

    /// Polls until `wait` holds or the deadline passes; on a deadline, says what was seen
    /// last and shows the log tail of each node that was not there yet.
    pub async fn wait(&self, wait: &WaitFor) -> Result<(), RunError> {
        self.wait_watching(wait, &[]).await
    }

    /// [`Runner::wait`], watching `started` (the containers the plan started before it) besides
    /// the waited-for nodes: one that exits or loops fails the wait at once.
    async fn wait_watching(&self, wait: &WaitFor, started: &[Watched]) -> Result<(), RunError> {
        match wait {
            WaitFor::ProxyDrained { .. }
            | WaitFor::ProxyUp { .. }
            | WaitFor::ProxyServes { .. } => return self.wait_proxy(wait, started).await,
            WaitFor::JoinedByIst { node } => return self.check_ist(node).await,
            _ => {}
        }
        let names: Vec<&str> = match wait {
            WaitFor::ProxyDrained { .. }
            | WaitFor::ProxyUp { .. }
            | WaitFor::ProxyServes { .. }
            | WaitFor::JoinedByIst { .. } => Vec::new(),
            WaitFor::Synced { nodes }
            | WaitFor::Healthy { nodes }
            | WaitFor::Reformed { nodes, .. }
            | WaitFor::Silent { nodes } => nodes.iter().map(String::as_str).collect(),
            WaitFor::Member { via, .. } => vec![via.as_str()],
            WaitFor::Verified { .. } => self
                .inventory
                .nodes
                .iter()
                .map(|n| n.name.as_str())
                .collect(),
        };
        if let WaitFor::Silent { .. } = wait {
            return self.check_silent(&names).await;
        }
        let timeout = match wait {
            WaitFor::Reformed { secs, .. } => Duration::from_secs(*secs),
            _ => self.sync_timeout,
        };
        let deadline = Instant::now() + timeout;
        let spinner = spinner(&format!("waiting: {wait}"));
        let mut waited = names.clone();
        if let WaitFor::Member { node, .. } = wait {
            waited.push(node.as_str());
        }
        let watched = watch::merged(watch::nodes(self.inventory, &waited), started);
        // Restart counts when the wait began: a count that grows is a crash loop.
        let restarts_at_start = self.restart_counts(&watched).await;
        let mut last_check_of_containers = Instant::now();
        loop {
            let probes = self.probes(&names).await;
            let pending: Vec<String> = probes
                .iter()
                .filter(|(_, p)| !p.as_ref().is_ok_and(NodeStatus::is_healthy))
                .map(|(n, p)| format!("{n}: {}", galera::said(p)))
                .collect();
            let denied = galera::denied(probes.iter().map(|(n, p)| (n.as_str(), p)));
            let seen: Vec<(String, Option<NodeStatus>)> =
                probes.into_iter().map(|(n, p)| (n, p.ok())).collect();
            let done = match wait {
                WaitFor::Synced { .. } => pending.is_empty(),
                WaitFor::Member { size, .. } => seen.iter().any(|(_, s)| {
                    s.as_ref()
                        .is_some_and(|s| s.is_primary() && s.cluster_size as usize >= *size)
                }),
                WaitFor::Verified { size } => {
                    let pairs: Vec<(&str, Option<&NodeStatus>)> =
                        seen.iter().map(|(n, s)| (n.as_str(), s.as_ref())).collect();
                    let all_sized = seen
                        .iter()
                        .all(|(_, s)| s.as_ref().is_some_and(|s| s.cluster_size as usize == *size));
                    galera::verdict(*size, &pairs, &[]) == Verdict::Healthy && all_sized
                }
                WaitFor::Healthy { nodes } => {
                    let healthy: Vec<&NodeStatus> = seen
                        .iter()
                        .filter_map(|(_, s)| s.as_ref())
                        .filter(|s| s.is_healthy() && s.cluster_size as usize >= nodes.len())
                        .collect();
                    healthy.len() == nodes.len()
                        && healthy
                            .windows(2)
                            .all(|w| w[0].cluster_state_uuid == w[1].cluster_state_uuid)
                }
                WaitFor::Reformed { nodes, .. } => seen.iter().any(|(_, s)| {
                    s.as_ref()
                        .is_some_and(|s| s.is_primary() && s.cluster_size as usize == nodes.len())
                }),
                WaitFor::Silent { .. }
                | WaitFor::ProxyDrained { .. }
                | WaitFor::ProxyUp { .. }
                | WaitFor::ProxyServes { .. }
                | WaitFor::JoinedByIst { .. } => true,
            };
            if done {
                spinner.finish_and_clear();
                return Ok(());
            }
            spinner.set_message(format!("waiting: {wait} ({})", pending.join(", ")));
            if last_check_of_containers.elapsed() > CONTAINER_CHECK_EVERY {
                last_check_of_containers = Instant::now();
                if let Err(e) = self.fail_if_not_alive(&watched, &restarts_at_start).await {
                    spinner.finish_and_clear();
                    return Err(e);
                }
            }
            if Instant::now() >= deadline {
                spinner.finish_and_clear();
                let mut message = format!(
                    "timed out after {}s waiting for: {wait}; last seen: {}",
                    timeout.as_secs(),
                    pending.join(", ")
                );
                if !denied.is_empty() {
                    message.push_str(&format!(
                        "; {}",
                        galera::access_denied_advice(
                            &self.inventory.cluster.monitor_user,
                            &self.inventory.cluster.monitor_password_file
                        )
                    ));
                }
                for (name, status) in &seen {
                    if !status.as_ref().is_some_and(NodeStatus::is_healthy) {
                        message.push_str(&self.log_of(name).await);
                    }
                }
                return Err(fail(message));
            }
            tokio::time::sleep(POLL_EVERY).await;
        }
    }

    /// Polls HAProxy's stats until the wait holds (a node out: DOWN, no session left; a node
    /// back: UP; every node UP), within [`PROXY_WAIT`], watching the containers the plan
    /// started (HAProxy's own and the health endpoints among them); no proxy in the
    /// inventory: nothing to wait for.
    async fn wait_proxy(&self, wait: &WaitFor, started: &[Watched]) -> Result<(), RunError> {
        let Some(h) = &self.inventory.haproxy else {
            return Ok(());
        };
        let password = crate::secret::Secret::read(&h.stats_password_file).map_err(|e| {
            fail(format!(
                "waiting for: {wait}: cannot read {}: {e}",
                h.stats_password_file.display()
            ))
        })?;
        let restarts_at_start = self.restart_counts(started).await;
        let mut last_check_of_containers = Instant::now();
        let deadline = Instant::now() + PROXY_WAIT;
        loop {
            let ca = self.inventory.tls.as_ref().map(|t| t.ca_cert.as_path());
            let last = match observe::proxy_backends(h, &password, ca, self.probe_timeout).await {
                Ok(backends) => match proxy_wait_holds(wait, &backends) {
                    Ok(()) => return Ok(()),
                    Err(seen) => seen,
                },
                Err(e) => e,
            };
            if last_check_of_containers.elapsed() > CONTAINER_CHECK_EVERY {
                last_check_of_containers = Instant::now();
                self.fail_if_not_alive(started, &restarts_at_start).await?;
            }
            if Instant::now() >= deadline {
                return Err(fail(format!(
                    "timed out after {}s waiting for: {wait}; last seen: {last}",
                    PROXY_WAIT.as_secs()
                )));
            }
            tokio::time::sleep(POLL_EVERY).await;
        }
    }

    /// Fails unless the node's log since its last start says it caught up by IST (or had
    /// nothing to catch up).
    async fn check_ist(&self, name: &str) -> Result<(), RunError> {
        let (Some(node), wait) = (
            self.inventory.node(name),
            WaitFor::JoinedByIst {
                node: name.to_string(),
            },
        ) else {
            return Err(fail(format!("{name} is not in the inventory")));
        };
        let Some(remote) = self.hosts.get(&node.host) else {
            return Err(fail(format!("host {} is not connected", node.host)));
        };
        let log = observe::log_tail(&remote, &self.inventory.container_name(node), 2000).await;
        match galera::catch_up(&log) {
            galera::CatchUp::Ist { .. } | galera::CatchUp::None => Ok(()),
            other => Err(fail(format!(
                "checking: {wait}: it caught up by {other}; stopping before the next node"
            ))),
        }
    }

    /// Fails when one of `names` answers SQL now: with its status, or with an error of its
    /// server (one that refuses the monitoring user runs, and may serve).
    async fn check_silent(&self, names: &[&str]) -> Result<(), RunError> {
        let answering: Vec<String> = self
            .probes(names)
            .await
            .into_iter()
            .filter(|(_, p)| {
                p.as_ref()
                    .err()
                    .is_none_or(galera::NoAnswer::server_answered)
            })
            .map(|(n, p)| format!("{n} ({})", galera::said(&p)))
            .collect();
        if answering.is_empty() {
            Ok(())
        } else {
            Err(fail(format!(
                "given up but answering SQL now: {}; no bootstrap beside a node that may serve",
                answering.join(", ")
            )))
        }
    }

    async fn log_of(&self, name: &str) -> String {
        let Some(node) = self.inventory.node(name) else {
            return String::new();
        };
        let Some(remote) = self.hosts.get(&node.host) else {
            return String::new();
        };
        let container = self.inventory.container_name(node);
        format!(
            "\n--- last lines of {container} on {}:\n{}",
            node.host,
            observe::log_tail(&remote, &container, 15).await
        )
    }

    async fn restart_counts(&self, watched: &[Watched]) -> BTreeMap<(String, String), u64> {
        let counts = futures::future::join_all(watched.iter().map(|w| async move {
            let remote = self.hosts.get(&w.host)?;
            let seen = observe::liveness(&remote, &w.container).await?;
            Some(((w.host.clone(), w.container.clone()), seen.restarts))
        }))
        .await;
        counts.into_iter().flatten().collect()
    }

    /// A container that exited, or that its restart policy keeps restarting, will not serve:
    /// stop waiting at once, with its last log lines.
    async fn fail_if_not_alive(
        &self,
        watched: &[Watched],
        restarts_at_start: &BTreeMap<(String, String), u64>,
    ) -> Result<(), RunError> {
        let seen = futures::future::join_all(watched.iter().map(|w| async move {
            let remote = self.hosts.get(&w.host)?;
            let live = observe::liveness(&remote, &w.container).await?;
            Some((w, live))
        }))
        .await;
        for (w, live) in seen.into_iter().flatten() {
            let before = restarts_at_start
                .get(&(w.host.clone(), w.container.clone()))
                .copied();
            if let Some(why) = watch::failing(&live, before) {
                return Err(fail(format!(
                    "{}: container {} on {} {why}{}",
                    w.what,
                    w.container,
                    w.host,
                    self.log_of_container(&w.host, &w.container).await
                )));
            }
        }
        Ok(())
    }

    async fn log_of_container(&self, host: &str, container: &str) -> String {
        let Some(remote) = self.hosts.get(host) else {
            return String::new();
        };
        format!(
            "\n--- last lines of {container} on {host}:\n{}",
            observe::log_tail(&remote, container, 15).await
        )
    }
}

/// Whether HAProxy's backends, as its stats page lists them, satisfy a proxy wait; else what
/// was seen, for the message.
fn proxy_wait_holds(wait: &WaitFor, backends: &[crate::haproxy::Backend]) -> Result<(), String> {
    let find = |node: &str| backends.iter().find(|b| b.server == node);
    let seen = |node: &str| {
        find(node).map_or(format!("{node} is not a server of HAProxy"), |b| {
            format!("{node}: {} with {} sessions", b.status, b.sessions)
        })
    };
    let (holds, nodes): (bool, Vec<&str>) = match wait {
        WaitFor::ProxyUp { node } => (
            find(node).is_some_and(|b| b.status == "UP"),
            vec![node.as_str()],
        ),
        WaitFor::ProxyDrained { node } => (
            find(node).is_some_and(|b| {
                (b.status.starts_with("DOWN") || b.status.starts_with("MAINT"))
                    && !b.status.contains('/')
                    && b.sessions == 0
            }),
            vec![node.as_str()],
        ),
        WaitFor::ProxyServes { nodes } => {
            let not_up: Vec<&str> = nodes
                .iter()
                .map(String::as_str)
                .filter(|n| find(n).is_none_or(|b| b.status != "UP"))
                .collect();
            (not_up.is_empty(), not_up)
        }
        _ => (true, Vec::new()),
    };
    if holds {
        Ok(())
    } else {
        Err(nodes.iter().map(|n| seen(n)).collect::<Vec<_>>().join(", "))
    }
}

fn interactive() -> bool {
    std::io::stderr().is_terminal()
}

fn spinner(message: &str) -> ProgressBar {
    if !interactive() {
        tracing::info!("  {message}");
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new_spinner();
    if let Ok(style) = ProgressStyle::with_template("  {spinner} {elapsed:>4} {wide_msg}") {
        bar.set_style(style);
    }
    bar.set_message(message.to_string());
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

fn byte_bar(host: &str, verb: &str) -> ProgressBar {
    if !interactive() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new_spinner();
    let template = format!("  {{spinner}} [{{msg}}] {{bytes}} {verb} ({{bytes_per_sec}})");
    if let Ok(style) = ProgressStyle::with_template(&template) {
        bar.set_style(style);
    }
    bar.set_message(host.to_string());
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

#[cfg(test)]
mod proxy_wait_tests {
    use super::*;

    fn backend(server: &str, status: &str, sessions: u64) -> crate::haproxy::Backend {
        crate::haproxy::Backend {
            server: server.into(),
            status: status.into(),
            backup: false,
            sessions,
        }
    }

    #[test]
    fn haproxy_serves_only_when_every_node_is_up_behind_it() {
        let wait = WaitFor::ProxyServes {
            nodes: vec!["nodea".into(), "nodeb".into(), "nodec".into()],
        };
        let all = [
            backend("nodea", "UP", 0),
            backend("nodeb", "UP", 3),
            backend("nodec", "UP", 0),
        ];
        assert_eq!(proxy_wait_holds(&wait, &all), Ok(()));
        let some = [backend("nodea", "UP", 0), backend("nodeb", "DOWN 1/2", 0)];
        assert_eq!(
            proxy_wait_holds(&wait, &some),
            Err("nodeb: DOWN 1/2 with 0 sessions, nodec is not a server of HAProxy".into())
        );
        let drained = WaitFor::ProxyDrained {
            node: "nodeb".into(),
        };
        assert_eq!(
            proxy_wait_holds(&drained, &[backend("nodeb", "DOWN", 1)]),
            Err("nodeb: DOWN with 1 sessions".into())
        );
        assert_eq!(
            proxy_wait_holds(&drained, &[backend("nodeb", "DOWN", 0)]),
            Ok(())
        );
    }
}
