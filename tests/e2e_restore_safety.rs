//! End to end on the lab: the second safety review's restore and arbitrator findings, each on a
//! cluster of its own.
//! - M-8 (`rsafe`, with HAProxy): a writer through HAProxy during a logical `restore --replace`
//!   loses no write acknowledged once the bootstrap began (every node drained before it);
//! - M-1 (`rstray`): `restore` refuses while a member the inventory does not name runs; once it
//!   is pruned, the restore starts a new history, and the stray put back joins by a full copy
//!   with the same rows as the others;
//! - M-5 (`rgarb`, nodes a and b and garbd): a partitioned from b and garbd, b's SSH and SQL
//!   unreachable from here: `recover --force-without nodeb` is refused naming garbd's view.

mod support;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use support::lab::{sql, try_sql, wait_until, wsrep, Lab, HOSTS, MORE_HOSTS};
use support::*;

/// Runs galeractl with `-v`, and notes when a stderr line containing `mark` first appeared.
fn run_marked(args: &[&str], mark: &str) -> (std::process::Output, Option<Instant>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_galeractl"))
        .arg("-v")
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn galeractl: {e}"));
    let seen: Arc<Mutex<Option<Instant>>> = Arc::default();
    let stderr = child.stderr.take().unwrap_or_else(|| panic!("no stderr"));
    let (s, mark) = (seen.clone(), mark.to_string());
    let reader = std::thread::spawn(move || {
        let mut all = Vec::new();
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if line.contains(&mark) {
                let mut at = s.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                at.get_or_insert_with(Instant::now);
            }
            all.extend_from_slice(line.as_bytes());
            all.push(b'\n');
        }
        all
    });
    let mut out = child
        .wait_with_output()
        .unwrap_or_else(|e| panic!("wait: {e}"));
    out.stderr = reader.join().unwrap_or_default();
    let at = *seen
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    (out, at)
}

fn ids(port: u16, host: &str, root: &str, table: &str) -> Vec<u64> {
    sql(host, port, root, &[&format!("select id from {table}")])
        .iter()
        .filter_map(|r| r.first().and_then(|v| v.parse().ok()))
        .collect()
}

