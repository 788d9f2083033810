//! `galeractl backup`: choose a Synced node (not the proxy's writer), desync it, stream
//! mariabackup's backup of it to this machine, bring it back in sync (also on a failure or an
//! interrupt), then read the stream back (every chunk's checksum, the Galera position) and
//! write the manifest beside it.

use std::path::Path;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{inventory_path, monitor_password, print_warnings, Failure, Outcome};
use crate::backup::{self, Format, Manifest, MANIFEST_FILE};
use crate::cli::BackupArgs;
use crate::exit;
use crate::inventory::{self, Inventory, Node};
use crate::observe::{self, backup_file};
use crate::secret::Secret;
use crate::ssh::{Hosts, Target};

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
    if inventory.cluster.backup_password_file.is_none() {
        return Err(Failure::new(
            exit::INVALID_INVENTORY,
            format!(
                "{}: backup needs [cluster] backup_password_file: a 0600 file with the password of the backup user galeractl creates on each node ({}, localhost only); nothing was changed",
                path.display(),
                crate::docker::BACKUP_USER
            ),
        ));
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
    let started_unix = crate::lock::now_unix();
    let started = crate::lock::format_utc(started_unix);
    let dir = args.to.join(format!(
        "{}-{}",
        inventory.cluster.name,
        backup::stamp(&started)
    ));
    if let Some(host_dir) = &args.on_host {
        return on_host(
            inventory, password, node, hosts, args, host_dir, &dir, &started,
        )
        .await;
    }
    let format = if args.logical {
        Format::MariadbDumpSql
    } else {
        Format::MariabackupXbstream
    };
    let file = dir.join(format.file());
    let secs = args.transfer_timeout.max(1);
    let plan = match format {
        Format::MariabackupXbstream => backup::physical(inventory, node, &file, secs),
        Format::MariadbDumpSql => backup::logical(inventory, node, &file, secs),
    };
    if args.dry_run {
        return super::print_plan(&plan, inventory, args.json);
    }
    make_private_dir(&dir)?;
    let runner = super::runner(inventory, hosts, password.clone(), &args.remote);
    let clock = Instant::now();
    // The file is read (checksums, position) as it arrives, not after: the check costs no
    // time of its own.
    let done = Arc::new(AtomicBool::new(false));
    let follower = {
        let (file, done) = (file.clone(), done.clone());
        std::thread::spawn(move || {
            let growing = backup_file::Growing::open(&file, &done)?;
            backup_file::read_backup_from(growing, &file, format)
        })
    };
    let finish = |follower: std::thread::JoinHandle<Result<backup_file::StreamRead, String>>| {
        done.store(true, Ordering::SeqCst);
        follower
            .join()
            .unwrap_or_else(|_| Err("the reading of the backup stopped".to_string()))
    };
    let report = match super::run_plan(&runner, &plan).await {
        Ok(report) => report,
        Err(mut failure) => {
            let _ = finish(follower);
            match std::fs::remove_dir_all(&dir) {
                Ok(()) => failure.message.push_str(&format!(
                    "\nthe incomplete backup {} was removed",
                    dir.display()
                )),
                Err(e) => failure.message.push_str(&format!(
                    "\nthe incomplete backup {} could not be removed: {e}",
                    dir.display()
                )),
            }
            return Err(failure);
        }
    };
    let secs = clock.elapsed().as_secs_f64();
    let ended = crate::lock::format_utc(crate::lock::now_unix());
    let received = report.received.iter().find(|r| r.path == file);
    let read = finish(follower).map_err(|e| {
        Failure::new(
            exit::FAILED,
            format!(
                "{}: {e}; the backup in {} cannot be trusted",
                node.name,
                dir.display()
            ),
        )
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
    if args.json {
        let doc = serde_json::json!({
            "directory": dir,
            "seconds": secs,
            "stream_seconds": received.map(|r| r.seconds),
            "manifest": manifest,
        });
        outln!("{doc:#}");
    } else {
        outln!(
            "{}: backup of {} ({}) at {}:{} in {}: {:.1} MB in {secs:.1}s ({:.1} MB/s); {} back in sync",
            inventory.cluster.name,
            node.name,
            node.host,
            manifest.cluster_uuid,
            manifest.seqno,
            dir.display(),
            manifest.size as f64 / 1e6,
            manifest.size as f64 / 1e6 / secs.max(0.001),
            node.name,
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `backup --on-host`: the copy stays on the node's host; the check there writes the
/// manifest, which also comes into `dir` here.
#[allow(clippy::too_many_arguments)]
async fn on_host(
    inventory: &Inventory,
    password: &Secret,
    node: &Node,
    hosts: &Hosts,
    args: &BackupArgs,
    host_dir: &str,
    dir: &Path,
    started: &str,
) -> Outcome {
    let name = dir.file_name().map(|n| n.to_string_lossy().into_owned());
    let plain = !host_dir.contains([':', ',', '\n']);
    let (true, true, Some(name)) = (host_dir.starts_with('/'), plain, name) else {
        return Err(Failure::new(
            exit::USAGE,
            format!("--on-host {host_dir}: an absolute directory on {} is needed, without ':' or ',' (a Docker volume mount's separators); nothing was changed", node.host),
        ));
    };
    let there = format!("{}/{name}", host_dir.trim_end_matches('/'));
    let local = dir.join(MANIFEST_FILE);
    let plan = backup::on_host(
        inventory,
        node,
        &there,
        &local,
        started,
        args.transfer_timeout.max(1),
    );
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
    if args.json {
        let doc = serde_json::json!({
            "host": node.host,
            "host_directory": there,
            "directory": dir,
            "seconds": secs,
            "manifest": manifest,
        });
        outln!("{doc:#}");
    } else {
        outln!(
            "{}: backup of {} kept on {} in {there}, prepared there as a check, at {}:{}: {:.1} MB in {secs:.1}s; its manifest also in {}; {} back in sync",
            inventory.cluster.name,
            node.name,
            node.host,
            manifest.cluster_uuid,
            manifest.seqno,
            manifest.size as f64 / 1e6,
            local.display(),
            node.name,
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// A new directory readable by its owner only (a backup holds every row and password hash).
fn make_private_dir(dir: &Path) -> Result<(), Failure> {
    use std::os::unix::fs::DirBuilderExt;
    let fail = |e: std::io::Error| {
        Failure::new(
            exit::FAILED,
            format!("cannot create {}: {e}; nothing was changed", dir.display()),
        )
    };
    if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(parent)
            .map_err(fail)?;
    }
    std::fs::DirBuilder::new()
        .mode(0o700)
        .create(dir)
        .map_err(fail)
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<(), Failure> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .and_then(|mut f| f.write_all(bytes).and_then(|()| f.sync_all()))
        .map_err(|e| {
            Failure::new(
                exit::FAILED,
                format!("cannot write {}: {e}", path.display()),
            )
        })
}
