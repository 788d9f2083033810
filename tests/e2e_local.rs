//! End to end on this machine's own Docker, no SSH: two clusters of three local nodes each
//! ("localone" on network galeractl-localtest-one, host ports 24301-24303 and 25501-25523;
//! "localtwo" on galeractl-localtest-two, 24311-24313 and 25601-25623). Both come up healthy;
//! `stop-node`/`start-node` of one node of localone brings it back by IST with the rows written
//! meanwhile, while localtwo's containers are untouched (same ids, same start times) and healthy.
//! Needs dockerd here and the lab's node image; with CI=true their absence fails the test.

mod support;
use std::path::Path;
use std::process::Command;

use support::*;

const IMAGE: &str = "galeractl-lab/galera:10.11";
const CLUSTERS: [(&str, &str, u16, u16); 2] = [
    ("localone", "galeractl-localtest-one", 24301, 25501),
    ("localtwo", "galeractl-localtest-two", 24311, 25601),
];

fn docker(args: &[&str]) -> (bool, String) {
    match Command::new("docker").args(args).output() {
        Ok(o) => (o.status.success(), text(&o.stdout)),
        Err(e) => (false, e.to_string()),
    }
}

/// dockerd answers and has the image; else skipped, or a failure under CI=true.
fn docker_ready() -> bool {
    let ready = docker(&["image", "inspect", IMAGE]).0;
    if !ready {
        assert!(
            std::env::var("CI").is_err(),
            "CI=true: no dockerd on this machine, or no image {IMAGE} (lab/lab up builds it)"
        );
        eprintln!("skipped: no dockerd here, or no image {IMAGE}");
    }
    ready
}

/// Removes only what these tests make: the clusters' containers and volumes (by label), their
/// networks (by name) and their directories.
fn wipe() {
    for (cluster, network, _, _) in CLUSTERS {
        let filter = format!("label=io.galeractl.cluster={cluster}");
        let (_, ids) = docker(&["ps", "-aq", "--filter", &filter]);
        for id in ids.split_whitespace() {
            docker(&["rm", "-f", id]);
        }
        let (_, volumes) = docker(&["volume", "ls", "-q", "--filter", &filter]);
        for v in volumes.split_whitespace() {
            docker(&["volume", "rm", v]);
        }
        docker(&["network", "rm", network]);
        let _ = std::fs::remove_dir_all(format!("/etc/galeractl/{cluster}"));
    }
}

fn inventory(dir: &Path, cluster: &str, network: &str, mysql: u16, galera: u16) -> String {
    let mut text = format!(
        "[cluster]\nname = \"{cluster}\"\nimage = \"{IMAGE}\"\nroot_password_file = \"secrets/root-password\"\nmonitor_password_file = \"secrets/monitor-password\"\nnetwork = \"{network}\"\n"
    );
    for (i, node) in (0u16..).zip(["nodea", "nodeb", "nodec"]) {
        text.push_str(&format!(
            "\n[[nodes]]\nname = \"{node}\"\nhost = \"local\"\n[nodes.ports]\nmysql = {}\ngalera = {}\nsst = {}\nist = {}\n",
            mysql + i,
            galera + i,
            galera + 10 + i,
            galera + 20 + i
        ));
    }
    let path = dir.join(format!("{cluster}.toml"));
    std::fs::write(&path, text).unwrap_or_else(|e| panic!("{e}"));
    path.display().to_string()
}

/// Each container of `cluster`: its id and when it started.
fn containers(cluster: &str) -> Vec<String> {
    let filter = format!("label=io.galeractl.cluster={cluster}");
    let (_, ids) = docker(&["ps", "-q", "--no-trunc", "--filter", &filter]);
    let mut found: Vec<String> = ids
        .split_whitespace()
        .map(|id| {
            let (_, started) = docker(&["inspect", "--format", "{{.State.StartedAt}}", id]);
            format!("{id} {}", started.trim())
        })
        .collect();
    found.sort();
    found
}

fn healthy(inv: &str) {
    let out = galeractl(&["status", inv, "--json"]);
    let doc: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.status.code(), Some(0), "{doc}");
    assert_eq!(doc["verdict"]["verdict"], "healthy", "{doc}");
    let nodes = doc["nodes"].as_array().cloned().unwrap_or_default();
    assert_eq!(nodes.len(), 3);
    for n in nodes {
        assert_eq!(n["host"], "local");
        assert_eq!(n["wsrep"]["local_state"], "Synced", "{n}");
        assert_eq!(n["wsrep"]["cluster_size"], 3, "{n}");
    }
}

/// One value from `galeractl sql NODE -N -e QUERY` (root through docker exec, here).
fn sql_value(inv: &str, node: &str, query: &str) -> String {
    galeractl_ok(&["sql", node, "-i", inv, "--", "-N", "-e", query])
        .trim()
        .to_string()
}

#[test]
fn two_local_clusters_on_one_machine() {
    if !docker_ready() {
        return;
    }
    let dir = scratch("e2e_local");
    for f in ["root-password", "monitor-password"] {
        secret(&dir.join("secrets").join(f), 0o600);
    }
    let invs: Vec<String> = CLUSTERS
        .iter()
        .map(|(c, n, m, g)| inventory(&dir, c, n, *m, *g))
        .collect();
    let (one, two) = (&invs[0], &invs[1]);
    galeractl_ok(&["validate", one, two]);
    wipe();
    galeractl_ok(&["up", one]);
    galeractl_ok(&["up", two]);
    healthy(one);
    healthy(two);
    // Each cluster on its own network, by name.
    for (cluster, network, _, _) in CLUSTERS {
        let (_, names) = docker(&[
            "network",
            "inspect",
            "--format",
            "{{range .Containers}}{{.Name}} {{end}}",
            network,
        ]);
        let mut names: Vec<&str> = names.split_whitespace().collect();
        names.sort_unstable();
        assert_eq!(
            names,
            ["nodea", "nodeb", "nodec"].map(|n| format!("{cluster}-{n}")),
            "{network}"
        );
    }
    let two_before = containers("localtwo");
    assert_eq!(two_before.len(), 3);

    // The seed's failover on localone: a node out, rows written, the node back by IST.
    galeractl_ok(&[
        "sql",
        "nodea",
        "-i",
        one,
        "--",
        "-e",
        "create database seed; create table seed.t (id int primary key); insert into seed.t values (1)",
    ]);
    galeractl_ok(&["stop-node", "nodeb", one]);
    galeractl_ok(&[
        "sql",
        "nodea",
        "-i",
        one,
        "--",
        "-e",
        "insert into seed.t values (2), (3)",
    ]);
    let started = galeractl_ok(&["start-node", "nodeb", one]);
    assert!(started.contains("caught up by IST"), "{started}");
    assert_eq!(
        sql_value(
            one,
            "nodeb",
            "select group_concat(id order by id) from seed.t"
        ),
        "1,2,3"
    );
    healthy(one);

    // localtwo saw none of it.
    assert_eq!(containers("localtwo"), two_before);
    healthy(two);
    assert_eq!(
        sql_value(
            two,
            "nodea",
            "select count(*) from information_schema.schemata where schema_name = 'seed'"
        ),
        "0"
    );
    wipe();
}
