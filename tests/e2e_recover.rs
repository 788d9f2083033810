//! End to end on the lab: `galeractl recover` after full outages, on its own cluster
//! ("recovery", ports 4336/5617/5494/5618) so that it never meets the other tests' clusters.
//! One scenario, in order: crash rounds (every node SIGKILLed mid-write: nothing acknowledged
//! lost, same cluster UUID, joiners by IST), uneven nodes (the most advanced one is chosen),
//! refusal on an unreachable host and --force, and a partially running cluster.
//!
//! RECOVER_CRASH_ROUNDS=N changes the number of crash rounds (default 3);
//! RECOVER_E2E_PART=crash runs only the crash rounds (bench/crash-rounds.sh uses both).

mod support;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use support::lab::{sql, wait_until, wsrep, Lab, HOSTS};
use support::writer::{assert_acked_on, Writer, NODES};
use support::*;

const CLUSTER: &str = "recovery";
const PORT: u16 = 4336;

/// lab.toml as the "recovery" cluster; `unreachable` puts nodec's host where no host answers.
fn inventory(lab: &Lab, dir: &Path, unreachable: bool) -> PathBuf {
    let mut inv = lab.cluster_inventory(CLUSTER, [PORT, 5617, 5494, 5618]);
    let name = if unreachable {
        inv = inv.replace("10.77.0.13", "10.77.0.99");
        "unreachable.toml"
    } else {
        "recovery.toml"
    };
    let path = dir.join(name);
    std::fs::write(&path, inv).unwrap_or_else(|e| panic!("{e}"));
    path
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
    took: Duration,
}

fn galeractl_run(args: &[&str]) -> Run {
    let started = Instant::now();
    let out = galeractl(args);
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: text(&out.stdout),
        stderr: text(&out.stderr),
        took: started.elapsed(),
    }
}

fn recover(inv: &Path, extra: &[&str]) -> Run {
    let path = inv.display().to_string();
    let mut args = vec!["recover", path.as_str()];
    args.extend_from_slice(extra);
    galeractl_run(&args)
}

fn start_writer(root: &str, first_id: u64) -> Writer {
    Writer::start(PORT, root, "recov.acked", first_id, &[0, 1, 2])
}

fn container(node: &str) -> String {
    format!("{CLUSTER}-{node}")
}

/// SIGKILL every node at once (one thread per host).
fn kill_all(lab: &Lab) {
    std::thread::scope(|s| {
        for (host, node) in HOSTS.iter().zip(NODES) {
            s.spawn(move || lab.ssh_ok(host, &format!("docker kill {}", container(node))));
        }
    });
}

/// Rows of recov.acked on each node; panics naming the node and the first missing ids.
fn assert_rows_everywhere(root: &str, acked: &[u64], nodes: &[usize]) -> usize {
    assert_acked_on(PORT, root, "recov.acked", acked, nodes);
    0
}

fn cluster_uuid(root: &str, i: usize) -> String {
    wsrep(HOSTS[i], PORT, root, "wsrep_cluster_state_uuid").unwrap_or_default()
}

/// The node's log since its last start.
fn log_since_start(lab: &Lab, i: usize) -> String {
    let log = lab.ssh_ok(
        HOSTS[i],
        &format!("docker logs {} 2>&1", container(NODES[i])),
    );
    log.rfind("Starting MariaDB")
        .map_or(log.clone(), |k| log[k..].to_string())
}

/// How a joiner caught up, from its log since its last start.
fn caught_up_by_ist(lab: &Lab, i: usize) -> Result<(), String> {
    let last = log_since_start(lab, i);
    if last.contains("rsync SST completed on joiner") {
        return Err(format!("{} joined by a full SST", NODES[i]));
    }
    if last.contains("Receiving IST") || last.contains("IST received") {
        Ok(())
    } else {
        Err(format!("{}: no IST in its log", NODES[i]))
    }
}

/// The node's log since its last start shows no full state transfer.
fn no_full_copy(lab: &Lab, i: usize) -> Result<(), String> {
    if log_since_start(lab, i).contains("rsync SST completed on joiner") {
        Err(format!("{} received a full SST", NODES[i]))
    } else {
        Ok(())
    }
}

/// Container id and start time of the given nodes: unchanged means untouched.
fn started(lab: &Lab, nodes: &[usize]) -> Vec<String> {
    nodes
        .iter()
        .map(|&i| {
            let format = "'{{.Id}} {{.State.StartedAt}}'";
            let c = container(NODES[i]);
            lab.ssh_ok(HOSTS[i], &format!("docker inspect -f {format} {c}"))
        })
        .collect()
}

