//! End to end on the lab: a rolling restart under a writer through HAProxy. Every node is
//! drained from HAProxy, stopped cleanly, started, caught up by IST and put back, one at a
//! time, each only once every member is Synced; every acknowledged write is on every node
//! after, `CHECKSUM TABLE` equal; the longest gap between acknowledged writes is printed.
//! Cluster "rolling", ports 4416/5697/5574/5698, HAProxy on 3326 (stats 4419, checks 9220).

mod support;

use support::lab::{sql, Lab, HOSTS};
use support::writer::{assert_acked_on, longest_gap, Writer};
use support::*;

const PORT: u16 = 4416;
const PROXY: u16 = 3326;
const TABLE: &str = "rolling.t";

#[test]
fn rolling_restart_under_writes_through_the_proxy() {
    let Some(lab) = Lab::find() else { return };
    let root = lab.secret("root-password");
    lab.wipe_cluster("rolling");
    let dir = scratch("rolling");
    let inv = lab.inventory_copy(
        "lab.toml",
        &dir,
        &[
            ("name = \"local-test\"", "name = \"rolling\""),
            ("mysql = 4306", "mysql = 4416"),
            ("galera = 5567", "galera = 5697"),
            ("sst = 5444", "sst = 5574"),
            ("ist = 5568", "ist = 5698"),
            ("port = 3306", "port = 3326"),
            ("stats_port = 4399", "stats_port = 4419\ncheck_port = 9220"),
        ],
    );
    galeractl_ok(&["up", &inv]);
    sql(
        HOSTS[0],
        PORT,
        &root,
        &[
            "create database rolling",
            "create table rolling.t (id bigint unsigned primary key, via varchar(16) not null)",
        ],
    );
    let dry = galeractl_ok(&["restart", "-i", &inv, "--dry-run"]);
    assert!(
        dry.contains("# stage 1: before restarting nodeb: every member Synced, none a donor\n"),
        "{dry}"
    );
    assert!(dry.contains("nodea back in HAProxy\n"), "{dry}");

    // Writes through HAProxy on host1 (index 0 with the proxy's port) all along.
    let writer = Writer::start(PROXY, &root, TABLE, 1, &[0]);
    writer.wait_for(20);
    let out = galeractl(&["-v", "restart", "-i", &inv]);
    let log = text(&out.stderr);
    assert!(
        out.status.success(),
        "restart:\n{}\n{log}",
        text(&out.stdout)
    );
    assert!(
        text(&out.stdout)
            .starts_with("cluster rolling: nodea, nodeb, nodec restarted one at a time in "),
        "{}",
        text(&out.stdout)
    );
    writer.wait_for(20);
    let acks = writer.finish();
    // No node stopped while another was down: each restart follows a verified full cluster.
    let stages: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("stage ") || l.contains("ok: cluster size = 3"))
        .collect();
    for (i, line) in stages.iter().enumerate() {
        if line.contains(": restart node") {
            let before = stages[..i]
                .iter()
                .rev()
                .find(|l| l.contains("ok: cluster size = 3") || l.contains(": restart node"));
            assert!(
                before.is_some_and(|l| l.contains("ok: cluster size = 3")),
                "a restart without a verified full cluster before it:\n{}",
                stages.join("\n")
            );
        }
    }
    let longest = longest_gap(&acks);
    eprintln!(
        "rolling restart: {} writes acknowledged through HAProxy, longest gap {:.2}s",
        acks.len(),
        longest.as_secs_f64()
    );
    let ids: Vec<u64> = acks.iter().map(|a| a.id).collect();
    assert_acked_on(PORT, &root, TABLE, &ids, &[0, 1, 2]);
    lab.wipe_cluster("rolling");
}
