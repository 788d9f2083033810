//! End to end on the lab: `galeractl watch` heals the cluster with no one typing, on a cluster
//! of its own ("watched", ports 4616/5897/5774/5898; metrics on 127.0.0.1:9186). watch runs
//! on this machine for the whole scenario, its events appended as JSON lines to a file by its
//! --notify-command. In order:
//! 1. /healthz answers 200 and /metrics has the cluster's gauges and watch's counters;
//! 2. a node killed (`docker kill`) is started again by watch (`start-node`);
//! 3. a node the operator stopped with `stop-node` is left down, and a real Prometheus (Debian's,
//!    started here) scraping watch fires contrib/alerts.yml's node-down alert for it;
//! 4. every node's SQL port filtered from this machine (iptables on the hosts), the stopped
//!    node still down: watch changes nothing (container ids and start times equal) and says
//!    the nodes are silent;
//! 5. an operator's `restart` while watch runs: no action of watch's in between;
//! 6. every lab host's power cut twice, 7 s apart, under a writer recording each acknowledged
//!    id: healthy again with no command typed, the same cluster UUID, every acknowledged id on
//!    every node, `CHECKSUM TABLE` equal (the time from the last host's return is printed);
//! 7. a full outage (every node stopped, then started: each waits for a Primary component),
//!    watch killed with SIGKILL in the middle of its `recover`, then started again: healthy;
//! 8. `up` of a new cluster interrupted (SIGINT) once its first joiner is in the Primary
//!    component, then the first node's host loses its power: healthy again, same history.
// lab-lane: alone (it cuts the power of lab hosts: every cluster on them goes down; lab/run-tests)

mod support;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use support::lab::{sql, wait_until, wsrep, Lab, SqlFiltered, HOSTS};
use support::writer::{assert_acked_on, Writer, NODES};
use support::*;

const CLUSTER: &str = "watched";
const PORT: u16 = 4616;
const LISTEN: &str = "127.0.0.1:9186";

fn inventory(lab: &Lab, dir: &Path) -> PathBuf {
    let path = dir.join("watched.toml");
    let inv = lab.cluster_inventory(CLUSTER, [PORT, 5897, 5774, 5898]);
    std::fs::write(&path, inv).unwrap_or_else(|e| panic!("{e}"));
    path
}

fn container(i: usize) -> String {
    format!("{CLUSTER}-{}", NODES[i])
}

/// A running `galeractl watch`: its stderr in a file, its events in another; SIGKILLed when
/// dropped (a test that fails leaves nothing running).
struct Watch {
    child: Child,
    log: PathBuf,
    events: PathBuf,
}

