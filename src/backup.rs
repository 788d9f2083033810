//! `galeractl backup` and `restore`, the pure half: the manifest, the reading of mariabackup's
//! stream, the choice of node, the refusals, the plans, and what the commands print
//! (`report.rs`). The commands (`cmd/backup.rs`, `cmd/restore.rs`) read, run and print.

pub mod dump;
mod fence;
pub mod manifest;
pub mod plans;
pub mod report;
pub mod space;
pub mod xbstream;

pub use manifest::{Format, Manifest, ManifestError, LOGICAL_FILE, MANIFEST_FILE, PHYSICAL_FILE};
pub use plans::{logical, on_host, physical, restore, Present};

use std::path::Path;

use crate::facts::Stray;
use crate::galera::NodeStatus;
use crate::inventory::{Inventory, Node};

/// Which node `backup` copies: the one asked for, which must be Synced and Primary; else the
/// last such node in inventory order. HAProxy's single writer is the first node that serves
/// (in inventory order), so the last one is not it whenever two serve.
pub fn choose_node<'a>(
    inventory: &'a Inventory,
    statuses: &[Option<NodeStatus>],
    asked: Option<&str>,
) -> Result<&'a Node, String> {
    let healthy = |i: usize| {
        statuses
            .get(i)
            .and_then(Option::as_ref)
            .is_some_and(NodeStatus::is_healthy)
    };
    if let Some(name) = asked {
        let (i, node) = inventory
            .nodes
            .iter()
            .enumerate()
            .find(|(_, n)| n.name == name)
            .ok_or_else(|| {
                format!(
                    "no node {name:?} in the inventory (nodes: {})",
                    inventory
                        .nodes
                        .iter()
                        .map(|n| n.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })?;
        return if healthy(i) {
            Ok(node)
        } else {
            Err(format!(
                "{name} is not Synced in a Primary component: a backup of it could be behind the cluster; choose another node or leave --node out"
            ))
        };
    }
    inventory
        .nodes
        .iter()
        .enumerate()
        .rev()
        .find(|(i, _)| healthy(*i))
        .map(|(_, n)| n)
        .ok_or_else(|| "no node is Synced in a Primary component: there is nothing consistent to back up; see `galeractl status`".to_string())
}

/// The backup of `node` into `dir` on this machine: its format (`logical`: a dump), the file it
/// writes there, and the plan that streams it (`secs`: the transfer's deadline).
pub fn into_dir(
    inventory: &Inventory,
    node: &crate::inventory::Node,
    dir: &Path,
    logical: bool,
    secs: u64,
) -> (Format, std::path::PathBuf, crate::plan::Plan) {
    let format = if logical {
        Format::MariadbDumpSql
    } else {
        Format::MariabackupXbstream
    };
    let file = dir.join(format.file());
    let plan = match format {
        Format::MariabackupXbstream => physical(inventory, node, &file, secs),
        Format::MariadbDumpSql => self::logical(inventory, node, &file, secs),
    };
    (format, file, plan)
}

/// A directory name's stamp from `YYYY-MM-DD HH:MM:SS UTC`: `YYYYMMDDTHHMMSSZ`.
pub fn stamp(utc: &str) -> String {
    let digits: String = utc.chars().filter(char::is_ascii_digit).collect();
    let (date, time) = digits.split_at(digits.len().min(8));
    format!("{date}T{time}Z")
}

/// Why `restore` refuses while the cluster has nodes the inventory does not name, or `None`.
/// A stray keeps serving (or can start again) on the old data beside the restored cluster, and
/// its address list names the restored nodes: it must be taken out first, as `up --prune` does.
pub fn restore_refusal(cluster: &str, strays: &[Stray]) -> Option<String> {
    if strays.is_empty() {
        return None;
    }
    let each: Vec<String> = strays
        .iter()
        .map(|s| {
            let state = if s.member {
                "a member of the cluster"
            } else if s.state.is_running() {
                "running"
            } else {
                "stopped"
            };
            if s.container.is_empty() {
                format!("{} ({state})", s.name)
            } else {
                format!("{} on {} ({state})", s.name, s.host)
            }
        })
        .collect();
    Some(format!(
        "refusing to restore: cluster {cluster} has nodes the inventory does not name: {}; they would keep the old data beside the restored cluster and dial its nodes. Take them out first (galeractl up --prune, or add them to the inventory); nothing was changed",
        each.join(", ")
    ))
}

/// Why `restore` refuses without `--replace`: the cluster has data (a node's container or
/// data volume), or `None`.
pub fn restore_data_refusal(
    inventory: &Inventory,
    present: &[crate::facts::Present],
    replace: bool,
) -> Option<String> {
    let evidence: Vec<String> = present
        .iter()
        .filter(|p| p.container || p.volume)
        .map(|p| {
            let what = match (p.container, p.volume) {
                (true, true) => "container and data volume",
                (true, false) => "container",
                _ => "data volume",
            };
            format!("{}: {what}", p.node)
        })
        .collect();
    (!evidence.is_empty() && !replace).then(|| {
        format!(
            "refusing to restore: cluster {} has data ({}); --replace stops and removes its node containers and moves each node's data to a volume of its own (not deleted) first; nothing was changed",
            inventory.cluster.name,
            evidence.join(", ")
        )
    })
}

/// Why `backup` refuses an inventory (read from `path`) without `[cluster]
/// backup_password_file`, or `None`.
pub fn password_refusal(inventory: &Inventory, path: &Path) -> Option<String> {
    inventory.cluster.backup_password_file.is_none().then(|| {
        format!(
            "{}: backup needs [cluster] backup_password_file: a 0600 file with the password of the backup user galeractl creates on each node ({}, localhost only); nothing was changed",
            path.display(),
            crate::docker::BACKUP_USER
        )
    })
}

/// Where `backup --on-host DIR` keeps the backup `name` on the node's `host`: `DIR/name`, or
/// why not (DIR must be absolute, without a Docker volume mount's separators).
pub fn host_directory(dir: &str, name: Option<&str>, host: &str) -> Result<String, String> {
    let plain = !dir.contains([':', ',', '\n']);
    match (dir.starts_with('/'), plain, name) {
        (true, true, Some(name)) => Ok(format!("{}/{name}", dir.trim_end_matches('/'))),
        _ => Err(format!(
            "--on-host {dir}: an absolute directory on {host} is needed, without ':' or ',' (a Docker volume mount's separators); nothing was changed"
        )),
    }
}

/// Whether a backup of cluster `backup` may be restored as cluster `inventory`: `Ok(None)` when
/// they are the same, `Ok(Some(warning))` when they differ and `--from-other-cluster` says so
/// (`allowed`), else the refusal.
pub fn other_cluster(
    backup: &str,
    inventory: &str,
    allowed: bool,
) -> Result<Option<String>, String> {
    if backup == inventory {
        Ok(None)
    } else if allowed {
        Ok(Some(format!(
            "--from-other-cluster: the backup is of cluster {backup}, restored as cluster {inventory}"
        )))
    } else {
        Err(format!(
            "refusing to restore, nothing was changed: the backup is of cluster {backup} (its manifest), and the inventory's cluster is {inventory}: a backup of another cluster (an old inventory, the wrong directory) would replace this cluster's data. Check the backup's directory; to restore it as {inventory} on purpose, pass --from-other-cluster"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(state: &str) -> Option<NodeStatus> {
        let rows = [
            ("wsrep_local_state_comment", state),
            ("wsrep_cluster_status", "Primary"),
            ("wsrep_ready", "ON"),
            ("wsrep_cluster_size", "3"),
            (
                "wsrep_cluster_state_uuid",
                "86f148f9-e9b9-11f1-ba3d-7b6b9f1d7b07",
            ),
        ];
        Some(NodeStatus::from_rows(rows))
    }

    fn inventory() -> Inventory {
        let text = "[cluster]\nname = \"c\"\nimage = \"i\"\nroot_password_file = \"r\"\nmonitor_password_file = \"m\"\n[[nodes]]\nname = \"a\"\nhost = \"h1\"\n[[nodes]]\nname = \"b\"\nhost = \"h2\"\n[[nodes]]\nname = \"c\"\nhost = \"h3\"\n";
        crate::inventory::parse(std::path::Path::new("x.toml"), text)
            .inventory
            .unwrap_or_else(|| panic!("inventory"))
    }

    #[test]
    fn the_last_serving_node_unless_asked() {
        let inv = inventory();
        let all = vec![status("Synced"), status("Synced"), status("Synced")];
        assert_eq!(
            choose_node(&inv, &all, None).map(|n| n.name.as_str()),
            Ok("c")
        );
        let c_down = vec![status("Synced"), status("Synced"), None];
        assert_eq!(
            choose_node(&inv, &c_down, None).map(|n| n.name.as_str()),
            Ok("b")
        );
        assert_eq!(
            choose_node(&inv, &c_down, Some("a")).map(|n| n.name.as_str()),
            Ok("a")
        );
        let donor = vec![status("Synced"), status("Donor/Desynced"), None];
        assert!(
            choose_node(&inv, &donor, Some("b")).is_err_and(|e| e.starts_with("b is not Synced"))
        );
        assert!(choose_node(&inv, &donor, Some("x"))
            .is_err_and(|e| e == "no node \"x\" in the inventory (nodes: a, b, c)"));
        assert!(choose_node(&inv, &[None, None, None], None).is_err());
        assert_eq!(stamp("2026-11-26 16:51:13 UTC"), "20261126T165113Z");
    }

    #[test]
    fn restore_refuses_while_strays_exist() {
        assert_eq!(restore_refusal("lab", &[]), None);
        let stray = |name: &str, container: &str, running: bool, member: bool| Stray {
            name: name.to_string(),
            host: "10.0.0.4".to_string(),
            container: container.to_string(),
            state: if running {
                crate::facts::ContainerState::Running
            } else {
                crate::facts::ContainerState::Exited
            },
            member,
        };
        assert_eq!(
            restore_refusal(
                "lab",
                &[
                    stray("noded", "lab-noded", true, true),
                    stray("nodee", "lab-nodee", false, false),
                    stray("the member at 10.0.0.9:4306", "", true, true),
                ]
            )
            .as_deref(),
            Some("refusing to restore: cluster lab has nodes the inventory does not name: noded on 10.0.0.4 (a member of the cluster), nodee on 10.0.0.4 (stopped), the member at 10.0.0.9:4306 (a member of the cluster); they would keep the old data beside the restored cluster and dial its nodes. Take them out first (galeractl up --prune, or add them to the inventory); nothing was changed")
        );
    }

    #[test]
    fn data_refuses_a_restore_without_replace() {
        let inv = inventory();
        let present = |node: &str, container: bool, volume: bool| crate::facts::Present {
            node: node.into(),
            container,
            volume,
        };
        let empty = [present("a", false, false), present("b", false, false)];
        assert_eq!(restore_data_refusal(&inv, &empty, false), None);
        let data = [present("a", true, true), present("b", false, true)];
        assert_eq!(restore_data_refusal(&inv, &data, true), None);
        assert_eq!(
            restore_data_refusal(&inv, &data, false).as_deref(),
            Some(format!("refusing to restore: cluster {} has data (a: container and data volume, b: data volume); --replace stops and removes its node containers and moves each node's data to a volume of its own (not deleted) first; nothing was changed", inv.cluster.name).as_str())
        );
    }

    #[test]
    fn backup_needs_its_password_file() {
        let inv = inventory();
        assert_eq!(
            password_refusal(&inv, Path::new("x.toml")).as_deref(),
            Some("x.toml: backup needs [cluster] backup_password_file: a 0600 file with the password of the backup user galeractl creates on each node (galeractl_backup, localhost only); nothing was changed")
        );
    }

    #[test]
    fn an_on_host_directory_is_absolute_and_plain() {
        let name = Some("c-20261126T165113Z");
        assert_eq!(
            host_directory("/srv/backups/", name, "h1"),
            Ok("/srv/backups/c-20261126T165113Z".into())
        );
        let refused = |dir: &str| {
            format!("--on-host {dir}: an absolute directory on h1 is needed, without ':' or ',' (a Docker volume mount's separators); nothing was changed")
        };
        assert_eq!(
            host_directory("backups", name, "h1"),
            Err(refused("backups"))
        );
        assert_eq!(host_directory("/a:b", name, "h1"), Err(refused("/a:b")));
        assert_eq!(host_directory("/a,b", name, "h1"), Err(refused("/a,b")));
        assert_eq!(host_directory("/srv", None, "h1"), Err(refused("/srv")));
    }

    /// Review 2, L-6: another cluster's backup is refused unless --from-other-cluster.
    #[test]
    fn another_clusters_backup_is_refused_with_the_flag_named() {
        assert_eq!(other_cluster("c1", "c1", false), Ok(None));
        assert_eq!(
            other_cluster("old", "c1", true),
            Ok(Some(
                "--from-other-cluster: the backup is of cluster old, restored as cluster c1".into()
            ))
        );
        assert_eq!(
            other_cluster("old", "c1", false),
            Err("refusing to restore, nothing was changed: the backup is of cluster old (its manifest), and the inventory's cluster is c1: a backup of another cluster (an old inventory, the wrong directory) would replace this cluster's data. Check the backup's directory; to restore it as c1 on purpose, pass --from-other-cluster".into())
        );
    }
}
