//! What `backup` and `restore` say: their result line and `--json` document, the question of
//! `restore --replace`, and how to let clients in again after a failed restore. Pure: the
//! commands (`cmd/backup.rs`, `cmd/restore.rs`) print what this gives.

use std::path::Path;

use serde_json::{json, Value};

use super::{Format, Manifest};
use crate::galera::NodeStatus;
use crate::inventory::{Inventory, Node};

/// A result: the line an operator reads, and the `--json` document.
pub type Said = (String, Value);

/// `backup` to this machine, done: the backup in `dir`, `seconds` in all, the stream's own
/// time when the runner measured it.
pub fn backed_up(
    cluster: &str,
    node: &Node,
    dir: &Path,
    manifest: &Manifest,
    seconds: f64,
    stream_seconds: Option<f64>,
) -> Said {
    let line = format!(
        "{cluster}: backup of {} ({}) at {}:{} in {}: {:.1} MB in {seconds:.1}s ({:.1} MB/s); {} back in sync",
        node.name,
        node.host,
        manifest.cluster_uuid,
        manifest.seqno,
        dir.display(),
        manifest.size as f64 / 1e6,
        manifest.size as f64 / 1e6 / seconds.max(0.001),
        node.name,
    );
    let doc = json!({
        "directory": dir,
        "seconds": seconds,
        "stream_seconds": stream_seconds,
        "manifest": manifest,
    });
    (line, doc)
}

/// `backup --on-host`, done: the backup kept in `there` on the node's host, its manifest also
/// in `local` (in `dir`) here.
pub fn kept_on_host(
    cluster: &str,
    node: &Node,
    there: &str,
    dir: &Path,
    local: &Path,
    manifest: &Manifest,
    seconds: f64,
) -> Said {
    let line = format!(
        "{cluster}: backup of {} kept on {} in {there}, prepared there as a check, at {}:{}: {:.1} MB in {seconds:.1}s; its manifest also in {}; {} back in sync",
        node.name,
        node.host,
        manifest.cluster_uuid,
        manifest.seqno,
        manifest.size as f64 / 1e6,
        local.display(),
        node.name,
    );
    let doc = json!({
        "host": node.host,
        "host_directory": there,
        "directory": dir,
        "seconds": seconds,
        "manifest": manifest,
    });
    (line, doc)
}

/// `restore`, done: each node's state as probed after the plan (`statuses` in inventory order).
pub fn restored(
    inventory: &Inventory,
    manifest: &Manifest,
    statuses: &[Option<NodeStatus>],
    seconds: f64,
) -> Said {
    let states: Vec<(&str, String)> = inventory
        .nodes
        .iter()
        .zip(statuses)
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
        Format::MariabackupXbstream => "restored from the backup",
        Format::MariadbDumpSql => "loaded the logical backup (a new history)",
    };
    let line = format!(
        "{}: {what} of {} at {}:{} in {seconds:.1}s; {}",
        inventory.cluster.name,
        manifest.node,
        manifest.cluster_uuid,
        manifest.seqno,
        at.join(", ")
    );
    let doc = json!({
        "cluster": inventory.cluster.name,
        "backup": {
            "cluster": manifest.cluster,
            "node": manifest.node,
            "cluster_uuid": manifest.cluster_uuid,
            "seqno": manifest.seqno,
            "logical": manifest.format == Format::MariadbDumpSql,
        },
        "seconds": seconds,
        "nodes": states
            .iter()
            .map(|(n, s)| json!({ "name": n, "state": s }))
            .collect::<Vec<_>>(),
    });
    (line, doc)
}

