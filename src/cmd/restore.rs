//! `galeractl restore`: read the backup's manifest and check its file (size, SHA-256, every
//! chunk), look at what the cluster has on its hosts (refused unless `--replace`), then run
//! the plan: containers removed, data moved aside, the backup onto the first node's volume at
//! its Galera position, bootstrap, the others join by a full copy, verify.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use super::{inventory_path, Failure, Outcome};
use crate::backup::{self, Manifest, Present, MANIFEST_FILE};
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
        Failure::new(
            exit::USAGE,
            format!("cannot read the backup's manifest {}: {e}", path.display()),
        )
    })?;
    let manifest = Manifest::parse(&text).map_err(|e| {
        Failure::new(
            exit::FAILED,
            format!("{}: {e}; nothing was changed", path.display()),
        )
    })?;
    let dir = path.parent().unwrap_or(Path::new("."));
    let file = dir.join(&manifest.file);
    Ok((manifest, file))
}

/// The backup's file is the one the manifest describes: its size, SHA-256, chunks, position.
fn check_file(manifest: &Manifest, file: &Path) -> Result<(), Failure> {
    let bad = |why: String| {
        Failure::new(
            exit::FAILED,
            format!("{}: {why}; nothing was changed", file.display()),
        )
    };
    if !file.exists() {
        return Err(bad(format!(
            "not here: a backup kept on its host (backup --on-host) stays there; copy its directory from {} (scp -r) to this machine and restore that copy",
            manifest.host
        )));
    }
    let read = crate::observe::backup_file::read_backup(file, manifest.format).map_err(bad)?;
    if read.size != manifest.size || read.sha256 != manifest.sha256 {
        return Err(bad(format!(
            "{} bytes with SHA-256 {}, but the manifest says {} bytes with {}: the file is not the backup the manifest describes",
            read.size, read.sha256, manifest.size, manifest.sha256
        )));
    }
    if (read.uuid.as_str(), read.seqno) != (manifest.cluster_uuid.as_str(), manifest.seqno) {
        return Err(bad(format!(
            "its Galera position {}:{} differs from the manifest's {}:{}",
            read.uuid, read.seqno, manifest.cluster_uuid, manifest.seqno
        )));
    }
    Ok(())
}

/// The confirmation's name for what `restore --replace` does.
const REPLACE: &str = "restore --replace";