fn bootstrap_node(stdout: &str) -> usize {
    let name = stdout
        .lines()
        .find_map(|l| l.strip_prefix("choice: bootstrap from "))
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no bootstrap choice in:\n{stdout}"));
    NODES
        .iter()
        .position(|n| *n == name)
        .unwrap_or_else(|| panic!("unknown node {name}"))
}

/// One crash round; returns (acknowledged rows, rows lost, Primary components seen).
/// The host commands in a text (a plan's lines, or the runner's debug log of what it ran):
/// each from its `[host]` on, sorted (steps on different hosts run in parallel).
fn host_commands(text: &str) -> Vec<String> {
    let mut lines: Vec<String> = text
        .lines()
        // A dry-run's plan ends where its compensation (run only on a failure) or its
        // pc.recovery fall-back (run only if the cluster does not re-form) begins.
        .take_while(|l| {
            !l.starts_with("# on failure or interrupt")
                && !l.starts_with("if no Primary component re-forms")
        })
        .filter_map(|l| l.find("[10.77.0.").map(|k| l[k..].trim_end().to_string()))
        .filter(|l| l.contains("  # "))
        .collect();
    lines.sort();
    lines
}

fn crash_round(lab: &Lab, inv: &Path, root: &str, round: u64) -> (usize, usize, usize) {
    let before = cluster_uuid(root, 0);
    let writer = start_writer(root, round * 1_000_000);
    writer.wait_for(40);
    kill_all(lab);
    let acked = writer.finish_ids();
    // What --dry-run prints is what runs: every command printed, and (unless pc.recovery fell
    // back to a bootstrap, which plans again) nothing else.
    let dry = recover(inv, &["--dry-run"]);
    assert_eq!(dry.code, 0, "{}\n{}", dry.stdout, dry.stderr);
    let run = recover(inv, &["-v"]);
    assert_eq!(
        run.code, 0,
        "round {round}: recover failed:\n{}\n{}",
        run.stdout, run.stderr
    );
    let printed = host_commands(&dry.stdout);
    let ran = host_commands(&run.stderr);
    assert!(
        !printed.is_empty(),
        "--dry-run printed no command:\n{}",
        dry.stdout
    );
    for command in &printed {
        assert!(
            ran.contains(command),
            "round {round}: printed but not run: {command}\nran:\n{}",
            ran.join("\n")
        );
    }
    if !run.stderr.contains("pc.recovery did not re-form") {
        assert_eq!(ran, printed, "round {round}: run differs from --dry-run");
    }
    eprintln!(
        "round {round}: {} acknowledged, recovered in {:.1}s",
        acked.len(),
        run.took.as_secs_f64()
    );
    let lost = assert_rows_everywhere(root, &acked, &[0, 1, 2]);
    let mut components = BTreeSet::new();
    for i in 0..3 {
        assert_eq!(
            wsrep(HOSTS[i], PORT, root, "wsrep_cluster_size").as_deref(),
            Some("3")
        );
        assert_eq!(
            cluster_uuid(root, i),
            before,
            "{}: not the cluster UUID of before the crash",
            NODES[i]
        );
        if wsrep(HOSTS[i], PORT, root, "wsrep_cluster_status").as_deref() == Some("Primary") {
            components.insert(wsrep(HOSTS[i], PORT, root, "wsrep_cluster_conf_id"));
        }
    }
    if run.stdout.contains("path: pc.recovery") {
        // Every node restarted at its own recovered seqno: laggards by IST, none by a full copy.
        for i in 0..3 {
            no_full_copy(lab, i).unwrap_or_else(|e| panic!("round {round}: {e}\n{}", run.stdout));
        }
    } else {
        let chosen = bootstrap_node(&run.stdout);
        for i in (0..3).filter(|i| *i != chosen) {
            caught_up_by_ist(lab, i)
                .unwrap_or_else(|e| panic!("round {round}: {e}\n{}", run.stdout));
        }
    }
    (acked.len(), lost, components.len())
}

