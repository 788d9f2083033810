//! End to end on the lab (second safety review, L-7): `stop-node`'s quorum arithmetic with
//! `[arbitrator]` in the inventory but no garbd running, and a member the inventory does not
//! name (nodec, left out of the inventory while it runs). The stray must not be taken for the
//! arbitrator: stopping nodeb leaves 1 of 4 members, refused (exit 3), nodec named. Cluster
//! "strayq", ports 4516/5797/5674/5798.

mod support;

use std::path::Path;

use support::lab::{Lab, HOSTS};
use support::*;

const CLUSTER: &str = "strayq";
const PORT: u16 = 4516;

fn inventories(lab: &Lab, dir: &Path) -> (String, String) {
    let three = lab.cluster_inventory(CLUSTER, [PORT, 5797, 5674, 5798]);
    let two: String = three
        .split("[[nodes]]")
        .take(3)
        .collect::<Vec<_>>()
        .join("[[nodes]]");
    assert!(!two.contains("nodec"), "{two}");
    let two = format!(
        "{two}\n[arbitrator]\nhost = \"{}\"\nimage = \"galeractl-lab/garbd:bookworm\"\n",
        HOSTS[2]
    );
    let write = |name: &str, text: &str| {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap_or_else(|e| panic!("{e}"));
        path.display().to_string()
    };
    (write("three.toml", &three), write("two.toml", &two))
}

#[test]
fn a_stray_member_is_not_counted_as_the_arbitrator() {
    let Some(lab) = Lab::find() else { return };
    let dir = scratch("e2e_stray_quorum");
    let (three, two) = inventories(&lab, &dir);
    lab.wipe_cluster(CLUSTER);
    galeractl_ok(&["up", &three]);
    let ids = lab.container_ids(CLUSTER);
    for extra in [&["--dry-run"][..], &[][..]] {
        let mut args = vec!["stop-node", "nodeb", two.as_str()];
        args.extend_from_slice(extra);
        let out = galeractl(&args);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "stop-node {extra:?}:\n{stderr}");
        assert!(
            stderr.contains(
                "1 of 4 members would be Synced and Primary (nodea); a majority of 4 is 3"
            ) && stderr.contains(&format!(
                "the inventory does not name ({}:{PORT})",
                HOSTS[2]
            )) && !stderr.contains("the arbitrator"),
            "stop-node {extra:?}:\n{stderr}"
        );
    }
    assert_eq!(
        lab.container_ids(CLUSTER),
        ids,
        "a refused stop-node touched the hosts"
    );
    // The full inventory: nodeb may stop (2 of 3 left).
    galeractl_ok(&["stop-node", "nodeb", &three]);
    lab.wipe_cluster(CLUSTER);
}
