//! End to end on the lab: state transfer by mariabackup, on a cluster of its own ("backupsst",
//! ports 4376/5657/5534/5658). In order: `up` builds the cluster with every joiner copied by
//! mariabackup SST; the SST user has only the privileges mariabackup needs, on localhost, and
//! its password is in no `docker inspect`; then a node loses its data and `start-node` brings
//! it back by a full copy while a writer keeps writing to the donor: the donor acknowledges
//! writes during the transfer, and every acknowledged row is on the new node afterwards.
//!
//! SST_COMPARE=1 (bench/sst-donor.sh) runs the transfer scenario for rsync as well and prints
//! both side by side.

mod support;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use support::lab::{sql, Lab, HOSTS};
use support::writer::{longest_gap_between, Writer, NODES};
use support::*;

const CLUSTER: &str = "backupsst";
const PORT: u16 = 4376;

fn inventory(lab: &Lab, dir: &Path, method: &str) -> PathBuf {
    let inv = lab
        .cluster_inventory(CLUSTER, [PORT, 5657, 5534, 5658])
        .replace(
            "distribute_image = true\n",
            &format!("distribute_image = true\nsst_method = \"{method}\"\n"),
        );
    assert!(
        inv.contains("sst_password_file"),
        "lab.toml has no sst_password_file"
    );
    let path = dir.join(format!("{method}.toml"));
    std::fs::write(&path, inv).unwrap_or_else(|e| panic!("{e}"));
    path
}

/// The donor the joiner's log names ("Selected N.N (nodeb)(SYNCED) as donor").
fn donor(lab: &Lab) -> usize {
    let log = lab.ssh_ok(HOSTS[2], &format!("docker logs {CLUSTER}-nodec 2>&1"));
    let name = log
        .lines()
        .rev()
        .find_map(|l| {
            let rest = l.split("Selected ").nth(1)?;
            let name = rest.split('(').nth(1)?.split(')').next()?;
            rest.contains("as donor").then(|| name.to_string())
        })
        .unwrap_or_else(|| panic!("no donor in nodec's log"));
    NODES
        .iter()
        .position(|n| *n == name)
        .unwrap_or_else(|| panic!("unknown donor {name}"))
}

/// One forced full copy of nodec (its container and volume removed) while a writer writes to
/// nodea and nodeb in turn: (seconds of the transfer, writes the donor acknowledged meanwhile,
/// the longest pause between two acknowledged writes meanwhile, in seconds: a donor that
/// blocks writes stalls the writer).
fn forced_copy(lab: &Lab, inv: &str, root: &str, first_id: u64) -> (f64, usize, f64) {
    galeractl_ok(&["stop-node", "nodec", "-i", inv]);
    lab.ssh_ok(
        HOSTS[2],
        &format!("docker rm {CLUSTER}-nodec >/dev/null && docker volume rm {CLUSTER}-nodec-data >/dev/null"),
    );
    let writer = Writer::start(PORT, root, "sstt.acked", first_id, &[0, 1]);
    writer.wait_for(20);
    let started = Instant::now();
    let out = galeractl_ok(&["start-node", "nodec", "-i", inv]);
    let ended = Instant::now();
    std::thread::sleep(Duration::from_millis(500));
    let acked = writer.finish();
    assert!(out.contains("caught up by SST"), "start-node: {out}");
    let donor = donor(lab);
    let during = |node: usize| {
        acked
            .iter()
            .filter(|a| a.node == node && a.at > started && a.at < ended)
            .count()
    };
    let rows = sql(HOSTS[2], PORT, root, &["select id from sstt.acked"]);
    let present: BTreeSet<u64> = rows.iter().filter_map(|r| r[0].parse().ok()).collect();
    let missing: Vec<u64> = acked
        .iter()
        .map(|a| a.id)
        .filter(|id| !present.contains(id))
        .collect();
    assert!(
        missing.is_empty(),
        "nodec lacks {} acknowledged rows, e.g. {:?}",
        missing.len(),
        &missing[..missing.len().min(10)]
    );
    let longest = longest_gap_between(&acked, started, ended).0.as_secs_f64();
    ((ended - started).as_secs_f64(), during(donor), longest)
}

