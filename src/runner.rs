//! Walks a [`Plan`] against the hosts: the steps of a stage in parallel across hosts (in order
//! on one host), each guard checked right before its step, then the stage's condition polled
//! with a deadline (`wait.rs`). Stops at the first failure and says where it stopped.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

use crate::galera;
use crate::inventory::Inventory;
use crate::observe;
use crate::plan::{Guard, Plan, Stage, Stdin, Stdout, Step};
use crate::secret::Secret;
use crate::ssh::Hosts;

mod drive;
mod wait;
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
