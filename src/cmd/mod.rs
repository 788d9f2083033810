//! The operator's commands: each reads like its runbook (observe, decide, act, verify).

pub mod backup;
pub mod confirm;
pub mod doctor;
pub mod export;
pub mod generate;
pub mod init;
pub mod locked;
pub mod logs;
pub mod node;
pub mod plan;
pub mod preflight;
pub mod recover;
pub mod restart;
pub mod restore;
pub mod sql;
pub mod status;
pub mod trusted_ca;
pub mod unlock;
pub mod up;
pub mod validate;
pub mod watch;

use std::process::ExitCode;

pub use crate::observe::PROBE_TIMEOUT;

/// The runner of a command's plan: its waits get `--sync-timeout`.
pub fn runner<'a>(
    inventory: &'a crate::inventory::Inventory,
    hosts: &'a crate::ssh::Hosts,
    password: crate::secret::Secret,
    remote: &crate::cli::RemoteArgs,
) -> crate::runner::Runner<'a> {
    crate::runner::Runner::new(
        inventory,
        hosts,
        password,
        std::time::Duration::from_secs(remote.sync_timeout.max(1)),
    )
}

/// A command's failure with the exit code it maps to; the message is printed once, by `main`.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct Failure {
    pub code: u8,
    pub message: String,
}

impl From<crate::observe::strays::UnreachableStray> for Failure {
    fn from(e: crate::observe::strays::UnreachableStray) -> Self {
        Failure::new(crate::exit::FAILED, e.to_string())
    }
}

impl Failure {
    pub fn new(code: u8, message: impl Into<String>) -> Self {
        Failure {
            code,
            message: message.into(),
        }
    }
}

impl From<crate::inventory::LoadError> for Failure {
    fn from(e: crate::inventory::LoadError) -> Self {
        let code = match e {
            crate::inventory::LoadError::Read { .. } => crate::exit::NO_INVENTORY,
            crate::inventory::LoadError::Invalid(_) => crate::exit::INVALID_INVENTORY,
        };
        Failure::new(code, e.to_string())
    }
}

pub type Outcome = Result<ExitCode, Failure>;

/// Prints warnings of a loaded inventory on stderr.
pub fn print_warnings(report: &crate::diagnostic::FileDiagnostics) {
    for d in &report.diagnostics {
        errln!("{}", report.render(d));
    }
}

/// The failure of a command interrupted before its first change.
pub fn interrupted_before_change(signal: &str) -> Failure {
    Failure::new(
        crate::exit::INTERRUPTED,
        format!("interrupted by {signal} before any change; nothing was changed"),
    )
}

/// Runs an async command on a runtime of its own.
pub fn block_on(f: impl std::future::Future<Output = Outcome>) -> Outcome {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| {
            Failure::new(
                crate::exit::FAILED,
                format!("cannot start the runtime: {e}"),
            )
        })?;
    runtime.block_on(f)
}

/// The inventory path: the argument, else `-i`, else $GALERACTL_INVENTORY, else ./galeractl.toml.
pub fn inventory_path(arg: &crate::cli::InventoryArg) -> Result<std::path::PathBuf, Failure> {
    if let Some(p) = arg.positional.as_ref().or(arg.flag.as_ref()) {
        return Ok(p.clone());
    }
    if let Some(p) = std::env::var_os("GALERACTL_INVENTORY").filter(|p| !p.is_empty()) {
        return Ok(p.into());
    }
    let default = std::path::PathBuf::from("galeractl.toml");
    if default.exists() {
        Ok(default)
    } else {
        Err(Failure::new(
            crate::exit::NO_INVENTORY,
            "no inventory given: pass a file, -i FILE or GALERACTL_INVENTORY, or create ./galeractl.toml",
        ))
    }
}

/// SSH options from the command line.
pub fn ssh_options(r: &crate::cli::RemoteArgs) -> crate::ssh::SshOptions {
    crate::ssh::SshOptions {
        connect_timeout: std::time::Duration::from_secs(r.connect_timeout.max(1)),
        command_timeout: std::time::Duration::from_secs(r.step_timeout.max(1)),
        accept_new_host_keys: r.accept_new_host_keys,
    }
}

/// SSH for what must answer within seconds even when a host is gone (`status`, watch's
/// looks): connections and commands capped.
pub fn quick_ssh_options(r: &crate::cli::RemoteArgs) -> crate::ssh::SshOptions {
    let mut options = ssh_options(r);
    options.command_timeout = options
        .command_timeout
        .min(std::time::Duration::from_secs(10));
    options.connect_timeout = options
        .connect_timeout
        .min(std::time::Duration::from_secs(3));
    options
}