/// Inserts ids from 1000 up through `port` on HOSTS[0], each with `create ... if not exists`
/// first, until finished; keeps each acknowledged id and when.
struct AppWriter {
    stop: Arc<std::sync::atomic::AtomicBool>,
    acked: Arc<Mutex<Vec<(u64, Instant)>>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl AppWriter {
    fn start(port: u16, password: &str) -> AppWriter {
        use std::sync::atomic::Ordering;
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let acked: Arc<Mutex<Vec<(u64, Instant)>>> = Arc::default();
        let (s, a, password) = (stop.clone(), acked.clone(), password.to_string());
        let thread = std::thread::spawn(move || {
            let mut id = 1000u64;
            while !s.load(Ordering::SeqCst) {
                let insert = format!("insert into rs.w values ({id}, 'app')");
                let statements = [
                    "create database if not exists rs",
                    "create table if not exists rs.w (id bigint primary key, via varchar(16) not null)",
                    insert.as_str(),
                ];
                if try_sql(HOSTS[0], port, &password, &statements).is_ok() {
                    a.lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .push((id, Instant::now()));
                    id += 1;
                }
            }
        });
        AppWriter {
            stop,
            acked,
            thread: Some(thread),
        }
    }

    fn count(&self) -> usize {
        self.acked
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .len()
    }

    /// Until `more` writes beyond the current count are acknowledged (at most 60 s).
    fn wait_for(&self, more: usize) {
        let target = self.count() + more;
        wait_until("writes through the proxy", Duration::from_secs(60), || {
            self.count() >= target
        });
    }

    fn finish(mut self) -> Vec<(u64, Instant)> {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        std::mem::take(
            &mut *self
                .acked
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        )
    }
}

/// M-8: every write acknowledged through HAProxy from the bootstrap on is there after a logical
/// restore (before the fix, writes into the bootstrapped node were dropped by the dump).
#[test]
fn a_logical_restore_loses_no_write_acknowledged_through_the_proxy() {
    let Some(lab) = Lab::find() else { return };
    const CLUSTER: &str = "rsafe";
    const PORT: u16 = 4556;
    const PROXY_PORT: u16 = 3386;
    lab.wipe_cluster(CLUSTER);
    let dir = scratch("e2e_restore_proxy");
    let root = lab.secret("root-password");
    let inv = format!(
        "{}\n[haproxy]\nhost = \"{}\"\nimage = \"galeractl-lab/haproxy:2.6\"\nport = {PROXY_PORT}\nstats_port = 4589\ncheck_port = 9270\nstats_user = \"admin\"\nstats_password_file = \"{}\"\n",
        with_backup_user(
            &dir,
            &lab.cluster_inventory(CLUSTER, [PORT, 5837, 5714, 5838]),
            "restore-safety-backup-pw",
        ),
        HOSTS[0],
        lab.out.join("secrets/haproxy-stats-password").display()
    );
    let path = dir.join("rsafe.toml");
    std::fs::write(&path, inv).unwrap_or_else(|e| panic!("{e}"));
    let inv = path.display().to_string();
    galeractl_ok(&["up", &inv]);
    sql(
        HOSTS[0],
        PORT,
        &root,
        &[
            "create database rs",
            "create table rs.w (id bigint primary key, via varchar(16) not null)",
            "insert into rs.w values (1, 'before')",
        ],
    );
    let to = dir.join("backups");
    std::fs::create_dir_all(&to).unwrap_or_else(|e| panic!("{e}"));
    let to_text = to.display().to_string();
    let doc = galeractl_ok(&["backup", &inv, "--logical", "--to", &to_text, "--json"]);
    let doc: serde_json::Value = serde_json::from_str(&doc).unwrap_or_else(|e| panic!("{e}"));
    let backup = doc["directory"].as_str().unwrap_or_default().to_string();

    // Through the proxy (on HOSTS[0]) all along the restore, as an application that creates
    // its schema when it is missing (so that a write into the empty bootstrapped node
    // succeeds, as it would for such an application).
    let writer = AppWriter::start(PROXY_PORT, &root);
    writer.wait_for(20);
    // Writes before the bootstrap land in the old cluster, which the restore replaces by
    // design; from the bootstrap on, every acknowledged write must stay.
    let (out, bootstrap) = run_marked(
        &["restore", &backup, &inv, "--replace", "--yes"],
        ": bootstrap a new cluster from",
    );
    let ended = Instant::now();
    writer.wait_for(20);
    let acks = writer.finish();
    assert!(
        out.status.success(),
        "restore: {}\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let bootstrap =
        bootstrap.unwrap_or_else(|| panic!("no bootstrap stage: {}", text(&out.stderr)));
    let present = ids(PORT, HOSTS[2], &root, "rs.w");
    let lost: Vec<u64> = acks
        .iter()
        .filter(|(id, at)| *at > bootstrap && !present.contains(id))
        .map(|(id, _)| *id)
        .collect();
    assert!(
        lost.is_empty(),
        "acknowledged after the bootstrap began, then lost: {lost:?}"
    );
    // And hardly anything from the bootstrap to the command's end: drained until the last
    // stage, the undrain (a few may come between it and the exit).
    let during = acks
        .iter()
        .filter(|(_, at)| *at > bootstrap && *at < ended)
        .count();
    assert!(during <= 5, "{during} writes served during the restore");
    for host in HOSTS {
        assert_eq!(
            ids(PORT, host, &root, "rs.w").len(),
            present.len(),
            "{host}"
        );
    }
    lab.wipe_cluster(CLUSTER);
}

/// M-1: a stray member blocks `restore`; pruned, the restore is a new history, and the stray's
/// host put back in the inventory joins by a full copy with the restored rows only.
#[test]
fn a_restore_refuses_beside_a_stray_and_starts_a_new_history() {
    let Some(lab) = Lab::find() else { return };
    const CLUSTER: &str = "rstray";
    const PORT: u16 = 4566;
    lab.wipe_cluster(CLUSTER);
    for host in MORE_HOSTS {
        let _ = lab.ssh(
            host,
            &format!("docker rm -f {CLUSTER}-noded; docker volume rm -f {CLUSTER}-noded-data"),
        );
    }
    let dir = scratch("e2e_restore_stray");
    let root = lab.secret("root-password");
    let three = with_backup_user(
        &dir,
        &lab.cluster_inventory(CLUSTER, [PORT, 5847, 5724, 5848]),
        "restore-safety-backup-pw",
    );
    let four = format!(
        "{three}\n[[nodes]]\nname = \"noded\"\nhost = \"{}\"\n",
        MORE_HOSTS[0]
    );
    let (p3, p4) = (dir.join("three.toml"), dir.join("four.toml"));
    std::fs::write(&p3, &three).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(&p4, &four).unwrap_or_else(|e| panic!("{e}"));
    let (three, four) = (p3.display().to_string(), p4.display().to_string());
    galeractl_ok(&["up", &four]);
    // noded stays a member, unpruned.
    galeractl_ok(&["up", &three]);
    sql(
        HOSTS[0],
        PORT,
        &root,
        &[
            "create database rs",
            "create table rs.t (id int primary key)",
            "insert into rs.t values (1), (2)",
        ],
    );
    let to = dir.join("backups");
    std::fs::create_dir_all(&to).unwrap_or_else(|e| panic!("{e}"));
    let doc = galeractl_ok(&[
        "backup",
        &three,
        "--to",
        &to.display().to_string(),
        "--json",
    ]);
    let doc: serde_json::Value = serde_json::from_str(&doc).unwrap_or_else(|e| panic!("{e}"));
    let backup = doc["directory"].as_str().unwrap_or_default().to_string();
    let old_uuid = doc["manifest"]["cluster_uuid"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let values: Vec<String> = (100..200).map(|i| format!("({i})")).collect();
    sql(
        MORE_HOSTS[0],
        PORT,
        &root,
        &[&format!("insert into rs.t values {}", values.join(", "))],
    );

    let refused = galeractl(&["restore", &backup, &three, "--replace", "--yes"]);
    let said = text(&refused.stderr);
    assert_eq!(refused.status.code(), Some(3), "{said}");
    assert!(
        said.contains(
            "refusing to restore: cluster rstray has nodes the inventory does not name: noded on"
        ) && said.contains("(a member of the cluster)"),
        "{said}"
    );
    assert_eq!(
        wsrep(MORE_HOSTS[0], PORT, &root, "wsrep_cluster_size").as_deref(),
        Some("4"),
        "the refusal changed something"
    );

    galeractl_ok(&["up", &three, "--prune", "--delete-data", "--yes"]);
    galeractl_ok(&["restore", &backup, &three, "--replace", "--yes"]);
    let uuid = wsrep(HOSTS[0], PORT, &root, "wsrep_cluster_state_uuid").unwrap_or_default();
    assert_ne!(uuid, old_uuid, "the restore kept the backed-up history");
    // The stray back in the inventory: a full copy of the restored rows.
    galeractl_ok(&["up", &four]);
    wait_until("noded Synced", Duration::from_secs(120), || {
        wsrep(MORE_HOSTS[0], PORT, &root, "wsrep_local_state_comment").as_deref() == Some("Synced")
    });
    let checksum = sql(HOSTS[0], PORT, &root, &["checksum table rs.t"]);
    for host in HOSTS.iter().chain(&MORE_HOSTS[..1]) {
        assert_eq!(
            sql(host, PORT, &root, &["checksum table rs.t"]),
            checksum,
            "{host}"
        );
        assert_eq!(
            wsrep(host, PORT, &root, "wsrep_cluster_state_uuid").as_deref(),
            Some(uuid.as_str()),
            "{host}"
        );
    }
    assert_eq!(
        sql(MORE_HOSTS[0], PORT, &root, &["select count(*) from rs.t"]),
        vec![vec!["2".to_string()]]
    );
    galeractl_ok(&["up", &three, "--prune", "--delete-data", "--yes"]);
    lab.wipe_cluster(CLUSTER);
}

/// Drops traffic arriving at a lab host, before Docker's DNAT (the raw table's PREROUTING: a
/// node's published ports included), removed when dropped.
struct Dropped<'a> {
    lab: &'a Lab,
    host: &'a str,
    rule: String,
}

impl<'a> Dropped<'a> {
    fn on(lab: &'a Lab, host: &'a str, rule: &str) -> Dropped<'a> {
        lab.ssh_ok(host, &format!("iptables -t raw -I PREROUTING {rule}"));
        Dropped {
            lab,
            host,
            rule: rule.to_string(),
        }
    }
}

impl Drop for Dropped<'_> {
    fn drop(&mut self) {
        let _ = self.lab.ssh(
            self.host,
            &format!(
                "while iptables -t raw -D PREROUTING {}; do :; done",
                self.rule
            ),
        );
    }
}

