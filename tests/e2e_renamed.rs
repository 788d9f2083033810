//! End to end on the lab (second safety review, M-2): the nodes renamed in the inventory while
//! the cluster is stopped. `up` must not bootstrap a new, empty cluster beside the old
//! containers: it refuses (exit 3), naming them and the history record, and changes nothing;
//! with the old names back, `recover` brings the cluster back with its rows. Cluster
//! "renamed", ports 4526/5807/5684/5808.

mod support;

use std::path::Path;

use support::lab::{sql, Lab, HOSTS};
use support::writer::NODES;
use support::*;

const CLUSTER: &str = "renamed";
const PORT: u16 = 4526;

fn inventory(lab: &Lab, dir: &Path, file: &str, rename: bool) -> String {
    let mut text = lab.cluster_inventory(CLUSTER, [PORT, 5807, 5684, 5808]);
    if rename {
        for n in NODES {
            let from = format!("name = \"{n}\"");
            assert!(text.contains(&from), "{from} not in the lab's inventory");
            text = text.replace(&from, &format!("name = \"new{n}\""));
        }
    }
    let path = dir.join(file);
    std::fs::write(&path, text).unwrap_or_else(|e| panic!("{e}"));
    path.display().to_string()
}

fn run(args: &[&str]) -> (i32, String, String) {
    let out = galeractl(args);
    (
        out.status.code().unwrap_or(-1),
        text(&out.stdout),
        text(&out.stderr),
    )
}

#[test]
fn renamed_nodes_do_not_get_a_new_cluster_beside_the_old_one() {
    let Some(lab) = Lab::find() else { return };
    let root = lab.secret("root-password");
    let dir = scratch("e2e_renamed");
    let old = inventory(&lab, &dir, "old.toml", false);
    let new = inventory(&lab, &dir, "new.toml", true);
    lab.wipe_cluster(CLUSTER);
    galeractl_ok(&["up", &old]);
    sql(
        HOSTS[0],
        PORT,
        &root,
        &[
            "create database renamed",
            "create table renamed.t (id int primary key)",
            "insert into renamed.t values (1), (2), (3)",
        ],
    );
    let record = lab.ssh_ok(
        HOSTS[0],
        &format!("cat /etc/galeractl/{CLUSTER}/history-uuid"),
    );
    let record = record.trim().to_string();
    // Every node stopped cleanly; from the second on, past the quorum check (1 of 3 left).
    for (i, n) in NODES.iter().enumerate() {
        let mut args = vec!["stop-node", n, "-i", &old];
        if i > 0 {
            args.push("--force");
        }
        galeractl_ok(&args);
    }
    let ids = lab.container_ids(CLUSTER);

    // The renamed inventory: refused, the old containers and the record named.
    for extra in [&[][..], &["--dry-run"][..]] {
        let mut args = vec!["up", new.as_str()];
        args.extend_from_slice(extra);
        let (code, stdout, stderr) = run(&args);
        assert_eq!(code, 3, "up {extra:?}:\n{stdout}\n{stderr}");
        for (i, n) in NODES.iter().enumerate() {
            let named = format!(
                "container {CLUSTER}-{n} of node {n} on {} (stopped)",
                HOSTS[i]
            );
            assert!(
                stderr.contains(&named),
                "up {extra:?} does not name {named}:\n{stderr}"
            );
        }
        assert!(
            stderr.contains(&format!(
                "history record {record} in /etc/galeractl/{CLUSTER}/history-uuid on "
            )) && stderr.contains("put those names back in the inventory")
                && stderr.contains("--new-history"),
            "up {extra:?}:\n{stderr}"
        );
    }
    assert_eq!(
        lab.container_ids(CLUSTER),
        ids,
        "a refused up touched the hosts"
    );
    for host in HOSTS {
        let kept = lab.ssh_ok(host, &format!("cat /etc/galeractl/{CLUSTER}/history-uuid"));
        assert_eq!(kept.trim(), record, "{host}: the record was rewritten");
    }

    // The old names back: the old cluster, with its rows.
    galeractl_ok(&["recover", &old]);
    let rows = sql(HOSTS[2], PORT, &root, &["select count(*) from renamed.t"]);
    assert_eq!(rows, vec![vec!["3".to_string()]]);
    lab.wipe_cluster(CLUSTER);
}
