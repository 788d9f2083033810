//! End to end on the lab (second safety review, M-3): `start-node` creating a node's container
//! from another image passes the rolling upgrade's version guard. 3 nodes on MariaDB 11.8;
//! `stop-node nodec`; the inventory's image set to 10.11; `start-node nodec` refuses (exit 3,
//! the downgrade named), with and without `--dry-run`, and leaves nodec's stopped container as
//! it was; with the 11.8 inventory, `start-node nodec` brings it back. Cluster "startguard",
//! ports 4496/5777/5654/5778.

mod support;

use std::path::Path;

use support::lab::{Lab, HOSTS};
use support::*;

const CLUSTER: &str = "startguard";
const OLD: &str = "galeractl-lab/galera:10.11";
const NEW: &str = "galeractl-lab/galera:11.8";

fn inventory(lab: &Lab, dir: &Path, image: &str) -> String {
    let text = lab
        .cluster_inventory(CLUSTER, [4496, 5777, 5654, 5778])
        .replace(
            &format!("image = \"{OLD}\""),
            &format!("image = \"{image}\""),
        );
    assert!(text.contains(image), "{text}");
    let tag = image.rsplit(':').next().unwrap_or("image");
    let path = dir.join(format!("startguard-{tag}.toml"));
    std::fs::write(&path, text).unwrap_or_else(|e| panic!("{e}"));
    path.display().to_string()
}

#[test]
fn start_node_refuses_a_downgrade_of_a_stopped_node() {
    let Some(lab) = Lab::find() else { return };
    let dir = scratch("e2e_start_node_guard");
    let new = inventory(&lab, &dir, NEW);
    let old = inventory(&lab, &dir, OLD);
    lab.wipe_cluster(CLUSTER);
    galeractl_ok(&["up", &new]);
    galeractl_ok(&["stop-node", "nodec", &new]);
    let inspect = format!(
        "docker inspect -f '{{{{.Id}}}} {{{{.State.Status}}}} {{{{.Config.Image}}}}' {CLUSTER}-nodec"
    );
    let before = lab.ssh_ok(HOSTS[2], &inspect);
    assert!(
        before.contains(" exited ") && before.contains(NEW),
        "{before}"
    );
    for extra in [&["--dry-run"][..], &[][..]] {
        let mut args = vec!["start-node", "nodec", old.as_str()];
        args.extend_from_slice(extra);
        let out = galeractl(&args);
        let stderr = text(&out.stderr);
        assert_eq!(
            out.status.code(),
            Some(3),
            "start-node {extra:?}:\n{stderr}"
        );
        assert!(
            stderr.contains("refusing to create a node's container from the inventory's image")
                && stderr.contains("older than the 11.8."),
            "start-node {extra:?}:\n{stderr}"
        );
    }
    assert_eq!(lab.ssh_ok(HOSTS[2], &inspect), before, "nodec was touched");
    let back = galeractl_ok(&["start-node", "nodec", &new]);
    assert!(back.contains("nodec: Synced in"), "{back}");
    lab.wipe_cluster(CLUSTER);
}
