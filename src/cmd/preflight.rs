//! `galeractl preflight`: reads every host of the inventory (login, Docker, disk, images, the
//! proxy's and arbitrator's programs, ports, clock), then checks the cluster's ports from host
//! to host through a short-lived listener (`observe::preflight::read`), and prints what
//! `preflight::judge` finds. Its only change to a host is that listener container, removed at
//! the end (it ends by itself after `preflight::LISTENER_SECS` if galeractl cannot remove it).

use std::process::ExitCode;

use super::{inventory_path, print_warnings, ssh_options, Failure, Outcome};
use crate::cli::PreflightArgs;
use crate::inventory;
use crate::observe;
use crate::preflight;

pub async fn run(args: &PreflightArgs) -> Outcome {
    let path = inventory_path(&args.inventory)?;
    let (inventory, warnings) = inventory::load(&path, inventory::Secrets::Required)?;
    print_warnings(&warnings);
    let (readings, links) = observe::preflight::read(&inventory, &ssh_options(&args.remote)).await;
    let report = preflight::judge(&inventory, &readings, &links);
    if args.json {
        let text = serde_json::to_string_pretty(&report)
            .map_err(|e| Failure::new(crate::exit::FAILED, format!("cannot encode: {e}")))?;
        outln!("{text}");
    } else {
        out!("{}", preflight::render(&report));
    }
    Ok(ExitCode::from(report.exit_code))
}
