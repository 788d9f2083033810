//! End to end on the lab: two nodes and an arbitrator (garbd on a third host). `up` deploys
//! garbd and verifies a cluster of three members; `status` shows it as a member without data;
//! `stop-node`'s quorum counts it; with one node's container killed, the other stays Primary
//! and takes writes. Without the arbitrator, the same kill leaves the survivor non-Primary.

mod support;
use std::time::Duration;

use support::lab::{sql, try_sql, wait_until, wsrep, Lab, HOSTS};
use support::*;

const CLUSTER: &str = "arbtest";
const PORTS: [u16; 4] = [4366, 5647, 5524, 5648];

/// The lab's cluster as two nodes (hosts 1 and 2), with `arbitrator` appended.
fn inventory(lab: &Lab, dir: &std::path::Path, name: &str, arbitrator: &str) -> String {
    let full = lab.cluster_inventory(CLUSTER, PORTS);
    let two = full
        .split("[[nodes]]")
        .take(3)
        .collect::<Vec<_>>()
        .join("[[nodes]]");
    let path = dir.join(name);
    std::fs::write(&path, format!("{two}\n{arbitrator}"))
        .unwrap_or_else(|e| panic!("write {path:?}: {e}"));
    path.display().to_string()
}

fn kill_nodeb(lab: &Lab) {
    lab.ssh_ok(HOSTS[1], &format!("docker kill {CLUSTER}-nodeb"));
}

fn status_of(host: &str, root: &str) -> (Option<String>, Option<String>) {
    (
        wsrep(host, PORTS[0], root, "wsrep_cluster_status"),
        wsrep(host, PORTS[0], root, "wsrep_cluster_size"),
    )
}

#[test]
fn two_nodes_and_an_arbitrator_keep_a_primary_component() {
    let Some(lab) = Lab::find() else { return };
    let root = lab.secret("root-password");
    lab.wipe_cluster(CLUSTER);
    let dir = scratch("arbitrator");
    let with = inventory(
        &lab,
        &dir,
        "with.toml",
        "[arbitrator]\nhost = \"10.77.0.13\"\nimage = \"galeractl-lab/garbd:bookworm\"\n",
    );

    // The plan shows garbd's container, and `up` verifies a cluster of three members.
    let plan = galeractl_ok(&["plan", &with]);
    assert!(
        plan.lines()
            .any(|l| l.starts_with("# stage ") && l.ends_with(": deploy the arbitrator")),
        "{plan}"
    );
    assert!(
        plan.contains("--entrypoint garbd galeractl-lab/garbd:bookworm --address gcomm://10.77.0.11:5647,10.77.0.12:5647 --group arbtest"),
        "{plan}"
    );
    assert!(
        plan.contains("then wait: cluster size = 3 on every node"),
        "{plan}"
    );
    let up = galeractl(&["up", &with]);
    assert!(up.status.success(), "up: {}", text(&up.stderr));
    let again = galeractl_ok(&["up", &with]);
    assert!(again.contains("up to date, nothing changed"), "{again}");
    let status = galeractl_ok(&["status", &with, "--json"]);
    let doc: serde_json::Value =
        serde_json::from_str(&status).unwrap_or_else(|e| panic!("{e}: {status}"));
    assert_eq!(doc["verdict"]["verdict"], "healthy", "{doc}");
    assert_eq!(doc["arbitrator"]["container"], "running", "{doc}");
    assert_eq!(doc["arbitrator"]["member"], true, "{doc}");
    assert_eq!(doc["nodes"][0]["wsrep"]["cluster_size"], 3, "{doc}");

    // stop-node counts the arbitrator: nodea and garbd are 2 of 3.
    let dry = galeractl(&["stop-node", "nodeb", "-i", &with, "--dry-run"]);
    assert!(dry.status.success(), "{}", text(&dry.stderr));

    // A crash of nodeb: nodea and garbd keep the Primary component, and nodea takes writes.
    sql(
        HOSTS[0],
        PORTS[0],
        &root,
        &[
            "create database arb",
            "create table arb.t (id int primary key)",
        ],
    );
    kill_nodeb(&lab);
    wait_until(
        "nodea: Primary, cluster size 2",
        Duration::from_secs(30),
        || status_of(HOSTS[0], &root) == (Some("Primary".into()), Some("2".into())),
    );
    sql(HOSTS[0], PORTS[0], &root, &["insert into arb.t values (1)"]);
    let text_status = galeractl(&["status", &with]);
    let shown = text(&text_status.stdout);
    assert!(
        shown.contains("\narbitrator  10.77.0.13:5647  running    -        member "),
        "{shown}"
    );
    // nodeb comes back by IST and has the row.
    let start = galeractl(&["start-node", "nodeb", "-i", &with]);
    assert!(
        start.status.success(),
        "start-node: {}",
        text(&start.stderr)
    );
    assert_eq!(
        sql(HOSTS[1], PORTS[0], &root, &["select id from arb.t"]),
        vec![vec!["1".to_string()]]
    );

    // Without the arbitrator, the same crash leaves nodea alone and non-Primary.
    lab.ssh_ok(HOSTS[2], &format!("docker rm --force {CLUSTER}-garbd"));
    let without = inventory(&lab, &dir, "without.toml", "");
    wait_until("nodea: cluster size 2", Duration::from_secs(30), || {
        status_of(HOSTS[0], &root).1.as_deref() == Some("2")
    });
    kill_nodeb(&lab);
    wait_until("nodea: non-Primary", Duration::from_secs(30), || {
        status_of(HOSTS[0], &root).0.as_deref() == Some("non-Primary")
    });
    let refused = try_sql(HOSTS[0], PORTS[0], &root, &["insert into arb.t values (2)"]);
    assert!(
        refused.is_err(),
        "a write on a non-Primary node: {refused:?}"
    );
    let out = galeractl(&["status", &without]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stdout));
    lab.wipe_cluster(CLUSTER);
}
