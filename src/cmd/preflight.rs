//! `galeractl preflight`: reads every host of the inventory (login, Docker, disk, images, the
//! proxy's and arbitrator's programs, ports, clock), then checks the cluster's ports from host
//! to host through a short-lived listener, and prints what `preflight::judge` finds. Its only
//! change to a host is that listener container, removed at the end (it ends by itself after
//! `preflight::LISTENER_SECS` if galeractl cannot remove it).

use std::process::ExitCode;

use super::{inventory_path, print_warnings, ssh_options, Failure, Outcome};
use crate::cli::{PreflightArgs, RemoteArgs};
use crate::inventory::{self, Inventory};
use crate::observe::preflight::{check_links, read_hosts};
use crate::preflight;
use crate::ssh::{Hosts, Target};

pub async fn run(args: &PreflightArgs) -> Outcome {
    let path = inventory_path(&args.inventory)?;
    let (inventory, warnings) = inventory::load(&path, inventory::Secrets::Required)?;
    print_warnings(&warnings);
    let report = examine(&inventory, &args.remote).await;
    if args.json {
        let text = serde_json::to_string_pretty(&report)
            .map_err(|e| Failure::new(crate::exit::FAILED, format!("cannot encode: {e}")))?;
        outln!("{text}");
    } else {
        out!("{}", preflight::render(&report));
    }
    Ok(ExitCode::from(report.exit_code))
}

/// Every check on every host of the inventory, and the links between them.
pub async fn examine(inventory: &Inventory, remote: &RemoteArgs) -> preflight::Report {
    let names = preflight::hosts(inventory);
    let targets: Vec<Target> = names
        .iter()
        .map(|h| Target::for_host(inventory, h))
        .collect();
    let (hosts, errors) = Hosts::connect_reachable(targets, &ssh_options(remote)).await;
    let readings = read_hosts(inventory, &hosts, &names, &errors).await;
    let links = check_links(inventory, &hosts, &readings, &preflight::links(inventory)).await;
    hosts.close().await;
    preflight::judge(inventory, &readings, &links)
}
