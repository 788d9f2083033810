//! `galeractl backup`: choose a Synced node (not the proxy's writer), desync it, stream
//! mariabackup's backup of it to this machine, bring it back in sync (also on a failure or an
//! interrupt), then read the stream back (every chunk's checksum, the Galera position) and
//! write the manifest beside it.

use std::io::Read;
use std::path::Path;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use sha2::Digest;

use super::{inventory_path, monitor_password, print_warnings, Failure, Outcome};
use crate::backup::{self, xbstream, Format, Manifest, MANIFEST_FILE};
use crate::cli::BackupArgs;
use crate::exit;
use crate::inventory::{self, Inventory, Node};
use crate::observe;
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
            let growing = Growing::open(&file, &done)?;
            read_backup_from(growing, &file, format)
        })
    };
    let finish = |follower: std::thread::JoinHandle<Result<StreamRead, String>>| {
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

/// What reading a backup's stream back found.
pub(super) struct StreamRead {
    pub uuid: String,
    pub seqno: i64,
    pub server_version: String,
    pub size: u64,
    pub sha256: String,
}

/// Reads a backup's file once: its SHA-256, and, by its format, every chunk's checksum and
/// the Galera position mariabackup recorded, or the dump's position and its last line.
pub(super) fn read_backup(file: &Path, format: Format) -> Result<StreamRead, String> {
    let f =
        std::fs::File::open(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    read_backup_from(f, file, format)
}

/// A file that another process is still writing: at its end, a read waits for more until
/// `done` says the writer has finished (set after the writer exited), then it ends.
struct Growing {
    file: std::fs::File,
    done: Arc<AtomicBool>,
}

/// How long a read at the growing file's end waits before it looks again.
const GROWING_POLL: Duration = Duration::from_millis(10);

impl Growing {
    /// Opens the file once the writer has created it (or fails once the writer is done).
    fn open(path: &Path, done: &Arc<AtomicBool>) -> Result<Growing, String> {
        loop {
            let finished = done.load(Ordering::SeqCst);
            match std::fs::File::open(path) {
                Ok(file) => {
                    return Ok(Growing {
                        file,
                        done: done.clone(),
                    })
                }
                Err(e) if finished || e.kind() != std::io::ErrorKind::NotFound => {
                    return Err(format!("cannot read {}: {e}", path.display()))
                }
                Err(_) => std::thread::sleep(GROWING_POLL),
            }
        }
    }
}

impl Read for Growing {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        loop {
            let finished = self.done.load(Ordering::SeqCst);
            let n = self.file.read(buf)?;
            if n > 0 || finished || buf.is_empty() {
                return Ok(n);
            }
            std::thread::sleep(GROWING_POLL);
        }
    }
}

fn read_backup_from(mut f: impl Read, file: &Path, format: Format) -> Result<StreamRead, String> {
    let mut digest = sha2::Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut feed = |scan: &mut dyn FnMut(&[u8]) -> Result<(), String>| loop {
        let n = f
            .read(&mut buf)
            .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
        if n == 0 {
            return Ok::<(), String>(());
        }
        digest.update(&buf[..n]);
        scan(&buf[..n])?;
    };
    let read = match format {
        Format::MariabackupXbstream => {
            let mut scanner = xbstream::Scanner::default();
            feed(&mut |b| scanner.feed(b).map_err(|e| e.to_string()))?;
            physical_read(scanner)?
        }
        Format::MariadbDumpSql => {
            let mut scanner = backup::dump::Scanner::default();
            feed(&mut |b| {
                scanner.feed(b);
                Ok(())
            })?;
            let d = scanner.finish().map_err(|e| e.to_string())?;
            StreamRead {
                uuid: d.uuid,
                seqno: d.seqno,
                server_version: d.server_version,
                size: d.bytes,
                sha256: String::new(),
            }
        }
    };
    let sha256 = digest
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok(StreamRead { sha256, ..read })
}

/// A mariabackup stream's position and version, once every chunk was read.
fn physical_read(scanner: xbstream::Scanner) -> Result<StreamRead, String> {
    let contents = scanner.finish().map_err(|e| e.to_string())?;
    let text = |name: &str| {
        contents
            .kept
            .get(name)
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .unwrap_or_default()
    };
    let (uuid, seqno) = xbstream::galera_position(&text("xtrabackup_galera_info"))
        .ok_or("the stream has no Galera position (xtrabackup_galera_info)")?;
    let info = text("xtrabackup_info");
    Ok(StreamRead {
        uuid,
        seqno,
        server_version: xbstream::info_field(&info, "server_version")
            .unwrap_or("unknown")
            .to_string(),
        size: contents.bytes,
        sha256: String::new(),
    })
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// A read of a file still being written gets every byte written before the writer is done,
    /// whenever it was written: a read at the file's end waits for the writer (here, one
    /// that writes only once the read has begun), and the file ends only once it is done.
    #[test]
    fn a_growing_file_is_read_to_its_final_end() {
        let dir = std::env::temp_dir().join(format!("galeractl-growing-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
        let path = dir.join("f");
        let done = Arc::new(AtomicBool::new(false));
        let mut f = std::fs::File::create(&path).unwrap_or_else(|e| panic!("{e}"));
        f.write_all(b"first ").unwrap_or_else(|e| panic!("{e}"));
        let mut growing = Growing::open(&path, &done).unwrap_or_else(|e| panic!("{e}"));
        let mut first = [0u8; 6];
        growing
            .read_exact(&mut first)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(&first, b"first ");
        let (go, wait) = std::sync::mpsc::channel::<()>();
        let writer = {
            let done = done.clone();
            std::thread::spawn(move || {
                let _ = wait.recv();
                for piece in [&b"second "[..], b"third"] {
                    f.write_all(piece).unwrap_or_else(|e| panic!("{e}"));
                }
                drop(f);
                done.store(true, Ordering::SeqCst);
            })
        };
        let _ = go.send(());
        let mut rest = Vec::new();
        growing
            .read_to_end(&mut rest)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(rest, b"second third");
        writer.join().unwrap_or_else(|_| panic!("writer"));
        let missing = dir.join("never");
        assert!(Growing::open(&missing, &done).is_err_and(|e| e.contains("never")));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