/// A cluster of `method` with some data (so that a copy takes a moment).
fn cluster(lab: &Lab, dir: &Path, root: &str, method: &str) -> String {
    let inv = inventory(lab, dir, method).display().to_string();
    lab.wipe_cluster(CLUSTER);
    galeractl_ok(&["up", &inv]);
    let mut statements = vec![
        "create database sstt",
        "create table sstt.acked (id bigint unsigned primary key, via varchar(8) not null)",
        "create table sstt.pad (id int auto_increment primary key, v varchar(1000) not null)",
        "insert into sstt.pad (v) values (repeat('x', 1000))",
    ];
    statements.extend(["insert into sstt.pad (v) select v from sstt.pad"; 14]);
    sql(HOSTS[0], PORT, root, &statements);
    inv
}

#[test]
fn mariabackup_sst_on_the_lab() {
    let Some(lab) = Lab::find() else { return };
    let root = lab.secret("root-password");
    let sst_password = lab.secret("sst-password");
    let dir = scratch("e2e_mariabackup");
    let inv = cluster(&lab, &dir, &root, "mariabackup");

    // Every joiner of the new cluster was copied by mariabackup.
    for i in 1..3 {
        let log = lab.ssh_ok(
            HOSTS[i],
            &format!("docker logs {CLUSTER}-{} 2>&1", NODES[i]),
        );
        assert!(
            log.contains("wsrep_sst_mariabackup --role 'joiner'"),
            "{}: no mariabackup SST in its log",
            NODES[i]
        );
    }
    // The SST user: localhost only, mariabackup's privileges only.
    let grants = sql(
        HOSTS[0],
        PORT,
        &root,
        &["show grants for 'galeractl_sst'@'localhost'"],
    );
    assert_eq!(
        grants.first().map(|r| r[0].split(" IDENTIFIED").next().unwrap_or_default().to_string()),
        Some("GRANT RELOAD, PROCESS, LOCK TABLES, BINLOG MONITOR ON *.* TO `galeractl_sst`@`localhost`".to_string())
    );
    let remote_sst = sql(
        HOSTS[0],
        PORT,
        &root,
        &["select count(*) from mysql.user where user = 'galeractl_sst' and host <> 'localhost'"],
    );
    assert_eq!(remote_sst, vec![vec!["0".to_string()]]);
    // No password in docker inspect; the credential files are the server user's, 0600.
    for (i, host) in HOSTS.iter().enumerate() {
        let inspect = lab.ssh_ok(host, &format!("docker inspect {CLUSTER}-{}", NODES[i]));
        assert!(!inspect.contains(&sst_password) && !inspect.contains(&root));
        // Nor in the server's environment (PID 1 of the container).
        let environ = lab.ssh_ok(
            host,
            &format!(
                "docker exec {CLUSTER}-{} cat /proc/1/environ | tr '\\0' '\\n'",
                NODES[i]
            ),
        );
        assert!(
            !environ.contains(&sst_password)
                && !environ.contains(&root)
                && !environ.contains(&lab.secret("monitor-password")),
            "{host}: a password in the server's environment"
        );
        let modes = lab.ssh_ok(
            host,
            &format!("stat -c '%a %u' /etc/galeractl/{CLUSTER}/sst-auth.cnf /etc/galeractl/{CLUSTER}/sst-user.sql"),
        );
        assert_eq!(modes, "600 999\n600 999\n", "{host}");
    }

    // A full copy while the donor takes writes.
    let (secs, donor_writes, pause) = forced_copy(&lab, &inv, &root, 1_000_000);
    eprintln!(
        "mariabackup: full copy of nodec in {secs:.1}s; meanwhile the donor acknowledged {donor_writes} writes, longest pause between writes {pause:.2}s"
    );
    assert!(
        donor_writes > 0,
        "the donor acknowledged no write during a mariabackup transfer of {secs:.1}s"
    );

    if std::env::var("SST_COMPARE").is_ok_and(|v| v == "1") {
        let rsync = cluster(&lab, &dir, &root, "rsync");
        let (r_secs, r_donor, r_pause) = forced_copy(&lab, &rsync, &root, 2_000_000);
        println!("| SST method | full copy of one node (start-node) | writes acknowledged by the donor meanwhile | longest pause between writes |");
        println!("| --- | --- | --- | --- |");
        println!("| rsync | {r_secs:.1} s | {r_donor} | {r_pause:.2} s |");
        println!("| mariabackup | {secs:.1} s | {donor_writes} | {pause:.2} s |");
    }
    lab.wipe_cluster(CLUSTER);
}