#[test]
fn recover_on_the_lab() {
    let Some(lab) = Lab::find() else { return };
    let root = lab.secret("root-password");
    let dir = scratch("e2e_recover");
    let inv = inventory(&lab, &dir, false);
    lab.wipe_cluster(CLUSTER);

    let up = galeractl_run(&["up", &inv.display().to_string()]);
    assert_eq!(up.code, 0, "up failed:\n{}\n{}", up.stdout, up.stderr);
    sql(
        HOSTS[0],
        PORT,
        &root,
        &[
            "create database recov",
            "create table recov.acked (id bigint unsigned primary key, via varchar(8) not null)",
        ],
    );

    // 1. Crash rounds.
    let rounds: u64 = std::env::var("RECOVER_CRASH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let (mut recovered, mut lost, mut seen) = (0, 0, BTreeSet::new());
    for round in 1..=rounds {
        let (_, l, c) = crash_round(&lab, &inv, &root, round);
        recovered += 1;
        lost += l;
        seen.insert(c);
    }
    println!(
        "tally: rounds recovered {recovered}/{rounds}; acknowledged rows lost {lost}; Primary components seen per round {seen:?}"
    );
    if std::env::var("RECOVER_E2E_PART").is_ok_and(|p| p == "crash") {
        lab.wipe_cluster(CLUSTER);
        return;
    }

    // 2. Uneven nodes: nodec, then nodea stop cleanly while writes go on; nodeb, alone and
    // most advanced, is killed. The choice must be nodeb, not the first in inventory order.
    let writer = start_writer(&root, 90_000_000);
    writer.wait_for(20);
    lab.ssh_ok(HOSTS[2], &format!("docker stop {}", container("nodec")));
    writer.wait_for(20);
    lab.ssh_ok(HOSTS[0], &format!("docker stop {}", container("nodea")));
    writer.wait_for(20);
    lab.ssh_ok(HOSTS[1], &format!("docker kill {}", container("nodeb")));
    let acked = writer.finish_ids();
    let dry = recover(&inv, &["--dry-run"]);
    eprintln!("uneven nodes, recover --dry-run:\n{}", dry.stdout);
    assert_eq!(dry.code, 0, "{}\n{}", dry.stdout, dry.stderr);
    assert!(
        dry.stdout.contains("choice: bootstrap from nodeb at "),
        "{}",
        dry.stdout
    );
    assert!(
        dry.stdout
            .contains("would run (--dry-run: nothing was changed):"),
        "{}",
        dry.stdout
    );
    // The same dry-run as JSON: the choice, and the plan whose commands the text printed.
    let json = recover(&inv, &["--dry-run", "--json"]);
    assert_eq!(json.code, 0, "{}\n{}", json.stdout, json.stderr);
    let doc: serde_json::Value = serde_json::from_str(&json.stdout)
        .unwrap_or_else(|e| panic!("recover --dry-run --json: {e}\n{}", json.stdout));
    assert!(
        doc["choice"][0]
            .as_str()
            .is_some_and(|c| c.starts_with("choice: bootstrap from nodeb at ")),
        "{doc}"
    );
    let argvs: Vec<&serde_json::Value> = doc["plan"]["stages"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|s| s["steps"].as_array().into_iter().flatten())
        .map(|s| &s["argv"])
        .collect();
    assert_eq!(
        argvs.len(),
        host_commands(&dry.stdout).len(),
        "JSON and text plans differ:\n{doc}\n{}",
        dry.stdout
    );
    let run = recover(&inv, &[]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_rows_everywhere(&root, &acked, &[0, 1, 2]);

    // 3. Refusal: nodec's host does not answer. Nothing changes; --force recovers the others.
    kill_all(&lab);
    let state = |lab: &Lab| -> Vec<String> {
        (0..2)
            .map(|i| {
                lab.ssh_ok(HOSTS[i], &format!(
                    "docker inspect -f '{{{{.Id}}}} {{{{.State.Status}}}} {{{{.State.StartedAt}}}}' {c}; cat /etc/galeractl/{CLUSTER}/{n}.cnf; docker run --rm -v {c}-data:/var/lib/mysql:ro --entrypoint cat galeractl-lab/galera:10.11 /var/lib/mysql/grastate.dat",
                    c = container(NODES[i]), n = NODES[i]
                ))
            })
            .collect()
    };
    let before = state(&lab);
    let unreach = inventory(&lab, &dir, true);
    let refused = recover(&unreach, &["--connect-timeout", "3"]);
    eprintln!(
        "unreachable host, recover: exit {}\n{}{}",
        refused.code, refused.stdout, refused.stderr
    );
    assert_eq!(refused.code, 3, "{}\n{}", refused.stdout, refused.stderr);
    assert!(
        refused
            .stderr
            .contains("cannot read the position of nodec (host 10.77.0.99"),
        "{}",
        refused.stderr
    );
    assert!(
        refused.stderr.contains("nothing was changed"),
        "{}",
        refused.stderr
    );
    assert_eq!(state(&lab), before, "a refused recover changed something");
    // --force alone does not give a node up; --force-without names it, and starts a new
    // history so that nodec can never rejoin by IST on top of transactions the others lack.
    let forced = recover(&unreach, &["--connect-timeout", "3", "--force", "--yes"]);
    assert_eq!(forced.code, 3, "{}\n{}", forced.stdout, forced.stderr);
    assert_eq!(state(&lab), before, "a refused recover changed something");
    let old_uuid = {
        let g = &before[0];
        g.lines()
            .find_map(|l| l.strip_prefix("uuid:"))
            .map(|u| u.trim().to_string())
            .unwrap_or_default()
    };
    let forced = recover(
        &unreach,
        &[
            "--connect-timeout",
            "3",
            "--force-without",
            "nodec",
            "--yes",
        ],
    );
    assert_eq!(forced.code, 0, "{}\n{}", forced.stdout, forced.stderr);
    assert!(
        forced
            .stdout
            .contains("--force-without nodec: given up; the cluster starts a NEW history"),
        "{}",
        forced.stdout
    );
    assert!(
        forced
            .stdout
            .contains("(a NEW history, as --force-without asked; it was"),
        "{}",
        forced.stdout
    );
    for host in &HOSTS[..2] {
        assert_eq!(
            wsrep(host, PORT, &root, "wsrep_cluster_size").as_deref(),
            Some("2"),
            "{host}"
        );
        let uuid = wsrep(host, PORT, &root, "wsrep_cluster_state_uuid").unwrap_or_default();
        assert!(
            !old_uuid.is_empty() && uuid != old_uuid,
            "{host}: {uuid} is the old history"
        );
    }

    // 4. Partially running: nodea and nodeb serve; nodec (still down, of the old history) is
    // refused until --force, then started alone as a joiner by a full copy; the running
    // containers are untouched.
    let ids = started(&lab, &[0, 1]);
    let refused = recover(&inv, &[]);
    assert_eq!(refused.code, 3, "{}\n{}", refused.stdout, refused.stderr);
    assert!(
        refused
            .stderr
            .contains("holds another history than the running Primary"),
        "{}",
        refused.stderr
    );
    let partial = recover(&inv, &["--force", "--yes"]);
    assert_eq!(partial.code, 0, "{}\n{}", partial.stdout, partial.stderr);
    assert!(
        partial.stdout.contains(
            "choice: no bootstrap; nodea, nodeb serve a Primary component; start nodec as joiner"
        ),
        "{}",
        partial.stdout
    );
    assert_eq!(started(&lab, &[0, 1]), ids, "a running node was restarted");
    for host in HOSTS {
        assert_eq!(
            wsrep(host, PORT, &root, "wsrep_cluster_size").as_deref(),
            Some("3"),
            "{host}"
        );
    }

    // 5. One node stopped cleanly (`docker stop`): recover starts only it.
    lab.ssh_ok(HOSTS[1], &format!("docker stop {}", container("nodeb")));
    let ids = started(&lab, &[0, 2]);
    let one = recover(&inv, &[]);
    assert_eq!(one.code, 0, "{}\n{}", one.stdout, one.stderr);
    assert!(
        one.stdout.contains("start nodeb as joiner"),
        "{}",
        one.stdout
    );
    assert_eq!(started(&lab, &[0, 2]), ids, "a running node was restarted");
    caught_up_by_ist(&lab, 1).unwrap_or_else(|e| panic!("{e}"));

    // 6. A node that waits non-Primary (as after a power cut that hit while the cluster
    // re-formed): every node killed under writes, then only nodea started by hand; it restores
    // its saved view and waits for the others, its SQL port closed. recover stops it, reads
    // every position again, and brings the cluster back with its history.
    let before = cluster_uuid(&root, 0);
    let writer = start_writer(&root, 95_000_000);
    writer.wait_for(30);
    kill_all(&lab);
    let acked = writer.finish_ids();
    lab.ssh_ok(HOSTS[0], &format!("docker start {}", container("nodea")));
    wait_until("nodea waiting non-Primary", Duration::from_secs(60), || {
        lab.ssh_ok(
            HOSTS[0],
            &format!("docker logs --tail 50 {} 2>&1", container("nodea")),
        )
        .contains("status: non-primary")
    });
    let up = galeractl_run(&["up", &inv.display().to_string()]);
    assert_eq!(up.code, 3, "{}\n{}", up.stdout, up.stderr);
    assert!(
        up.stderr
            .contains("every running node waits non-Primary (nodea: its last view")
            && up.stderr.contains("run `galeractl recover`"),
        "{}",
        up.stderr
    );
    let waiting = recover(&inv, &[]);
    assert_eq!(waiting.code, 0, "{}\n{}", waiting.stdout, waiting.stderr);
    assert!(
        waiting
            .stdout
            .contains("choice: nothing serves and nodea waits non-Primary: stop it"),
        "{}",
        waiting.stdout
    );
    assert!(
        waiting.stdout.contains("(kept: same history)"),
        "{}",
        waiting.stdout
    );
    assert_eq!(cluster_uuid(&root, 2), before);
    assert_rows_everywhere(&root, &acked, &[0, 1, 2]);
    lab.wipe_cluster(CLUSTER);
}
