//! End to end on the lab: crash-safe starts, on its own cluster ("crashsafe", ports
//! 4346/5627/5504/5628). One scenario, in order:
//! 1. a node killed (`docker kill`) and brought back by `galeractl start-node` catches up by IST;
//! 2. a node killed and restarted by hand (`docker restart`, no galeractl) catches up by IST;
//! 3. one host's power cut (the lab host container killed, then started): its node comes back by
//!    itself (restart policy) by IST, with no operator action;
//! 4. power cuts of every host under writers that record each acknowledged id, several rounds:
//!    the cluster comes back by itself with the same cluster UUID, every acknowledged id is on
//!    every node, and `CHECKSUM TABLE` is equal on every node; `status` says healthy.
//!
//! CRASH_POWER_ROUNDS=N changes the number of power-cut rounds (default 3).
// lab-lane: alone (it cuts the power of lab hosts: every cluster on them goes down; lab/run-tests)

mod support;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use support::lab::{sql, wait_until, wsrep, Lab, HOSTS};
use support::writer::{assert_acked_on, Writer, NODES};
use support::*;

const CLUSTER: &str = "crashsafe";
const PORT: u16 = 4346;
/// lab.toml as the "crashsafe" cluster.
fn inventory(lab: &Lab, dir: &Path) -> PathBuf {
    let path = dir.join("crashsafe.toml");
    let inv = lab.cluster_inventory(CLUSTER, [PORT, 5627, 5504, 5628]);
    std::fs::write(&path, inv).unwrap_or_else(|e| panic!("{e}"));
    path
}

fn container(i: usize) -> String {
    format!("{CLUSTER}-{}", NODES[i])
}

fn start_writer(root: &str, first_id: u64, through: &'static [usize]) -> Writer {
    Writer::start(PORT, root, "crash.acked", first_id, through)
}

/// Every acknowledged id is on every node, and the table's checksum is the same everywhere.
fn assert_same_rows_everywhere(root: &str, acked: &[u64]) {
    assert_acked_on(PORT, root, "crash.acked", acked, &[0, 1, 2]);
}

fn synced(root: &str, i: usize) -> bool {
    wsrep(HOSTS[i], PORT, root, "wsrep_local_state_comment").as_deref() == Some("Synced")
        && wsrep(HOSTS[i], PORT, root, "wsrep_cluster_size").as_deref() == Some("3")
}

fn cluster_uuid(root: &str, i: usize) -> String {
    wsrep(HOSTS[i], PORT, root, "wsrep_cluster_state_uuid").unwrap_or_default()
}

/// The node's log since the last start of its container (the start script's first line).
fn log_since_start(lab: &Lab, i: usize) -> String {
    let log = lab.ssh_ok(HOSTS[i], &format!("docker logs {} 2>&1", container(i)));
    let marks = ["[galeractl node-start]", "Starting MariaDB"];
    let last_start = log
        .lines()
        .rev()
        .find(|l| l.contains(marks[0]) && l.contains("recovering"))
        .and_then(|l| log.rfind(l));
    match last_start.or_else(|| log.rfind(marks[1])) {
        Some(k) => log[k..].to_string(),
        None => log,
    }
}

/// The node caught up by IST since its last start, after recovering its position.
fn assert_rejoined_by_ist(lab: &Lab, i: usize, how: &str) {
    let log = log_since_start(lab, i);
    assert!(
        log.contains("recovered position"),
        "{how}: {} started without recovering its position:\n{}",
        NODES[i],
        tail(&log)
    );
    assert!(
        !log.contains("rsync SST completed on joiner") && !log.contains("Proceeding with SST"),
        "{how}: {} caught up by a full SST:\n{}",
        NODES[i],
        tail(&log)
    );
    assert!(
        log.contains("Receiving IST") || log.contains("IST received"),
        "{how}: {} shows no IST in its log:\n{}",
        NODES[i],
        tail(&log)
    );
}

fn tail(log: &str) -> String {
    let lines: Vec<&str> = log.lines().collect();
    lines[lines.len().saturating_sub(40)..].join("\n")
}

