//! End to end on the lab: a probe says why a node gave no status, and a node that refuses the
//! monitoring user counts as serving. With a monitor password file that no longer matches the
//! cluster's, `status` says "access denied" per node and names the file, `start-node` of a
//! killed node names the cause and does not advise `recover`, and `up` changes nothing. Then
//! garbd watched while `up` waits: an image without garbd fails in preflight, and a garbd that
//! exits at once fails the wait within seconds, with its log.
//!
//! The wrong password lives in a file of the test's own (the inventory points at it), so the
//! lab's shared secret is never rewritten: nothing to restore if the test stops half-way.

mod support;
use std::time::{Duration, Instant};

use support::lab::{Lab, HOSTS};
use support::*;

const CLUSTER: &str = "probetest";
const PORTS: [u16; 4] = [4456, 5737, 5614, 5738];
const ARB_CLUSTER: &str = "probearb";
const ARB_PORTS: [u16; 4] = [4546, 5827, 5704, 5828];
/// garbd's own port for `ARB_CLUSTER` (not the default: e2e_arbitrator's garbd may run).
const ARB_PORT: u16 = 5829;

fn run(args: &[&str]) -> (i32, String, String) {
    let out = galeractl(args);
    (
        out.status.code().unwrap_or(-1),
        text(&out.stdout),
        text(&out.stderr),
    )
}

