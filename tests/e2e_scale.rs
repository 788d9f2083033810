//! End to end on the lab's five hosts: a cluster grows from 3 to 5 nodes with `up` (the new
//! nodes join, every member's config file names them without a restart, HAProxy lists five
//! backends) and shrinks back with `up --prune` (the nodes not in the inventory are drained
//! from HAProxy, stopped cleanly and removed; their data volumes stay), with writes running
//! all along: every acknowledged row on every node, `CHECKSUM TABLE` equal. Cluster "scale",
//! ports 4396/5677/5554/5678, HAProxy on 3316 (stats 4409, checks 9210).

mod support;
use support::lab::{sql, wsrep, Lab, HOSTS, MORE_HOSTS};
use support::writer::{assert_acked_at, Writer};
use support::*;

const CLUSTER: &str = "scale";
const PORT: u16 = 4396;
const TABLE: &str = "scale.t";

/// The lab's cluster as "scale" with HAProxy, with `more` nodes inserted before `[haproxy]`.
fn inventory(lab: &Lab, dir: &std::path::Path, file: &str, more: &str) -> String {
    let text = lab.inventory_copy(
        "lab.toml",
        dir,
        &[
            ("name = \"local-test\"", "name = \"scale\""),
            ("mysql = 4306", "mysql = 4396"),
            ("galera = 5567", "galera = 5677"),
            ("sst = 5444", "sst = 5554"),
            ("ist = 5568", "ist = 5678"),
            ("port = 3306", "port = 3316"),
            ("stats_port = 4399", "stats_port = 4409\ncheck_port = 9210"),
            ("[haproxy]", &format!("{more}[haproxy]")),
        ],
    );
    let path = dir.join(file);
    std::fs::rename(&text, &path).unwrap_or_else(|e| panic!("rename {text}: {e}"));
    path.display().to_string()
}

fn size_everywhere(hosts: &[&str], root: &str) -> Vec<Option<String>> {
    hosts
        .iter()
        .map(|h| wsrep(h, PORT, root, "wsrep_cluster_size"))
        .collect()
}

#[test]
fn grow_to_five_and_prune_back_to_three_under_writes() {
    let Some(lab) = Lab::find() else { return };
    for h in MORE_HOSTS {
        assert!(
            lab.ssh(h, "true").status.success(),
            "host {h} does not answer: this test needs `lab/lab up 5`"
        );
    }
    let root = lab.secret("root-password");
    lab.wipe_cluster(CLUSTER);
    let dir = scratch("scale");
    let three = inventory(&lab, &dir, "three.toml", "");
    let five = inventory(
        &lab,
        &dir,
        "five.toml",
        "[[nodes]]\nname = \"noded\"\nhost = \"10.77.0.14\"\n\n[[nodes]]\nname = \"nodee\"\nhost = \"10.77.0.15\"\n\n",
    );
    galeractl_ok(&["up", &three]);
    sql(
        HOSTS[0],
        PORT,
        &root,
        &[
            "create database scale",
            "create table scale.t (id bigint unsigned primary key, via varchar(16) not null)",
        ],
    );
    let all: Vec<&str> = HOSTS.iter().chain(MORE_HOSTS.iter()).copied().collect();

    // 3 -> 5 under writes.
    let writer = Writer::start(PORT, &root, TABLE, 1, &[0, 1, 2]);
    writer.wait_for(20);
    let grown = galeractl_ok(&["up", &five]);
    assert!(grown.starts_with("cluster scale: healthy in "), "{grown}");
    writer.wait_for(20);
    let acked = writer.finish_ids();
    assert_eq!(size_everywhere(&all, &root), vec![Some("5".to_string()); 5]);
    assert_acked_at(PORT, &root, TABLE, &acked, &all);
    // Every member's file names the four others; no container was restarted for it.
    let config = lab.ssh_ok(HOSTS[0], "cat /etc/galeractl/scale/nodea.cnf");
    assert!(
        config.contains(
            "wsrep_cluster_address=gcomm://10.77.0.12:5677,10.77.0.13:5677,10.77.0.14:5677,10.77.0.15:5677"
        ),
        "{config}"
    );
    let status = galeractl_ok(&["status", &five, "--json"]);
    let doc: serde_json::Value =
        serde_json::from_str(&status).unwrap_or_else(|e| panic!("{e}: {status}"));
    let backends = doc["proxy"]["backends"].as_array().map_or(0, Vec::len);
    assert_eq!(backends, 5, "{doc}");

    // Back to 3: reported first, then pruned under writes.
    let dry = galeractl_ok(&["up", &three, "--dry-run"]);
    assert!(
        dry.contains("# note: noded on 10.77.0.14 is not in the inventory (a member of the cluster); `galeractl up --prune` takes it out"),
        "{dry}"
    );
    let writer = Writer::start(PORT, &root, TABLE, 1_000_000, &[0, 1, 2]);
    writer.wait_for(20);
    let pruned = galeractl_ok(&["up", &three, "--prune"]);
    assert!(pruned.starts_with("cluster scale: healthy in "), "{pruned}");
    writer.wait_for(20);
    let acked_after = writer.finish_ids();
    assert_eq!(
        size_everywhere(&HOSTS, &root),
        vec![Some("3".to_string()); 3]
    );
    let every: Vec<u64> = acked.iter().chain(&acked_after).copied().collect();
    assert_acked_at(PORT, &root, TABLE, &every, &HOSTS);
    for (host, node) in MORE_HOSTS.iter().zip(["noded", "nodee"]) {
        let left = lab.ssh_ok(
            host,
            "docker ps -aq --filter label=io.galeractl.cluster=scale; docker volume ls -q --filter label=io.galeractl.cluster=scale; ls -d /etc/galeractl/scale 2>/dev/null; true",
        );
        assert_eq!(left.trim(), format!("scale-{node}-data"), "{host}: {left}");
    }
    let status = galeractl_ok(&["status", &three, "--json"]);
    let doc: serde_json::Value =
        serde_json::from_str(&status).unwrap_or_else(|e| panic!("{e}: {status}"));
    assert_eq!(doc["verdict"]["verdict"], "healthy", "{doc}");
    assert_eq!(
        doc["proxy"]["backends"].as_array().map_or(0, Vec::len),
        3,
        "{doc}"
    );
    lab.wipe_cluster(CLUSTER);
}