pub async fn run(args: &RestoreArgs) -> Outcome {
    // Refused at once without a terminal to ask on and without --yes: nothing is read yet.
    let ask = super::confirm::gate(REPLACE, args.replace, args.dry_run, args.yes)?;
    let (manifest, file) = read_manifest(&args.backup)?;
    let path = inventory_path(&args.inventory)?;
    let (inventory, password) = super::backup::load(&path)?;
    if manifest.cluster != inventory.cluster.name {
        if !args.from_other_cluster {
            return Err(Failure::new(
                exit::REFUSED,
                other_cluster(&manifest.cluster, &inventory.cluster.name),
            ));
        }
        tracing::warn!(
            "--from-other-cluster: the backup is of cluster {}, restored as cluster {}",
            manifest.cluster,
            inventory.cluster.name
        );
    }
    check_file(&manifest, &file)?;
    let hosts = super::connect_all(&inventory, &args.remote).await?;
    // Before the lock and before any change: what --replace takes away.
    if ask {
        if let Err(declined) =
            super::confirm::confirm(REPLACE, &replace_summary(&inventory, &manifest))
        {
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

/// What `restore --replace` destroys, for its question: every node's container, and its data
/// taken out of service (moved aside, not deleted).
fn replace_summary(inventory: &Inventory, manifest: &Manifest) -> String {
    let mut lines = vec![
        format!(
            "restore --replace rebuilds cluster {} from the backup of {} taken on {} ({}) at {}:{}.",
            inventory.cluster.name,
            manifest.cluster,
            manifest.node,
            manifest.started,
            manifest.cluster_uuid,
            manifest.seqno
        ),
        "Each node's container is stopped and removed, and its data volume is moved aside to VOLUME-aside-STAMP (kept, not deleted):".to_string(),
    ];
    for node in &inventory.nodes {
        lines.push(format!(
            "  {} on {}: container {}, volume {}",
            node.name,
            node.host,
            inventory.container_name(node),
            inventory.volume_name(node)
        ));
    }
    lines.push(
        "What the cluster holds now and the backup does not will no longer be served.".to_string(),
    );
    lines.join("\n")
}

/// The refusal of a backup of another cluster.
fn other_cluster(backup: &str, inventory: &str) -> String {
    format!(
        "refusing to restore, nothing was changed: the backup is of cluster {backup} (its manifest), and the inventory's cluster is {inventory}: a backup of another cluster (an old inventory, the wrong directory) would replace this cluster's data. Check the backup's directory; to restore it as {inventory} on purpose, pass --from-other-cluster"
    )
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
        .filter_map(|m| backup::space::judge(&m.host, &m.volumes, m.used_kib, m.available_kib))
        .collect();
    if refused.is_empty() {
        return Ok(());
    }
    Err(Failure::new(
        exit::REFUSED,
        format!(
            "refusing to restore --replace, nothing was changed (no container stopped): {}. Free space there, or move the old data elsewhere yourself and remove its volume, then run again",
            refused.join("; ")
        ),
    ))
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
            if let Some(how) = still_drained(inventory) {
                failure.message.push('\n');
                failure.message.push_str(&how);
            }
            failure
        })?;
    let statuses = observe::probe_all(inventory, password, PROBE_TIMEOUT).await;
    let states: Vec<(&str, String)> = inventory
        .nodes
        .iter()
        .zip(&statuses)
        .map(|(n, s)| {
            (
                n.name.as_str(),
                s.as_ref().map_or("no answer".into(), |s| {
                    format!("{} {}", s.cluster_status, s.local_state)
                }),
            )
        })
        .collect();
    let at: Vec<String> = states.iter().map(|(n, s)| format!("{n} {s}")).collect();
    let what = match manifest.format {
        backup::Format::MariabackupXbstream => "restored from the backup",
        backup::Format::MariadbDumpSql => "loaded the logical backup (a new history)",
    };
    let seconds = clock.elapsed().as_secs_f64();
    super::print_result(
        args.json,
        &format!(
            "{}: {what} of {} at {}:{} in {seconds:.1}s; {}",
            inventory.cluster.name,
            manifest.node,
            manifest.cluster_uuid,
            manifest.seqno,
            at.join(", ")
        ),
        &serde_json::json!({
            "cluster": inventory.cluster.name,
            "backup": {
                "cluster": manifest.cluster,
                "node": manifest.node,
                "cluster_uuid": manifest.cluster_uuid,
                "seqno": manifest.seqno,
                "logical": manifest.format == backup::Format::MariadbDumpSql,
            },
            "seconds": seconds,
            "nodes": states
                .iter()
                .map(|(n, s)| serde_json::json!({ "name": n, "state": s }))
                .collect::<Vec<_>>(),
        }),
    );
    Ok(ExitCode::SUCCESS)
}

/// After a failed restore with `[haproxy]`: the nodes stay drained (their data may be half
/// restored), and how to let clients in again once the cluster is what it should be.
fn still_drained(inventory: &Inventory) -> Option<String> {
    inventory.haproxy.as_ref()?;
    let flags: Vec<String> = inventory
        .nodes
        .iter()
        .map(|n| {
            format!(
                "[{}] rm -f {}/drained",
                n.host,
                crate::haproxy::drain_dir(inventory, n)
            )
        })
        .collect();
    Some(format!(
        "the nodes stay drained from HAProxy (no client reaches data that may be half restored): run the restore again, or once the cluster holds what it should, let clients in with: {}",
        flags.join("; ")
    ))
}

#[cfg(test)]
mod tests {
    fn example() -> crate::inventory::Inventory {
        let source = include_str!("../../inventory.example.toml");
        let parsed = crate::inventory::parse(std::path::Path::new("lab.toml"), source);
        parsed
            .inventory
            .unwrap_or_else(|| panic!("{:?}", parsed.report.diagnostics))
    }

    /// Issue 29: the question of `restore --replace` names every container and volume.
    #[test]
    fn the_replace_question_names_what_is_taken_away() {
        let manifest = crate::backup::Manifest {
            format: crate::backup::Format::MariabackupXbstream,
            file: "backup.xbstream".into(),
            cluster: "local-test".into(),
            cluster_uuid: "6f1c0c1e-0000-11ef-8000-000000000001".into(),
            seqno: 42,
            server_version: "11.4.5-MariaDB".into(),
            node: "nodec".into(),
            host: "10.10.10.12".into(),
            size: 1,
            sha256: String::new(),
            started: "2026-01-02 03:04:05 UTC".into(),
            ended: "2026-01-02 03:04:06 UTC".into(),
        };
        assert_eq!(
            super::replace_summary(&example(), &manifest),
            "restore --replace rebuilds cluster local-test from the backup of local-test taken on nodec (2026-01-02 03:04:05 UTC) at 6f1c0c1e-0000-11ef-8000-000000000001:42.
Each node's container is stopped and removed, and its data volume is moved aside to VOLUME-aside-STAMP (kept, not deleted):
  nodea on 10.10.10.10: container local-test-nodea, volume local-test-nodea-data
  nodeb on 10.10.10.11: container local-test-nodeb, volume local-test-nodeb-data
  nodec on 10.10.10.12: container local-test-nodec, volume local-test-nodec-data
What the cluster holds now and the backup does not will no longer be served."
        );
    }

    /// Review 2, L-6: another cluster's backup is refused unless --from-other-cluster.
    #[test]
    fn another_clusters_backup_is_refused_with_the_flag_named() {
        assert_eq!(
            super::other_cluster("old", "c1"),
            "refusing to restore, nothing was changed: the backup is of cluster old (its manifest), and the inventory's cluster is c1: a backup of another cluster (an old inventory, the wrong directory) would replace this cluster's data. Check the backup's directory; to restore it as c1 on purpose, pass --from-other-cluster"
        );
    }
}
