//! `galeractl backup`: choose a Synced node (not the proxy's writer), desync it, stream
//! mariabackup's backup of it to this machine, bring it back in sync (also on a failure or an
//! interrupt), then read the stream back (every chunk's checksum, the Galera position) and
//! write the manifest beside it. The choice, the plans and the result's text are `backup`'s.

use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use super::{inventory_path, monitor_password, print_result, print_warnings, Failure, Outcome};
use crate::backup::{self, report, Manifest, MANIFEST_FILE};
use crate::cli::BackupArgs;
use crate::inventory::{self, Inventory, Node};
use crate::observe::{self, backup_file};
use crate::secret::Secret;
use crate::ssh::{Hosts, Target};
use crate::{exit, textfile};

use super::PROBE_TIMEOUT;

/// The loaded inventory with the backup user's password file, or why not.
pub(super) fn load(path: &Path) -> Result<(Inventory, Secret), Failure> {
    let (inventory, report) = inventory::load(path, inventory::Secrets::Required)?;
    print_warnings(&report);
    let password = monitor_password(&inventory)?;
    Ok((inventory, password))
}

pub async fn run(args: &BackupArgs) -> Outcome {
    let path = inventory_path(&args.inventory)?;
    let (inventory, password) = load(&path)?;
    if let Some(why) = backup::password_refusal(&inventory, &path) {
        return Err(Failure::new(exit::INVALID_INVENTORY, why));
    }
    let statuses = observe::probe_all(&inventory, &password, PROBE_TIMEOUT).await;
    let node = backup::choose_node(&inventory, &statuses, args.node.as_deref())
        .map_err(|e| Failure::new(exit::REFUSED, format!("{e}; nothing was changed")))?
        .clone();
    let targets = vec![Target::for_node(&inventory, &node)];
    let hosts = if args.dry_run {
        super::connect(targets, &args.remote).await?
    } else {
        super::locked::connect_with_lock_hosts(targets, &inventory, &args.remote).await?
    };
    let result = if args.dry_run {
        backup_on(&inventory, &password, &node, &hosts, args).await
    } else {
        let wait = Duration::from_secs(args.remote.lock_wait);
        let command = format!("backup {}", node.name);
        super::locked::locked(&inventory, &hosts, &command, wait, false, async {
            backup_on(&inventory, &password, &node, &hosts, args).await
        })
        .await
    };
    hosts.close().await;
    result
}

async fn backup_on(
    inventory: &Inventory,
    password: &Secret,
    node: &Node,
    hosts: &Hosts,
    args: &BackupArgs,
) -> Outcome {
    let started = crate::lock::format_utc(crate::lock::now_unix());
    let name = format!("{}-{}", inventory.cluster.name, backup::stamp(&started));
    let dir = args.to.join(name);
    if let Some(host_dir) = &args.on_host {
        let cx = (inventory, password, node, hosts, args);
        return on_host(cx, host_dir, &dir, &started).await;
    }
    let secs = args.transfer_timeout.max(1);
    let (format, file, plan) = backup::into_dir(inventory, node, &dir, args.logical, secs);
    if args.dry_run {
        return super::print_plan(&plan, inventory, args.json);
    }
    make_private_dir(&dir)?;
    let runner = super::runner(inventory, hosts, password.clone(), &args.remote);
    let clock = Instant::now();
    // The file is read (checksums, position) as it arrives, not after.
    let follower = backup_file::Follower::start(&file, format);
    let report = match super::run_plan(&runner, &plan).await {
        Ok(report) => report,
        Err(mut failure) => {
            let _ = follower.finish();
            let (dir, removed) = (dir.display(), std::fs::remove_dir_all(&dir));
            failure.message.push_str(&match removed {
                Ok(()) => format!("\nthe incomplete backup {dir} was removed"),
                Err(e) => format!("\nthe incomplete backup {dir} could not be removed: {e}"),
            });
            return Err(failure);
        }
    };
    let secs = clock.elapsed().as_secs_f64();
    let ended = crate::lock::format_utc(crate::lock::now_unix());
    let received = report.received.iter().find(|r| r.path == file);
    let read = follower.finish().map_err(|e| {
        let why = format!("{e}; the backup in {} cannot be trusted", dir.display());
        Failure::new(exit::FAILED, format!("{}: {why}", node.name))
    })?;
    let manifest = Manifest {
        format,
        file: format.file().into(),
        cluster: inventory.cluster.name.clone(),
        cluster_uuid: read.uuid,
        seqno: read.seqno,
        server_version: read.server_version,
        node: node.name.clone(),
        host: node.host.clone(),
        size: read.size,
        sha256: read.sha256,
        started,
        ended,
    };
    write_private(&dir.join(MANIFEST_FILE), manifest.render().as_bytes())?;
    let stream_secs = received.map(|r| r.seconds);
    let cluster = &inventory.cluster.name;
    let (line, doc) = report::backed_up(cluster, node, &dir, &manifest, secs, stream_secs);
    print_result(args.json, &line, &doc);
    Ok(ExitCode::SUCCESS)
}

/// `backup --on-host`: the copy stays on the node's host; the check there writes the
/// manifest, which also comes into `dir` here.
async fn on_host(
    (inventory, password, node, hosts, args): (&Inventory, &Secret, &Node, &Hosts, &BackupArgs),
    host_dir: &str,
    dir: &Path,
    started: &str,
) -> Outcome {
    let name = dir.file_name().map(|n| n.to_string_lossy().into_owned());
    let there = backup::host_directory(host_dir, name.as_deref(), &node.host)
        .map_err(|why| Failure::new(exit::USAGE, why))?;
    let local = dir.join(MANIFEST_FILE);
    let secs = args.transfer_timeout.max(1);
    let plan = backup::on_host(inventory, node, &there, &local, started, secs);
    if args.dry_run {
        return super::print_plan(&plan, inventory, args.json);
    }
    make_private_dir(dir)?;
    let runner = super::runner(inventory, hosts, password.clone(), &args.remote);
    let clock = Instant::now();
    if let Err(mut failure) = super::run_plan(&runner, &plan).await {
        let _ = std::fs::remove_dir_all(dir);
        failure.message.push_str(&format!(
            "\nno backup was kept: the on-failure steps above say whether {there} on {} was removed",
            node.host
        ));
        return Err(failure);
    }
    let secs = clock.elapsed().as_secs_f64();
    let text = std::fs::read_to_string(&local).map_err(|e| {
        Failure::new(
            exit::FAILED,
            format!("cannot read {}: {e}", local.display()),
        )
    })?;
    let manifest = Manifest::parse(&text).map_err(|e| {
        Failure::new(
            exit::FAILED,
            format!("{}: the check on {} wrote a manifest galeractl cannot read ({e}); the backup in {there} there cannot be trusted", node.name, node.host),
        )
    })?;
    let cluster = &inventory.cluster.name;
    let (line, doc) = report::kept_on_host(cluster, node, &there, dir, &local, &manifest, secs);
    print_result(args.json, &line, &doc);
    Ok(ExitCode::SUCCESS)
}

/// A new directory readable by its owner only (a backup holds every row and password hash).
fn make_private_dir(dir: &Path) -> Result<(), Failure> {
    textfile::create_private_dir(dir).map_err(|e| {
        let why = format!("cannot create {}: {e}; nothing was changed", dir.display());
        Failure::new(exit::FAILED, why)
    })
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<(), Failure> {
    textfile::write_private(path, bytes).map_err(|e| {
        Failure::new(
            exit::FAILED,
            format!("cannot write {}: {e}", path.display()),
        )
    })
}
