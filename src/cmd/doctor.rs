//! `galeractl doctor`: reads each node's status and variables and the user tables' metadata
//! over SQL, as the monitor user (never a row of data), and prints what `doctor::examine`
//! finds. Changes nothing, takes no lock, needs no SSH.

use std::process::ExitCode;
use std::time::Duration;

use super::{inventory_path, monitor_password, print_warnings, Failure, Outcome};
use crate::cli::DoctorArgs;
use crate::doctor;
use crate::inventory;
use crate::observe;

pub async fn run(args: &DoctorArgs) -> Outcome {
    let path = inventory_path(&args.inventory)?;
    let (inventory, warnings) = inventory::load(&path, inventory::Secrets::Required)?;
    print_warnings(&warnings);
    let password = monitor_password(&inventory)?;
    let timeout = Duration::from_millis(args.timeout_ms.max(1));
    let facts = observe::doctor::facts(&inventory, &password, timeout).await;
    let report = doctor::examine(&facts);
    if args.json {
        let text = serde_json::to_string_pretty(&report)
            .map_err(|e| Failure::new(crate::exit::FAILED, format!("cannot encode: {e}")))?;
        outln!("{text}");
    } else {
        out!("{}", doctor::render(&report));
    }
    Ok(ExitCode::from(report.exit_code))
}