#[test]
fn crash_safe_starts_on_the_lab() {
    let Some(lab) = Lab::find() else { return };
    let root = lab.secret("root-password");
    let dir = scratch("e2e_crash");
    let inv = inventory(&lab, &dir);
    let inv_s = inv.display().to_string();
    lab.wipe_cluster(CLUSTER);
    galeractl_ok(&["up", &inv_s]);
    sql(
        HOSTS[0],
        PORT,
        &root,
        &[
            "create database crash",
            "create table crash.acked (id bigint unsigned primary key, via varchar(8) not null)",
        ],
    );
    let uuid = cluster_uuid(&root, 0);
    let record = lab.ssh_ok(
        HOSTS[2],
        &format!("cat /etc/galeractl/{CLUSTER}/history-uuid"),
    );
    assert_eq!(record.trim(), uuid, "up records the cluster's history");

    // 1. Killed, then start-node: IST, with the number of write-sets.
    lab.ssh_ok(HOSTS[2], &format!("docker kill {}", container(2)));
    let writer = start_writer(&root, 1_000_000, &[0, 1]);
    writer.wait_for(30);
    let acked = writer.finish_ids();
    let out = galeractl_ok(&["start-node", "-i", &inv_s, "nodec"]);
    assert!(
        out.contains("caught up by IST (") && out.contains("write-sets)"),
        "start-node after a crash: {out}"
    );
    assert_rejoined_by_ist(&lab, 2, "start-node after docker kill");
    assert_same_rows_everywhere(&root, &acked);

    // 2. Killed, then restarted by hand: the container's own start recovers the position.
    lab.ssh_ok(HOSTS[1], &format!("docker kill {}", container(1)));
    let writer = start_writer(&root, 2_000_000, &[0, 2]);
    writer.wait_for(30);
    let acked2 = writer.finish_ids();
    lab.ssh_ok(HOSTS[1], &format!("docker restart {}", container(1)));
    wait_until(
        "nodeb Synced after docker restart",
        Duration::from_secs(120),
        || synced(&root, 1),
    );
    assert_rejoined_by_ist(&lab, 1, "docker restart after docker kill");
    assert_same_rows_everywhere(&root, &[acked.clone(), acked2.clone()].concat());

    // 3. One host's power cut: its node comes back by itself, by IST.
    let writer = start_writer(&root, 3_000_000, &[0, 1]);
    writer.wait_for(10);
    lab.power_cut(&[2]);
    writer.wait_for(30);
    wait_until(
        "nodec back and Synced by itself after its host's power cut",
        Duration::from_secs(120),
        || synced(&root, 2),
    );
    let acked3 = writer.finish_ids();
    assert_rejoined_by_ist(&lab, 2, "one host's power cut");
    let mut all = [acked, acked2, acked3].concat();
    assert_same_rows_everywhere(&root, &all);

    // 4. Power cuts of every host under writers through every node.
    let rounds: u64 = std::env::var("CRASH_POWER_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    for round in 1..=rounds {
        let writer = start_writer(&root, (10 + round) * 1_000_000, &[0, 1, 2]);
        writer.wait_for(40);
        let cut = Instant::now();
        lab.power_cut(&[0, 1, 2]);
        wait_until(
            &format!("round {round}: every node Synced in a cluster of 3 by itself"),
            Duration::from_secs(180),
            || (0..3).all(|i| synced(&root, i)),
        );
        let back = cut.elapsed();
        writer.wait_for(20);
        let acked = writer.finish_ids();
        for (i, name) in NODES.iter().enumerate() {
            assert_eq!(
                cluster_uuid(&root, i),
                uuid,
                "round {round}: {name} is not in the cluster's history any more"
            );
        }
        all.extend(acked.iter().copied());
        assert_same_rows_everywhere(&root, &all);
        let status = galeractl(&["status", "-i", &inv_s]);
        assert_eq!(
            status.status.code(),
            Some(0),
            "round {round}: status after the power cut:\n{}",
            text(&status.stdout)
        );
        eprintln!(
            "round {round}: {} acknowledged, back and Synced {:.1}s after the power cut",
            acked.len(),
            back.as_secs_f64()
        );
    }
    lab.wipe_cluster(CLUSTER);
}
