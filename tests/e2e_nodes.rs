//! End to end on the lab: the seed's failover with `stop-node` / `start-node` (IST, same
//! rows everywhere), the quorum refusal, `status` with a stopped node and with a host that
//! does not answer, and the `--json` document's shape.
// lab-lane: alone (it cuts lab host3 off the network, which every cluster there sees; it also uses lab.toml's own cluster, local-test; lab/run-tests)

mod support;
use std::process::Command;
use std::time::{Duration, Instant};

use support::lab::{sql, wait_until, wsrep, Lab, HOSTS};
use support::*;

fn run(lab: &Lab, args: &[&str]) -> (i32, String, String) {
    let inv = lab.inventory("lab.toml");
    let mut all: Vec<&str> = args.to_vec();
    all.extend_from_slice(&["-i", inv.as_str()]);
    let out = galeractl(&all);
    (
        out.status.code().unwrap_or(-1),
        text(&out.stdout),
        text(&out.stderr),
    )
}

fn rows(host: &str, root: &str) -> Vec<Vec<String>> {
    sql(
        host,
        4306,
        root,
        &["select id, name from hellodb.students order by id"],
    )
}

/// Reconnects the lab host to its network even when an assertion fails while it is cut off.
struct Reconnect;
impl Drop for Reconnect {
    fn drop(&mut self) {
        let _ = Command::new("docker")
            .args([
                "network",
                "connect",
                "--ip",
                HOSTS[2],
                "galeractl-lab",
                "galeractl-lab-host3",
            ])
            .output();
    }
}

#[test]
fn failover_quorum_and_status_on_the_lab() {
    let Some(lab) = Lab::find() else { return };
    let root = lab.secret("root-password");
    lab.wipe_cluster("local-test");
    let inv = lab.inventory("lab.toml");
    let out = galeractl(&["up", inv.as_str()]);
    assert!(out.status.success(), "up: {}", text(&out.stderr));
    sql(
        HOSTS[1],
        4306,
        &root,
        &[
            "create database hellodb",
            "create table hellodb.students (id int unsigned auto_increment not null primary key, name char(30) not null)",
            "insert into hellodb.students (name) values ('Hello')",
        ],
    );

    // The seed's failover: stop nodeb, write elsewhere, look, start it again.
    let (code, stdout, stderr) = run(&lab, &["stop-node", "nodeb"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.starts_with("nodeb: stopped cleanly in "), "{stdout}");
    assert!(
        !stdout.contains("seqno -1") && !stdout.contains("seqno unknown"),
        "{stdout}"
    );
    sql(
        HOSTS[0],
        4306,
        &root,
        &["insert into hellodb.students (name) values ('World')"],
    );

    let (code, stdout, _) = run(&lab, &["status"]);
    assert_eq!(code, 1, "degraded is exit 1:\n{stdout}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(
        lines[1].starts_with("nodea  10.77.0.11:4306  running    Synced   Primary  2 "),
        "{stdout}"
    );
    assert!(
        lines[2].starts_with("nodeb  10.77.0.12:4306  exited     refused  -"),
        "{stdout}"
    );
    assert_eq!(
        lines.last().copied(),
        Some("cluster local-test: degraded: nodeb not answering; cluster size 2 of 3")
    );

    // The documented JSON shape.
    let (code, stdout, _) = run(&lab, &["status", "--json"]);
    assert_eq!(code, 1);
    let doc: serde_json::Value =
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    assert_eq!(doc["cluster"], "local-test");
    assert_eq!(doc["exit_code"], 1);
    assert_eq!(doc["verdict"]["verdict"], "degraded");
    assert_eq!(
        doc["verdict"]["reason"],
        "nodeb not answering; cluster size 2 of 3"
    );
    let nodes = doc["nodes"]
        .as_array()
        .unwrap_or_else(|| panic!("nodes: {doc}"));
    assert_eq!(nodes.len(), 3);
    for (n, name) in nodes.iter().zip(["nodea", "nodeb", "nodec"]) {
        assert_eq!(n["name"], name);
        assert_eq!(n["port"], 4306);
        for key in ["host", "container", "wsrep"] {
            assert!(n.get(key).is_some(), "{key} missing in {n}");
        }
    }
    assert!(nodes[1]["wsrep"].is_null() && nodes[1]["error"].is_string());
    assert_eq!(nodes[1]["container"], "exited");
    let w = &nodes[0]["wsrep"];
    assert_eq!(w["local_state"], "Synced");
    assert_eq!(w["cluster_status"], "Primary");
    assert_eq!(w["cluster_size"], 2);
    assert_eq!(w["connected"], true);
    assert_eq!(w["ready"], true);
    assert!(w["last_committed"].is_i64() && w["flow_control_paused"].is_f64());
    assert_eq!(w["cluster_state_uuid"].as_str().map(str::len), Some(36));

    // Quorum: with nodeb down, stopping nodec would leave 1 of 3.
    let (code, _, stderr) = run(&lab, &["stop-node", "nodec"]);
    assert_eq!(code, 3, "{stderr}");
    assert!(
        stderr.contains("refusing to stop nodec: the cluster would lose quorum: after stopping nodec, 1 of 3 members would be Synced and Primary (nodea); a majority of 3 is 2"),
        "{stderr}"
    );
    assert_eq!(
        wsrep(HOSTS[2], 4306, &root, "wsrep_local_state_comment").as_deref(),
        Some("Synced")
    );

    // Stopping a stopped node is not an error.
    let (code, stdout, _) = run(&lab, &["stop-node", "nodeb"]);
    assert_eq!(code, 0);
    assert_eq!(
        stdout,
        "nodeb: already stopped (container local-test-nodeb is exited)\n"
    );

    let (code, stdout, stderr) = run(&lab, &["start-node", "nodeb"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("caught up by IST ("), "{stdout}");
    let a = rows(HOSTS[0], &root);
    assert_eq!(a.len(), 2, "{a:?}");
    assert_eq!(
        a.iter().map(|r| r[1].clone()).collect::<Vec<_>>(),
        vec!["Hello", "World"]
    );
    for host in HOSTS {
        assert_eq!(rows(host, &root), a, "rows on {host}");
    }

    // A host cut off the network: status still answers, within its deadlines.
    let (code, _, _) = run(&lab, &["status"]);
    assert_eq!(code, 0);
    let cut = Reconnect;
    let out = Command::new("docker")
        .args([
            "network",
            "disconnect",
            "galeractl-lab",
            "galeractl-lab-host3",
        ])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(out.status.success());
    let started = Instant::now();
    let (code, stdout, _) = run(
        &lab,
        &["status", "--timeout-ms", "1500", "--connect-timeout", "2"],
    );
    let took = started.elapsed();
    drop(cut);
    assert!(took < Duration::from_secs(12), "status took {took:?}");
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stdout.contains("nodec: no SQL answer: 10.77.0.13:4306: no answer within 1500 ms"),
        "{stdout}"
    );
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("nodec  10.77.0.13:4306  unknown")),
        "{stdout}"
    );
    wait_until(
        "nodec Synced again after its network came back",
        Duration::from_secs(90),
        || {
            wsrep(HOSTS[2], 4306, &root, "wsrep_local_state_comment").as_deref() == Some("Synced")
                && wsrep(HOSTS[0], 4306, &root, "wsrep_cluster_size").as_deref() == Some("3")
        },
    );
}