/// What `restore --replace` destroys, for its question: every node's container, and its data
/// taken out of service (moved aside, not deleted).
pub fn replace_summary(inventory: &Inventory, manifest: &Manifest) -> String {
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

/// After a failed restore with `[haproxy]`: the nodes stay drained (their data may be half
/// restored), and how to let clients in again once the cluster is what it should be.
pub fn still_drained(inventory: &Inventory) -> Option<String> {
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
    use super::*;

    fn example() -> Inventory {
        crate::inventory::example_for_test()
    }

    fn parse(source: &str) -> Inventory {
        crate::inventory::parsed_for_test(source)
    }

    fn manifest() -> Manifest {
        Manifest {
            format: Format::MariabackupXbstream,
            file: "backup.xbstream".into(),
            cluster: "local-test".into(),
            cluster_uuid: "6f1c0c1e-0000-11ef-8000-000000000001".into(),
            seqno: 42,
            server_version: "11.4.5-MariaDB".into(),
            node: "nodec".into(),
            host: "10.10.10.12".into(),
            size: 25_000_000,
            sha256: String::new(),
            started: "2026-01-02 03:04:05 UTC".into(),
            ended: "2026-01-02 03:04:06 UTC".into(),
        }
    }

    /// Issue 29: the question of `restore --replace` names every container and volume.
    #[test]
    fn the_replace_question_names_what_is_taken_away() {
        assert_eq!(
            replace_summary(&example(), &manifest()),
            "restore --replace rebuilds cluster local-test from the backup of local-test taken on nodec (2026-01-02 03:04:05 UTC) at 6f1c0c1e-0000-11ef-8000-000000000001:42.
Each node's container is stopped and removed, and its data volume is moved aside to VOLUME-aside-STAMP (kept, not deleted):
  nodea on 10.10.10.10: container local-test-nodea, volume local-test-nodea-data
  nodeb on 10.10.10.11: container local-test-nodeb, volume local-test-nodeb-data
  nodec on 10.10.10.12: container local-test-nodec, volume local-test-nodec-data
What the cluster holds now and the backup does not will no longer be served."
        );
    }

    #[test]
    fn results_as_a_line_and_a_document() {
        let inventory = example();
        let node = &inventory.nodes[2];
        let m = manifest();
        let (line, doc) = backed_up(
            "local-test",
            node,
            Path::new("b/local-test-1"),
            &m,
            2.0,
            Some(1.5),
        );
        assert_eq!(
            line,
            "local-test: backup of nodec (10.10.10.12) at 6f1c0c1e-0000-11ef-8000-000000000001:42 in b/local-test-1: 25.0 MB in 2.0s (12.5 MB/s); nodec back in sync"
        );
        assert_eq!(
            doc.to_string(),
            r#"{"directory":"b/local-test-1","manifest":{"cluster":"local-test","cluster_uuid":"6f1c0c1e-0000-11ef-8000-000000000001","ended":"2026-01-02 03:04:06 UTC","file":"backup.xbstream","format":"mariabackup-xbstream","host":"10.10.10.12","node":"nodec","seqno":42,"server_version":"11.4.5-MariaDB","sha256":"","size":25000000,"started":"2026-01-02 03:04:05 UTC"},"seconds":2.0,"stream_seconds":1.5}"#
        );
        let (line, doc) = kept_on_host(
            "local-test",
            node,
            "/srv/b/local-test-1",
            Path::new("b/local-test-1"),
            Path::new("b/local-test-1/manifest.toml"),
            &m,
            3.0,
        );
        assert_eq!(
            line,
            "local-test: backup of nodec kept on 10.10.10.12 in /srv/b/local-test-1, prepared there as a check, at 6f1c0c1e-0000-11ef-8000-000000000001:42: 25.0 MB in 3.0s; its manifest also in b/local-test-1/manifest.toml; nodec back in sync"
        );
        assert_eq!(
            doc.to_string(),
            r#"{"directory":"b/local-test-1","host":"10.10.10.12","host_directory":"/srv/b/local-test-1","manifest":{"cluster":"local-test","cluster_uuid":"6f1c0c1e-0000-11ef-8000-000000000001","ended":"2026-01-02 03:04:06 UTC","file":"backup.xbstream","format":"mariabackup-xbstream","host":"10.10.10.12","node":"nodec","seqno":42,"server_version":"11.4.5-MariaDB","sha256":"","size":25000000,"started":"2026-01-02 03:04:05 UTC"},"seconds":3.0}"#
        );
        let synced = NodeStatus::from_rows([
            ("wsrep_local_state_comment", "Synced"),
            ("wsrep_cluster_status", "Primary"),
        ]);
        let statuses = [Some(synced.clone()), None, Some(synced)];
        let (line, doc) = restored(&inventory, &m, &statuses, 61.25);
        assert_eq!(
            line,
            "local-test: restored from the backup of nodec at 6f1c0c1e-0000-11ef-8000-000000000001:42 in 61.2s; nodea Primary Synced, nodeb no answer, nodec Primary Synced"
        );
        assert_eq!(
            doc.to_string(),
            r#"{"backup":{"cluster":"local-test","cluster_uuid":"6f1c0c1e-0000-11ef-8000-000000000001","logical":false,"node":"nodec","seqno":42},"cluster":"local-test","nodes":[{"name":"nodea","state":"Primary Synced"},{"name":"nodeb","state":"no answer"},{"name":"nodec","state":"Primary Synced"}],"seconds":61.25}"#
        );
        let logical = Manifest {
            format: Format::MariadbDumpSql,
            ..manifest()
        };
        let (line, _) = restored(&inventory, &logical, &statuses, 1.0);
        assert_eq!(
            line,
            "local-test: loaded the logical backup (a new history) of nodec at 6f1c0c1e-0000-11ef-8000-000000000001:42 in 1.0s; nodea Primary Synced, nodeb no answer, nodec Primary Synced"
        );
    }

    #[test]
    fn a_failed_restore_says_how_to_let_clients_in_again() {
        assert_eq!(still_drained(&example()), None);
        let source = include_str!("../../inventory.example.toml");
        let (head, proxy) = source.split_once("# [haproxy]").unwrap_or_default();
        let proxy = proxy
            .split("\n\n")
            .next()
            .unwrap_or_default()
            .replace("\n# ", "\n");
        let with_proxy = parse(&format!("{head}[haproxy]{proxy}\n"));
        assert_eq!(still_drained(&with_proxy).as_deref(), Some("the nodes stay drained from HAProxy (no client reaches data that may be half restored): run the restore again, or once the cluster holds what it should, let clients in with: [10.10.10.10] rm -f /etc/galeractl/local-test/drain/nodea/drained; [10.10.10.11] rm -f /etc/galeractl/local-test/drain/nodeb/drained; [10.10.10.12] rm -f /etc/galeractl/local-test/drain/nodec/drained"));
    }
}