/// M-5: nodea cut off from nodeb and garbd, which keep a Primary component; nodeb unreachable
/// from here over SSH (its inventory port closed) and SQL (filtered). `recover --force-without
/// nodeb` is refused, naming garbd's view, and nodea is not bootstrapped.
#[test]
fn recover_force_without_asks_the_arbitrator() {
    let Some(lab) = Lab::find() else { return };
    const CLUSTER: &str = "rgarb";
    const PORT: u16 = 4576;
    const GALERA: u16 = 5857;
    lab.wipe_cluster(CLUSTER);
    let root = lab.secret("root-password");
    let dir = scratch("e2e_restore_garbd");
    let full = lab.cluster_inventory(CLUSTER, [PORT, GALERA, 5734, 5858]);
    let two = full
        .split("[[nodes]]")
        .take(3)
        .collect::<Vec<_>>()
        .join("[[nodes]]");
    let inv = format!(
        "{two}\n[arbitrator]\nhost = \"{}\"\nimage = \"galeractl-lab/garbd:bookworm\"\n",
        HOSTS[2]
    );
    let path = dir.join("rgarb.toml");
    std::fs::write(&path, &inv).unwrap_or_else(|e| panic!("{e}"));
    let path = path.display().to_string();
    galeractl_ok(&["up", &path]);
    // The tests' SQL user is made at its first use, which needs a Primary component: before
    // the cut (made during it, every later query of nodea would fail).
    assert_eq!(
        wsrep(HOSTS[0], PORT, &root, "wsrep_cluster_status").as_deref(),
        Some("Primary")
    );
    // nodeb's SSH out of reach for galeractl: its node's ssh port closed in a copy.
    let b = format!("name = \"nodeb\"\nhost = \"{}\"", HOSTS[1]);
    assert!(inv.contains(&b), "{inv}");
    let cut = dir.join("rgarb-cut.toml");
    std::fs::write(&cut, inv.replace(&b, &format!("{b}\nssh_port = 1")))
        .unwrap_or_else(|e| panic!("{e}"));
    let cut = cut.display().to_string();
    {
        // nodea partitioned from nodeb and garbd on this cluster's group port only (both
        // directions, on nodea's host): the other tests' clusters on these hosts run on.
        let _cut: Vec<Dropped> = [HOSTS[1], HOSTS[2]]
            .iter()
            .flat_map(|from| {
                ["--dport", "--sport"].map(|side| {
                    Dropped::on(
                        &lab,
                        HOSTS[0],
                        &format!("-p tcp -s {from} {side} {GALERA} -j DROP"),
                    )
                })
            })
            .collect();
        let _b_sql = Dropped::on(
            &lab,
            HOSTS[1],
            &format!("-p tcp -s 10.77.0.1 --dport {PORT} -j DROP"),
        );
        wait_until("nodea non-Primary", Duration::from_secs(60), || {
            wsrep(HOSTS[0], PORT, &root, "wsrep_cluster_status").as_deref() == Some("non-Primary")
        });
        let out = galeractl(&[
            "recover",
            &cut,
            "--force-without",
            "nodeb",
            "--yes",
            "--connect-timeout",
            "3",
        ]);
        let said = text(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{said}\n{}", text(&out.stdout));
        assert!(
            said.contains("the arbitrator (garbd) is in a Primary component with")
                && said.contains("without nodea"),
            "{said}"
        );
        assert_ne!(
            wsrep(HOSTS[0], PORT, &root, "wsrep_cluster_status").as_deref(),
            Some("Primary"),
            "nodea was bootstrapped beside nodeb and garbd"
        );
    }
    wait_until(
        "nodea back in the Primary",
        Duration::from_secs(120),
        || wsrep(HOSTS[0], PORT, &root, "wsrep_cluster_status").as_deref() == Some("Primary"),
    );
    lab.wipe_cluster(CLUSTER);
}