impl Watch {
    fn start(dir: &Path, inv: &Path, round: u32) -> Watch {
        let log = dir.join(format!("watch-{round}.log"));
        let events = dir.join("events.jsonl");
        let child = Command::new(env!("CARGO_BIN_EXE_galeractl"))
            .args([
                "watch",
                "--interval",
                "2",
                "--settle",
                "6",
                "--listen",
                LISTEN,
            ])
            .arg("--notify-command")
            .arg(format!("cat >> '{}'", events.display()))
            .arg(inv)
            .env_remove("RUST_LOG")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(
                std::fs::File::create(&log).unwrap_or_else(|e| panic!("{}: {e}", log.display())),
            )
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start watch: {e}"));
        Watch { child, log, events }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The events so far, as (kind, detail) pairs.
    fn events(&self) -> Vec<(String, String)> {
        std::fs::read_to_string(&self.events)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .map(|v| {
                (
                    v["kind"].as_str().unwrap_or_default().to_string(),
                    v["detail"].as_str().unwrap_or_default().to_string(),
                )
            })
            .collect()
    }

    fn count(&self, kind: &str) -> usize {
        self.events().iter().filter(|(k, _)| k == kind).count()
    }

    /// Stops it as systemd would (SIGTERM) and waits for it.
    fn stop(mut self) -> i32 {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let code = self.child.wait().map_or(-1, |s| s.code().unwrap_or(-1));
        std::mem::forget(self);
        code
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One HTTP GET to watch's listener: (status code, body).
fn get(path: &str) -> Option<(u16, String)> {
    get_from(LISTEN, path)
}

fn get_from(addr: &str, path: &str) -> Option<(u16, String)> {
    let mut s = std::net::TcpStream::connect(addr).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut text = String::new();
    s.read_to_string(&mut text).ok()?;
    let code = text.split_whitespace().nth(1)?.parse().ok()?;
    let body = text.split_once("\r\n\r\n")?.1.to_string();
    Some((code, body))
}

/// Looks watch took so far (its own counter).
fn looks() -> u64 {
    get("/metrics")
        .and_then(|(_, body)| {
            body.lines()
                .find(|l| l.starts_with("galeractl_watch_observations_total{cluster=\"watched\"}"))
                .and_then(|l| l.rsplit(' ').next())
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or(0)
}

fn wait_looks(more: u64, what: &str) {
    let target = looks() + more;
    wait_until(
        &format!("{more} more looks of watch ({what})"),
        Duration::from_secs(180),
        || looks() >= target,
    );
}

fn healthy(root: &str) -> bool {
    HOSTS.iter().all(|h| {
        wsrep(h, PORT, root, "wsrep_local_state_comment").as_deref() == Some("Synced")
            && wsrep(h, PORT, root, "wsrep_cluster_size").as_deref() == Some("3")
    })
}

fn cluster_uuid(root: &str, i: usize) -> String {
    wsrep(HOSTS[i], PORT, root, "wsrep_cluster_state_uuid").unwrap_or_default()
}

/// Debian's Prometheus, scraping watch every 2 s and evaluating contrib/alerts.yml; killed
/// when dropped. `None` outside CI when it is not installed.
struct Prometheus {
    child: Child,
}

const PROMETHEUS: &str = "127.0.0.1:9187";

impl Prometheus {
    fn start(dir: &Path) -> Option<Prometheus> {
        let config = dir.join("prometheus.yml");
        let rules = root().join("contrib/alerts.yml");
        std::fs::write(
            &config,
            format!(
                "global:\n  scrape_interval: 2s\n  evaluation_interval: 2s\nrule_files:\n  - {}\nscrape_configs:\n  - job_name: galeractl-watch\n    static_configs:\n      - targets: ['{LISTEN}']\n",
                rules.display()
            ),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let data = dir.join("prometheus-data");
        let _ = std::fs::remove_dir_all(&data);
        let spawned = Command::new("prometheus")
            .arg(format!("--config.file={}", config.display()))
            .arg(format!("--storage.tsdb.path={}", data.display()))
            .arg(format!("--web.listen-address={PROMETHEUS}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(
                std::fs::File::create(dir.join("prometheus.log")).unwrap_or_else(|e| panic!("{e}")),
            )
            .spawn();
        match spawned {
            Ok(child) => Some(Prometheus { child }),
            Err(e) if std::env::var("CI").is_ok_and(|v| v == "true") => {
                panic!("prometheus: {e} (CI=true: lab/lab up installs Debian's prometheus)")
            }
            Err(e) => {
                eprintln!("skipped the alert check: prometheus: {e}");
                None
            }
        }
    }

    /// Whether the alert fires for the node (Prometheus' own /api/v1/alerts).
    fn firing(alert: &str, node: &str) -> bool {
        let Some((200, body)) = get_from(PROMETHEUS, "/api/v1/alerts") else {
            return false;
        };
        let Ok(doc) = serde_json::from_str::<serde_json::Value>(&body) else {
            return false;
        };
        doc["data"]["alerts"].as_array().is_some_and(|alerts| {
            alerts.iter().any(|a| {
                a["labels"]["alertname"] == alert
                    && a["labels"]["node"] == node
                    && a["state"] == "firing"
            })
        })
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Every node stopped cleanly at once, then started: with no saved Primary view, each waits
/// for a Primary component that no one forms.
fn full_outage_by_clean_stops(lab: &Lab) {
    std::thread::scope(|scope| {
        for (i, host) in HOSTS.iter().enumerate() {
            scope.spawn(move || lab.ssh_ok(host, &format!("docker stop {}", container(i))));
        }
    });
    for (i, host) in HOSTS.iter().enumerate() {
        lab.ssh_ok(host, &format!("docker start {}", container(i)));
    }
}

#[test]
fn watch_heals_the_cluster_on_the_lab() {
    let Some(lab) = Lab::find() else { return };
    let root = lab.secret("root-password");
    let dir = scratch("e2e_watch");
    let _ = std::fs::remove_file(dir.join("events.jsonl"));
    let inv = inventory(&lab, &dir);
    let inv_s = inv.display().to_string();
    lab.wipe_cluster(CLUSTER);
    galeractl_ok(&["up", &inv_s]);
    sql(
        HOSTS[0],
        PORT,
        &root,
        &[
            "create database watched",
            "create table watched.acked (id bigint unsigned primary key, via varchar(8) not null)",
        ],
    );
    let uuid = cluster_uuid(&root, 0);
    let watch = Watch::start(&dir, &inv, 1);

    // 1. Its endpoints.
    wait_until(
        "watch's /healthz to answer 200",
        Duration::from_secs(60),
        || get("/healthz").is_some_and(|(code, _)| code == 200),
    );
    let (code, metrics) = get("/metrics").unwrap_or_default();
    assert_eq!(code, 200);
    for line in [
        "galera_verdict{cluster=\"watched\",verdict=\"healthy\"} 1",
        "# TYPE galeractl_watch_actions_total counter",
        "galeractl_watch_gave_up{cluster=\"watched\"} 0",
    ] {
        assert!(metrics.contains(line), "/metrics lacks {line}:\n{metrics}");
    }

    // 2. A crashed node is started again.
    lab.ssh_ok(HOSTS[1], &format!("docker kill {}", container(1)));
    wait_until(
        "watch to start the killed nodeb again",
        Duration::from_secs(120),
        || watch.count("action_done") >= 1 && healthy(&root),
    );
    assert!(
        watch
            .events()
            .contains(&("action_done".into(), "start-node nodeb".into())),
        "{:?}",
        watch.events()
    );
    assert!(
        watch
            .log()
            .contains("[start-node] DEBUG        [10.77.0.12] docker start watched-nodeb"),
        "the log shows the command line as --dry-run prints it:\n{}",
        watch.log()
    );

    // 3. A node the operator stopped stays down; a real Prometheus scraping watch fires the
    // node-down alert for it (after the rule's minute, which step 4 runs within).
    let prometheus = Prometheus::start(&dir);
    galeractl_ok(&["stop-node", "-i", &inv_s, "nodec"]);
    let started = watch.count("action_started");
    wait_looks(4, "nodec stopped by the operator");
    assert_eq!(
        watch.count("action_started"),
        started,
        "{:?}",
        watch.events()
    );
    if prometheus.is_some() {
        assert!(!Prometheus::firing("GaleraNodeDown", "nodea"));
    }

    // 4. SQL filtered from this machine (nodec still stopped by the operator): the nodes are
    // silent, nothing is touched.
    let before = lab.node_containers(CLUSTER);
    {
        let _filter = SqlFiltered::on(&lab, PORT);
        wait_looks(5, "every SQL port filtered");
        assert_eq!(
            lab.node_containers(CLUSTER),
            before,
            "watch touched a silent node"
        );
        assert_eq!(
            watch.count("action_started"),
            started,
            "{:?}",
            watch.events()
        );
        assert!(
            watch
                .log()
                .contains("holding: no recovery while a node may serve unseen: nodea is silent"),
            "{}",
            watch.log()
        );
    }
    if prometheus.is_some() {
        wait_until(
            "Prometheus to fire GaleraNodeDown for nodec",
            Duration::from_secs(150),
            || Prometheus::firing("GaleraNodeDown", "nodec"),
        );
    }
    drop(prometheus);
    let state = lab.ssh_ok(
        HOSTS[2],
        &format!("docker inspect -f '{{{{.State.Status}}}}' {}", container(2)),
    );
    assert_eq!(state.trim(), "exited");
    galeractl_ok(&["start-node", "-i", &inv_s, "nodec"]);

    // 5. An operator's rolling restart while watch runs: it holds the lock; watch, seeing each
    // node stopped in turn, may only find the lock held, never act in between.
    wait_until(
        "healthy before the restart",
        Duration::from_secs(60),
        || healthy(&root),
    );
    let done = watch.count("action_done");
    let restart = galeractl(&["restart", "-i", &inv_s]);
    assert_eq!(
        restart.status.code(),
        Some(0),
        "restart while watch runs:\n{}\n{}",
        text(&restart.stdout),
        text(&restart.stderr)
    );
    assert_eq!(watch.count("action_done"), done, "{:?}", watch.events());
    assert_eq!(watch.count("action_failed"), 0, "{:?}", watch.events());

    // 6. Two power cuts of every host, 7 s apart, under a writer.
    wait_until(
        "healthy before the power cuts",
        Duration::from_secs(60),
        || healthy(&root),
    );
    let writer = Writer::start(PORT, &root, "watched.acked", 1_000_000, &[0, 1, 2]);
    writer.wait_for(40);
    // The second cut 7 s after the first, while the cluster re-forms.
    let first = Instant::now();
    lab.power_cut(&[0, 1, 2]);
    std::thread::sleep(Duration::from_secs(7).saturating_sub(first.elapsed()));
    lab.power_cut(&[0, 1, 2]);
    let back = Instant::now();
    wait_until(
        "every node Synced in a cluster of 3 after two power cuts, with no command typed",
        Duration::from_secs(240),
        || healthy(&root),
    );
    let healed = back.elapsed();
    assert!(
        healed < Duration::from_secs(60),
        "healthy {:.1}s after the last host's return: over a minute",
        healed.as_secs_f64()
    );
    writer.wait_for(20);
    let acked = writer.finish_ids();
    for (i, name) in NODES.iter().enumerate() {
        assert_eq!(cluster_uuid(&root, i), uuid, "{name} left the history");
    }
    assert_acked_on(PORT, &root, "watched.acked", &acked, &[0, 1, 2]);
    eprintln!(
        "two power cuts: healthy {:.1}s after the last host's return ({} acknowledged; watch ran {} recover)",
        healed.as_secs_f64(),
        acked.len(),
        watch
            .events()
            .iter()
            .filter(|(k, d)| k == "action_done" && d == "recover")
            .count()
    );

    // 7. SIGKILL in the middle of a recovery, then watch again.
    wait_until("healthy before the outage", Duration::from_secs(60), || {
        healthy(&root)
    });
    full_outage_by_clean_stops(&lab);
    wait_until(
        "watch's recover to start its first node",
        Duration::from_secs(180),
        || watch.log().contains("[recover]  INFO stage 2/"),
    );
    drop(watch); // SIGKILL: its recover goes on alone, in its own process group.
    let watch = Watch::start(&dir, &inv, 2);
    wait_until(
        "healthy after watch was killed mid-recovery and started again",
        Duration::from_secs(240),
        || healthy(&root),
    );
    for (i, name) in NODES.iter().enumerate() {
        assert_eq!(cluster_uuid(&root, i), uuid, "{name} left the history");
    }

    // 8. `up` of a new cluster interrupted once nodeb is in the Primary component, then
    // nodea's host loses its power: healed by watch (still running) with no command typed.
    lab.wipe_cluster(CLUSTER);
    let mut up = Command::new(env!("CARGO_BIN_EXE_galeractl"))
        .args(["up", &inv_s])
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn up: {e}"));
    let stderr = up.stderr.take().unwrap_or_else(|| panic!("no stderr"));
    let mut lines = BufReader::new(stderr).lines();
    let mut log = String::new();
    for line in lines.by_ref() {
        let line = line.unwrap_or_default();
        log.push_str(&line);
        log.push('\n');
        if line.contains("ok: nodeb in the Primary component") {
            break;
        }
    }
    assert!(log.contains("ok: nodeb in the Primary component"), "{log}");
    let uuid = cluster_uuid(&root, 0);
    let _ = Command::new("kill")
        .args(["-INT", &up.id().to_string()])
        .status();
    for line in lines {
        log.push_str(&line.unwrap_or_default());
        log.push('\n');
    }
    let code = up.wait().map_or(-1, |s| s.code().unwrap_or(-1));
    assert_eq!(code, 130, "up after SIGINT:\n{log}");
    lab.power_cut(&[0]);
    let back = Instant::now();
    wait_until(
        "every node Synced after the interrupted up and nodea's power cut, with no command typed",
        Duration::from_secs(300),
        || healthy(&root),
    );
    eprintln!(
        "interrupted up, then nodea's power cut: healthy {:.1}s after its return",
        back.elapsed().as_secs_f64()
    );
    assert_eq!(
        cluster_uuid(&root, 2),
        uuid,
        "the history the interrupted up began"
    );
    assert_eq!(watch.stop(), 0, "watch stops cleanly on SIGTERM");
    lab.wipe_cluster(CLUSTER);
}
