//! `galeractl restore`: read the backup's manifest and check its file (size, SHA-256, every
//! chunk), look at what the cluster has on its hosts (refused unless `--replace`), then run
//! the plan: containers removed, data moved aside, the backup onto the first node's volume at
//! its Galera position, bootstrap, the others join by a full copy, verify. The refusals, the
//! plan and the result's text are `backup`'s.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use super::{inventory_path, print_result, Failure, Outcome};
use crate::backup::{self, report, space, Manifest, Present, MANIFEST_FILE};
use crate::cli::RestoreArgs;
use crate::exit;
use crate::inventory::Inventory;
use crate::observe;
use crate::secret::Secret;
use crate::ssh::Hosts;

use super::PROBE_TIMEOUT;

/// The manifest and the backup's file, from the backup's directory or its manifest's path.
fn read_manifest(given: &Path) -> Result<(Manifest, PathBuf), Failure> {
    let path = if given.is_dir() {
        given.join(MANIFEST_FILE)
    } else {
        given.to_path_buf()
    };
    let text = std::fs::read_to_string(&path).map_err(|e| {
        let why = format!("cannot read the backup's manifest {}: {e}", path.display());
        Failure::new(exit::USAGE, why)
    })?;
    let manifest = Manifest::parse(&text).map_err(|e| {
        let why = format!("{}: {e}; nothing was changed", path.display());
        Failure::new(exit::FAILED, why)
    })?;
    let dir = path.parent().unwrap_or(Path::new("."));
    let file = dir.join(&manifest.file);
    Ok((manifest, file))
}

/// The confirmation's name for what `restore --replace` does.
const REPLACE: &str = "restore --replace";

pub async fn run(args: &RestoreArgs) -> Outcome {
    // Refused at once without a terminal to ask on and without --yes: nothing is read yet.
    let ask = super::confirm::gate(REPLACE, args.replace, args.dry_run, args.yes)?;
    let (manifest, file) = read_manifest(&args.backup)?;
    let path = inventory_path(&args.inventory)?;
    let (inventory, password) = super::backup::load(&path)?;
    let cluster = &inventory.cluster.name;
    match backup::other_cluster(&manifest.cluster, cluster, args.from_other_cluster) {
        Err(refusal) => return Err(Failure::new(exit::REFUSED, refusal)),
        Ok(Some(warning)) => tracing::warn!("{warning}"),
        Ok(None) => {}
    }
    observe::backup_file::check(&manifest, &file).map_err(|why| {
        let why = format!("{}: {why}; nothing was changed", file.display());
        Failure::new(exit::FAILED, why)
    })?;
    let hosts = super::connect_all(&inventory, &args.remote).await?;
    // Before the lock and before any change: what --replace takes away.
    if ask {
        let question = report::replace_summary(&inventory, &manifest);
        if let Err(declined) = super::confirm::confirm(REPLACE, &question) {
            hosts.close().await;
            return Err(declined);
        }
    }
    let result = if args.dry_run {
        restore_on(&inventory, &password, &manifest, &file, &hosts, args).await
    } else {
        let wait = Duration::from_secs(args.remote.lock_wait);
        super::locked::locked(&inventory, &hosts, "restore", wait, false, async {
            restore_on(&inventory, &password, &manifest, &file, &hosts, args).await
        })
        .await
    };
    hosts.close().await;
    result
}

/// Before the first stop: each host with data to move aside has room for its copy (refused
/// otherwise; a host that cannot be measured fails the command).
async fn aside_space(
    inventory: &Inventory,
    hosts: &Hosts,
    present: &[Present],
) -> Result<(), Failure> {
    let measured = observe::restore::aside_space(inventory, hosts, present)
        .await
        .map_err(|e| Failure::new(exit::FAILED, e.to_string()))?;
    let refused: Vec<String> = measured
        .iter()
        .filter_map(|m| space::judge(&m.host, &m.volumes, m.used_kib, m.available_kib))
        .collect();
    match space::refusal(&refused) {
        Some(why) => Err(Failure::new(exit::REFUSED, why)),
        None => Ok(()),
    }
}

/// Refused while the cluster has nodes the inventory does not name (`cmd::strays`).
async fn refuse_strays(
    inventory: &Inventory,
    password: &Secret,
    hosts: &Hosts,
    args: &RestoreArgs,
) -> Result<(), Failure> {
    let statuses = observe::probe_all(inventory, password, PROBE_TIMEOUT).await;
    let (strays, extra) = crate::observe::strays::find(
        inventory,
        hosts,
        &statuses,
        &super::ssh_options(&args.remote),
        false,
    )
    .await?;
    extra.close().await;
    match crate::backup::restore_refusal(&inventory.cluster.name, &strays) {
        Some(why) => Err(Failure::new(exit::REFUSED, why)),
        None => Ok(()),
    }
}

async fn restore_on(
    inventory: &Inventory,
    password: &Secret,
    manifest: &Manifest,
    file: &Path,
    hosts: &Hosts,
    args: &RestoreArgs,
) -> Outcome {
    refuse_strays(inventory, password, hosts, args).await?;
    // The drain that keeps clients off the restored nodes works only through the health
    // endpoints this galeractl deploys (an older one answers 200 while drained).
    super::restart::stale_endpoints(inventory, hosts, &inventory.nodes, "restore", false).await?;
    let present = observe::present(inventory, hosts)
        .await
        .map_err(|e| Failure::new(exit::FAILED, e.to_string()))?;
    if let Some(refusal) = backup::restore_data_refusal(inventory, &present, args.replace) {
        return Err(Failure::new(exit::REFUSED, refusal));
    }
    aside_space(inventory, hosts, &present).await?;
    let stamp = backup::stamp(&crate::lock::format_utc(crate::lock::now_unix()));
    let plan = backup::restore(
        inventory,
        manifest,
        file,
        &present,
        &stamp,
        args.transfer_timeout.max(1),
    );
    super::ensure_certs(inventory, args.dry_run, false)?;
    if args.dry_run {
        return super::print_plan(&plan, inventory, args.json);
    }
    for note in &plan.notes {
        tracing::info!("note: {note}");
    }
    let runner = super::runner(inventory, hosts, password.clone(), &args.remote);
    let clock = Instant::now();
    super::run_plan(&runner, &plan)
        .await
        .map_err(|mut failure| {
            if let Some(how) = report::still_drained(inventory) {
                failure.message.push('\n');
                failure.message.push_str(&how);
            }
            failure
        })?;
    let statuses = observe::probe_all(inventory, password, PROBE_TIMEOUT).await;
    let seconds = clock.elapsed().as_secs_f64();
    let (line, doc) = report::restored(inventory, manifest, &statuses, seconds);
    print_result(args.json, &line, &doc);
    Ok(ExitCode::SUCCESS)
}