/// The cluster's inventory with its monitor password file replaced by `file`.
fn with_monitor_file(good: &str, file: &std::path::Path) -> String {
    let mut out = String::new();
    for line in good.lines() {
        if line.starts_with("monitor_password_file") {
            out.push_str(&format!("monitor_password_file = \"{}\"\n", file.display()));
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

#[test]
fn nodes_that_refuse_the_monitoring_user_are_serving_and_the_file_is_named() {
    let Some(lab) = Lab::find() else { return };
    lab.wipe_cluster(CLUSTER);
    let dir = scratch("probes");
    let good_text = lab.cluster_inventory(CLUSTER, PORTS);
    let good = dir.join("good.toml");
    std::fs::write(&good, &good_text).unwrap_or_else(|e| panic!("write: {e}"));
    let good = good.display().to_string();
    let (code, _, stderr) = run(&["up", &good]);
    assert_eq!(code, 0, "up: {stderr}");

    // Another password in a file of its own (0600, as validation wants).
    let wrong_file = dir.join("secrets/monitor-password");
    secret(&wrong_file, 0o600);
    let wrong = dir.join("wrong.toml");
    std::fs::write(&wrong, with_monitor_file(&good_text, &wrong_file))
        .unwrap_or_else(|e| panic!("write: {e}"));
    let wrong = wrong.display().to_string();
    let file = wrong_file.display().to_string();

    // status: each node is access-denied, the file is named, the exit code says "no status".
    let (code, stdout, stderr) = run(&["status", &wrong]);
    assert_eq!(code, 2, "{stdout}{stderr}");
    let denied_rows = stdout
        .lines()
        .filter(|l| l.split_whitespace().nth(3) == Some("access-denied"))
        .count();
    assert_eq!(denied_rows, 3, "{stdout}");
    assert!(
        stdout.contains(&format!(
            "the password in {file} (cluster.monitor_password_file)"
        )),
        "{stdout}"
    );
    let (code, json, _) = run(&["status", &wrong, "--json"]);
    assert_eq!(code, 2, "{json}");
    let doc: serde_json::Value =
        serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}: {json}"));
    for n in 0..3 {
        assert_eq!(
            doc["nodes"][n]["no_answer"]["kind"], "access_denied",
            "{doc}"
        );
        assert_eq!(doc["nodes"][n]["container"], "running", "{doc}");
    }

    // start-node of a killed node: refused, the cause named, no advice to recover.
    lab.ssh_ok(HOSTS[1], &format!("docker kill {CLUSTER}-nodeb"));
    let (code, stdout, stderr) = run(&["start-node", "nodeb", "-i", &wrong]);
    assert_eq!(code, 3, "{stdout}{stderr}");
    assert!(
        stderr.contains("nodea, nodec run and answer SQL but refuse the monitoring user"),
        "{stderr}"
    );
    assert!(stderr.contains(&file), "{stderr}");
    assert!(!stderr.contains("recover"), "{stderr}");

    // up: refused, nothing changed (no bootstrap, no advice to recover).
    let (code, _, stderr) = run(&["up", &wrong]);
    assert_eq!(code, 3, "{stderr}");
    assert!(
        stderr.contains("containers run and answer SQL, but refuse the monitoring user"),
        "{stderr}"
    );
    assert!(!stderr.contains("galeractl recover"), "{stderr}");

    // recover --dry-run: refused whatever is forced.
    let (code, _, stderr) = run(&["recover", &wrong, "--dry-run", "--force"]);
    assert_eq!(code, 3, "{stderr}");
    assert!(stderr.contains("refuse the monitoring user"), "{stderr}");

    // With the right file, the node comes back.
    let (code, stdout, stderr) = run(&["start-node", "nodeb", "-i", &good]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    lab.wipe_cluster(CLUSTER);
}

/// Two nodes of `ARB_CLUSTER` (hosts 1 and 2), with `arbitrator` appended.
fn arbitrator_inventory(lab: &Lab, dir: &std::path::Path, name: &str, arbitrator: &str) -> String {
    let full = lab.cluster_inventory(ARB_CLUSTER, ARB_PORTS);
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

fn arbitrator(host: &str, image: &str) -> String {
    format!("[arbitrator]\nhost = \"{host}\"\nport = {ARB_PORT}\nimage = \"{image}\"\n")
}

/// The lab's garbd image with a `garbd` on the PATH that answers `--version` as the real one
/// does and otherwise starts the real one with an option it rejects: preflight passes, the
/// container exits at once (the inventory has no way to give garbd options).
const BAD_GARBD: &str = "galeractl-lab/garbd:rejects-options";

fn build_bad_garbd(lab: &Lab) {
    let script = r#"printf '#!/bin/sh\ncase "$1" in --version) exec /usr/bin/garbd "$@";; esac\nexec /usr/bin/garbd --no-such-option "$@"\n' > /usr/local/bin/garbd && chmod 0755 /usr/local/bin/garbd"#;
    lab.ssh_ok(
        HOSTS[2],
        &format!(
            "docker rm -f probes-build >/dev/null 2>&1; \
             docker run --name probes-build --user 0 --entrypoint sh galeractl-lab/garbd:bookworm -c '{}' && \
             docker commit --change 'USER garb' probes-build {BAD_GARBD} >/dev/null && docker rm probes-build >/dev/null",
            script.replace('\'', "'\\''")
        ),
    );
}

#[test]
fn an_arbitrator_without_garbd_fails_preflight_and_one_that_exits_fails_the_wait_at_once() {
    let Some(lab) = Lab::find() else { return };
    lab.wipe_cluster(ARB_CLUSTER);
    let dir = scratch("probes-arbitrator");
    // The two nodes first: their image is then on hosts 1 and 2.
    let nodes = arbitrator_inventory(&lab, &dir, "nodes.toml", "");
    let (code, _, stderr) = run(&["up", &nodes]);
    assert_eq!(code, 0, "up: {stderr}");
    let garbd_exists = |host: &str| {
        !lab.ssh_ok(
            host,
            &format!("docker ps -aq --filter name=^{ARB_CLUSTER}-garbd$"),
        )
        .trim()
        .is_empty()
    };

    // The node image has no garbd (lab/images/galera; only lab/images/garbd has it): preflight
    // refuses before anything changes.
    let node_image = lab
        .cluster_inventory(ARB_CLUSTER, ARB_PORTS)
        .lines()
        .find_map(|l| {
            l.strip_prefix("image = \"")
                .map(|i| i.trim_end_matches('"').to_string())
        })
        .unwrap_or_else(|| panic!("no image in the lab's inventory"));
    let inv = arbitrator_inventory(
        &lab,
        &dir,
        "nogarbd.toml",
        &arbitrator(HOSTS[1], &node_image),
    );
    let (code, _, stderr) = run(&["up", &inv]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("preflight failed; nothing was changed"),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "host {}: arbitrator image {node_image} has no garbd",
            HOSTS[1]
        )),
        "{stderr}"
    );
    assert!(!garbd_exists(HOSTS[1]), "no garbd container was created");

    // garbd that exits at once: the verify fails at its first container check, with garbd's
    // log, instead of after --sync-timeout.
    build_bad_garbd(&lab);
    let inv = arbitrator_inventory(
        &lab,
        &dir,
        "badgarbd.toml",
        &arbitrator(HOSTS[2], BAD_GARBD),
    );
    let started = Instant::now();
    let (code, _, stderr) = run(&["up", &inv, "--sync-timeout", "600"]);
    let took = started.elapsed();
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains(&format!(
            "the arbitrator (garbd): container {ARB_CLUSTER}-garbd on {} ",
            HOSTS[2]
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "--- last lines of {ARB_CLUSTER}-garbd on {}",
            HOSTS[2]
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains("no-such-option"),
        "garbd's own words: {stderr}"
    );
    assert!(took < Duration::from_secs(30), "took {took:?}: {stderr}");
    eprintln!("up with a garbd that exits failed after {took:?}");
    lab.wipe_cluster(ARB_CLUSTER);
    lab.ssh_ok(HOSTS[2], &format!("docker image rm {BAD_GARBD} >/dev/null"));
}
