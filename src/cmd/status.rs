//! `galeractl status`: every node's wsrep state over SQL, in parallel, each with a deadline;
//! SSH only for the nodes that do not answer, to say what their container is doing.

use std::process::ExitCode;
use std::time::Duration;

use super::{inventory_path, monitor_password, print_warnings, Failure, Outcome};
use crate::cli::{StatusArgs, StatusFormat};
use crate::inventory::{self, Inventory};
use crate::observe;
use crate::report::StatusReport;
use crate::secret::Secret;

pub async fn run(args: &StatusArgs) -> Outcome {
    let path = inventory_path(&args.inventory)?;
    let (inventory, report) = inventory::load(&path, inventory::Secrets::Required)?;
    print_warnings(&report);
    let password = monitor_password(&inventory)?;
    let timeout = Duration::from_millis(args.timeout_ms.max(1));
    let report = collect(&inventory, &password, timeout, args).await;
    if let Some(file) = &args.textfile {
        crate::textfile::write_atomic(file, &crate::prometheus::render(&report)).map_err(|e| {
            Failure::new(
                crate::exit::FAILED,
                format!("cannot write {}: {e}", file.display()),
            )
        })?;
        return Ok(ExitCode::from(report.exit_code));
    }
    let format = match (args.json, args.format) {
        (true, _) => StatusFormat::Json,
        (false, format) => format.unwrap_or(StatusFormat::Table),
    };
    match format {
        StatusFormat::Json => {
            let text = serde_json::to_string_pretty(&report)
                .map_err(|e| Failure::new(crate::exit::FAILED, format!("cannot encode: {e}")))?;
            outln!("{text}");
        }
        StatusFormat::Prometheus => out!("{}", crate::prometheus::render(&report)),
        StatusFormat::Table => out!("{}", crate::report::render(&report)),
    }
    Ok(ExitCode::from(report.exit_code))
}

/// Every node's state, the history records, HAProxy's view and garbd's container, read now,
/// and judged.
pub async fn collect(
    inventory: &Inventory,
    password: &Secret,
    timeout: Duration,
    args: &StatusArgs,
) -> StatusReport {
    let how = observe::status::Reading {
        options: super::quick_ssh_options(&args.remote),
        timeout,
        logs: args.verbose_logs,
    };
    let facts = observe::status::read(inventory, password, &how).await;
    StatusReport::of(inventory, facts)
}