/// Reads the monitoring user's password.
pub fn monitor_password(
    inventory: &crate::inventory::Inventory,
) -> Result<crate::secret::Secret, Failure> {
    let path = &inventory.cluster.monitor_password_file;
    crate::secret::Secret::read(path).map_err(|e| {
        Failure::new(
            crate::exit::INVALID_INVENTORY,
            format!("cannot read secret file {}: {e}", path.display()),
        )
    })
}

/// Connects to every host of the inventory, the proxy's included; any host out of reach fails
/// the whole command.
pub async fn connect_all(
    inventory: &crate::inventory::Inventory,
    remote: &crate::cli::RemoteArgs,
) -> Result<crate::ssh::Hosts, Failure> {
    let mut targets: Vec<crate::ssh::Target> = inventory
        .nodes
        .iter()
        .map(|n| crate::ssh::Target::for_node(inventory, n))
        .collect();
    if let Some(h) = &inventory.haproxy {
        targets.push(crate::ssh::Target::for_host(inventory, &h.host));
    }
    if let Some(a) = &inventory.arbitrator {
        targets.push(crate::ssh::Target::for_host(inventory, &a.host));
    }
    connect(targets, remote).await
}

/// Connects to every target; any host out of reach fails the command, before any change.
pub async fn connect(
    targets: Vec<crate::ssh::Target>,
    remote: &crate::cli::RemoteArgs,
) -> Result<crate::ssh::Hosts, Failure> {
    crate::ssh::Hosts::connect_all(targets, &ssh_options(remote))
        .await
        .map_err(|errors| {
            let all: Vec<String> = errors.iter().map(ToString::to_string).collect();
            Failure::new(
                crate::exit::FAILED,
                format!("{}; nothing was changed", all.join("; ")),
            )
        })
}

/// `--dry-run`: the plan as text (pasteable commands) or JSON; nothing is changed.
pub fn print_plan(
    plan: &crate::plan::Plan,
    inventory: &crate::inventory::Inventory,
    json: bool,
) -> Outcome {
    let plan = &plan.as_run(&inventory.ssh);
    if json {
        let text = serde_json::to_string_pretty(plan).map_err(|e| {
            Failure::new(crate::exit::FAILED, format!("cannot encode the plan: {e}"))
        })?;
        outln!("{text}");
    } else {
        out!("{}", crate::plan::render(plan));
    }
    Ok(ExitCode::SUCCESS)
}

/// A command's result on stdout: its line for a person, or (`--json`) the document.
pub fn print_result(json: bool, line: &str, doc: &serde_json::Value) {
    if json {
        outln!("{doc:#}");
    } else {
        outln!("{line}");
    }
}

/// Runs `plan` ([`drive`]); a failure's message ends with what the on-failure steps did.
pub async fn run_plan(
    runner: &crate::runner::Runner<'_>,
    plan: &crate::plan::Plan,
) -> Result<crate::runner::RunReport, Failure> {
    crate::runner::drive(runner, plan)
        .await
        .map_err(|unfinished| {
            let (code, message) = unfinished.exit();
            Failure::new(code, message)
        })
}

/// The usage error for a node name the inventory at `path` does not have.
pub fn unknown_node(
    name: &str,
    path: &std::path::Path,
    inventory: &crate::inventory::Inventory,
) -> Failure {
    Failure::new(
        crate::exit::USAGE,
        format!(
            "no node {name:?} in {} (nodes: {})",
            path.display(),
            inventory
                .nodes
                .iter()
                .map(|n| n.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    )
}

/// With `[tls]`: makes the certificates the plan uploads, on this machine (with `dry_run`,
/// only says which it would make), before anything changes on a host.
/// Returns the certificates made (or that would be made).
pub fn ensure_certs(
    inventory: &crate::inventory::Inventory,
    dry_run: bool,
    running: bool,
) -> Result<Vec<String>, Failure> {
    if inventory.tls.is_none() {
        return Ok(Vec::new());
    }
    let now = time::OffsetDateTime::now_utc();
    let out = crate::tls::certs::ensure(inventory, now, !dry_run, running).map_err(|e| {
        Failure::new(
            crate::exit::FAILED,
            format!("TLS certificates: {e}; nothing was changed on any host"),
        )
    })?;
    for made in &out.made {
        if dry_run {
            tracing::info!("TLS: would make {made} before running the plan");
        } else {
            tracing::info!("TLS: made {made}");
        }
    }
    Ok(out.made)
}
