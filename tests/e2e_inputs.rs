//! End to end on the lab: the safety review's L-1 (issue 28), on a cluster of its own
//! ("inputs", ports 4536/5817/5694/5818). galeractl force-removes a leftover one-off container
//! by name only when it carries the one-off label: with every node stopped, `recover --dry-run`
//! reads the positions through one-off containers named `<container>-recover`;
//! 1. a foreign container that holds nodea's one-off name (no label) keeps running;
//! 2. a leftover one-off (cluster and one-off labels) is removed and the read succeeds.

mod support;
use std::path::PathBuf;

use support::lab::{Lab, HOSTS};
use support::writer::NODES;
use support::*;

const CLUSTER: &str = "inputs";
const IMAGE: &str = "galeractl-lab/galera:10.11";

fn inventory(lab: &Lab) -> PathBuf {
    let dir = scratch("e2e_inputs");
    let path = dir.join("inputs.toml");
    let inv = lab.cluster_inventory(CLUSTER, [4536, 5817, 5694, 5818]);
    std::fs::write(&path, inv).unwrap_or_else(|e| panic!("{e}"));
    path
}

fn run(args: &[&str]) -> (i32, String, String) {
    let out = galeractl(args);
    (
        out.status.code().unwrap_or(-1),
        text(&out.stdout),
        text(&out.stderr),
    )
}

/// The name of nodea's one-off, which the test's own containers take.
fn oneoff() -> String {
    format!("{CLUSTER}-{}-recover", NODES[0])
}

/// Starts a sleeping container named like nodea's one-off on its host, with `labels`.
fn squat(lab: &Lab, labels: &str) {
    lab.ssh_ok(
        HOSTS[0],
        &format!(
            "docker run -d --name {} {labels} --network none --entrypoint sleep {IMAGE} 3600",
            oneoff()
        ),
    );
}

fn running(lab: &Lab) -> String {
    lab.ssh(
        HOSTS[0],
        &format!("docker inspect -f '{{{{.State.Running}}}}' {}", oneoff()),
    )
    .stdout
    .iter()
    .map(|b| *b as char)
    .collect::<String>()
    .trim()
    .to_string()
}

#[test]
fn only_a_labelled_one_off_is_force_removed() {
    let Some(lab) = Lab::find() else { return };
    let inv = inventory(&lab);
    let path = inv.display().to_string();
    lab.wipe_cluster(CLUSTER);
    let _ = lab.ssh(HOSTS[0], &format!("docker rm -f {}", oneoff()));

    let (code, stdout, stderr) = run(&["up", &path]);
    assert_eq!(code, 0, "up failed:\n{stdout}\n{stderr}");
    for (host, node) in HOSTS.iter().zip(NODES) {
        lab.ssh_ok(host, &format!("docker stop --time 120 {CLUSTER}-{node}"));
    }

    // 1. A container of someone else's with the one-off's name: left alone.
    squat(&lab, "");
    let (_, stdout, stderr) = run(&["recover", &path, "--dry-run"]);
    assert_eq!(
        running(&lab),
        "true",
        "the foreign container was removed:\n{stdout}\n{stderr}"
    );
    lab.ssh_ok(HOSTS[0], &format!("docker rm -f {}", oneoff()));

    // 2. A leftover one-off of this cluster: removed, then the read goes on.
    squat(
        &lab,
        &format!("--label io.galeractl.cluster={CLUSTER} --label io.galeractl.role=oneoff"),
    );
    let (code, stdout, stderr) = run(&["recover", &path, "--dry-run"]);
    assert_eq!(code, 0, "recover --dry-run:\n{stdout}\n{stderr}");
    assert!(
        stderr.contains(&format!("removing a leftover {}", oneoff())),
        "{stderr}"
    );
    assert_eq!(running(&lab), "", "the leftover one-off is still there");

    let _ = lab.ssh(HOSTS[0], &format!("docker rm -f {}", oneoff()));
    lab.wipe_cluster(CLUSTER);
}
