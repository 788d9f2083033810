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
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use support::lab::{sql, try_sql, wait_until, Lab, HOSTS};
use support::*;

const CLUSTER: &str = "backupsst";
const PORT: u16 = 4376;
const NODES: [&str; 3] = ["nodea", "nodeb", "nodec"];

fn inventory(lab: &Lab, dir: &Path, method: &str) -> PathBuf {
    let source =
        std::fs::read_to_string(lab.out.join("lab.toml")).unwrap_or_else(|e| panic!("{e}"));
    let source = source.split("[haproxy]").next().unwrap_or_default();
    let out = lab.out.display();
    let inv = source
        .replace("name = \"local-test\"", &format!("name = \"{CLUSTER}\""))
        .replace(
            "distribute_image = true\n",
            &format!("distribute_image = true\nsst_method = \"{method}\"\n"),
        )
        .replace("mysql = 4306", &format!("mysql = {PORT}"))
        .replace("galera = 5567", "galera = 5657")
        .replace("sst = 5444", "sst = 5534")
        .replace("ist = 5568", "ist = 5658")
        .replace("\"secrets/", &format!("\"{out}/secrets/"))
        .replace("\"id_ed25519\"", &format!("\"{out}/id_ed25519\""))
        .replace("\"known_hosts\"", &format!("\"{out}/known_hosts\""));
    assert!(
        inv.contains("sst_password_file"),
        "lab.toml has no sst_password_file"
    );
    let path = dir.join(format!("{method}.toml"));
    std::fs::write(&path, inv).unwrap_or_else(|e| panic!("{e}"));
    path
}

fn run_ok(args: &[&str]) -> String {
    let out = galeractl(args);
    assert!(
        out.status.success(),
        "galeractl {args:?} failed ({}):\n{}\n{}",
        out.status,
        text(&out.stdout),
        text(&out.stderr)
    );
    text(&out.stdout)
}

/// Acknowledged inserts, each with the node that acknowledged it and when.
type Acks = Arc<Mutex<Vec<(u64, usize, Instant)>>>;

struct Writer {
    stop: Arc<AtomicBool>,
    acked: Acks,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Writer {
    fn start(root: &str, first_id: u64, through: &'static [usize]) -> Writer {
        let stop = Arc::new(AtomicBool::new(false));
        let acked: Acks = Arc::new(Mutex::new(Vec::new()));
        let (s, a, root) = (stop.clone(), acked.clone(), root.to_string());
        let thread = std::thread::spawn(move || {
            let mut id = first_id;
            let mut turn = 0usize;
            while !s.load(Ordering::SeqCst) {
                let i = through[turn % through.len()];
                turn += 1;
                let insert = format!("insert into sstt.acked (id) values ({id})");
                if try_sql(HOSTS[i], PORT, &root, &[&insert]).is_ok() {
                    a.lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push((id, i, Instant::now()));
                } else {
                    std::thread::sleep(Duration::from_millis(20));
                }
                id += 1;
            }
        });
        Writer {
            stop,
            acked,
            thread: Some(thread),
        }
    }

    fn finish(mut self) -> Vec<(u64, usize, Instant)> {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            t.join().unwrap_or_else(|_| panic!("the writer panicked"));
        }
        let acked = self.acked.lock().unwrap_or_else(|e| e.into_inner()).clone();
        acked
    }
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
/// nodea and nodeb: (seconds of the transfer, writes the donor acknowledged meanwhile, writes
/// the other node acknowledged meanwhile).
fn forced_copy(lab: &Lab, inv: &str, root: &str, first_id: u64) -> (f64, usize, usize) {
    run_ok(&["stop-node", "nodec", "-i", inv]);
    lab.ssh_ok(
        HOSTS[2],
        &format!("docker rm {CLUSTER}-nodec >/dev/null && docker volume rm {CLUSTER}-nodec-data >/dev/null"),
    );
    let writer = Writer::start(root, first_id, &[0, 1]);
    wait_until("writes before the join", Duration::from_secs(30), || {
        writer.acked.lock().map(|a| a.len() > 20).unwrap_or(false)
    });
    let started = Instant::now();
    let out = run_ok(&["start-node", "nodec", "-i", inv]);
    let ended = Instant::now();
    std::thread::sleep(Duration::from_millis(500));
    let acked = writer.finish();
    assert!(out.contains("caught up by SST"), "start-node: {out}");
    let donor = donor(lab);
    let during = |node: usize| {
        acked
            .iter()
            .filter(|(_, i, at)| *i == node && *at > started && *at < ended)
            .count()
    };
    let rows = sql(HOSTS[2], PORT, root, &["select id from sstt.acked"]);
    let present: BTreeSet<u64> = rows.iter().filter_map(|r| r[0].parse().ok()).collect();
    let missing: Vec<u64> = acked
        .iter()
        .map(|(id, _, _)| *id)
        .filter(|id| !present.contains(id))
        .collect();
    assert!(
        missing.is_empty(),
        "nodec lacks {} acknowledged rows, e.g. {:?}",
        missing.len(),
        &missing[..missing.len().min(10)]
    );
    (
        (ended - started).as_secs_f64(),
        during(donor),
        during(1 - donor),
    )
}

/// A cluster of `method` with some data (so that a copy takes a moment).
fn cluster(lab: &Lab, dir: &Path, root: &str, method: &str) -> String {
    let inv = inventory(lab, dir, method).display().to_string();
    lab.wipe_cluster(CLUSTER);
    run_ok(&["up", &inv]);
    let mut statements = vec![
        "create database sstt",
        "create table sstt.acked (id bigint unsigned primary key)",
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
        let modes = lab.ssh_ok(
            host,
            &format!("stat -c '%a %u' /etc/galeractl/{CLUSTER}/sst-auth.cnf /etc/galeractl/{CLUSTER}/sst-user.sql"),
        );
        assert_eq!(modes, "600 999\n600 999\n", "{host}");
    }

    // A full copy while the donor takes writes.
    let (secs, donor_writes, other_writes) = forced_copy(&lab, &inv, &root, 1_000_000);
    eprintln!(
        "mariabackup: full copy of nodec in {secs:.1}s; meanwhile the donor acknowledged {donor_writes} writes, the other node {other_writes}"
    );
    assert!(
        donor_writes > 0,
        "the donor acknowledged no write during a mariabackup transfer of {secs:.1}s"
    );

    if std::env::var("SST_COMPARE").is_ok_and(|v| v == "1") {
        let rsync = cluster(&lab, &dir, &root, "rsync");
        let (r_secs, r_donor, r_other) = forced_copy(&lab, &rsync, &root, 2_000_000);
        println!("| SST method | full copy of one node | writes acknowledged by the donor meanwhile | by the other node |");
        println!("| --- | --- | --- | --- |");
        println!("| rsync | {r_secs:.1} s | {r_donor} | {r_other} |");
        println!("| mariabackup | {secs:.1} s | {donor_writes} | {other_writes} |");
    }
    lab.wipe_cluster(CLUSTER);
}
