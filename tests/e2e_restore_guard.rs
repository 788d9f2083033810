//! End to end on the lab (second safety review, L-6): `restore --replace` of a backup whose
//! manifest names another cluster is refused (exit 3, nothing touched) unless
//! `--from-other-cluster`; the free-space preflight of the aside copy runs on each host
//! before the first stop (its dry-run passes on the lab). Cluster "restoreguard", ports
//! 4506/5787/5664/5788.

mod support;

use std::path::Path;

use support::lab::{sql, Lab, HOSTS};
use support::*;

const CLUSTER: &str = "restoreguard";
const PORT: u16 = 4506;

fn inventory(lab: &Lab, dir: &Path) -> String {
    let inv = with_backup_user(
        dir,
        &lab.cluster_inventory(CLUSTER, [PORT, 5787, 5664, 5788]),
        "backup-pw-for-tests",
    );
    let path = dir.join("restoreguard.toml");
    std::fs::write(&path, inv).unwrap_or_else(|e| panic!("{e}"));
    path.display().to_string()
}

#[test]
fn another_clusters_backup_is_refused_and_the_aside_copy_is_measured_first() {
    let Some(lab) = Lab::find() else { return };
    let root = lab.secret("root-password");
    let dir = scratch("e2e_restore_guard");
    let inv = inventory(&lab, &dir);
    lab.wipe_cluster(CLUSTER);
    galeractl_ok(&["up", &inv]);
    sql(
        HOSTS[0],
        PORT,
        &root,
        &[
            "create database rg",
            "create table rg.t (id int primary key)",
            "insert into rg.t values (1)",
        ],
    );
    let to = dir.join("backups");
    std::fs::create_dir_all(&to).unwrap_or_else(|e| panic!("{e}"));
    let out = galeractl_ok(&["backup", &inv, "--to", &to.display().to_string(), "--json"]);
    let doc: serde_json::Value =
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    let backup = doc["directory"].as_str().unwrap_or_default().to_string();
    let manifest = Path::new(&backup).join("manifest.toml");
    let written = std::fs::read_to_string(&manifest).unwrap_or_else(|e| panic!("{e}"));
    let from = format!("cluster = \"{CLUSTER}\"");
    assert!(written.contains(&from), "{written}");
    std::fs::write(&manifest, written.replace(&from, "cluster = \"elsewhere\""))
        .unwrap_or_else(|e| panic!("{e}"));
    let ids = lab.container_ids(CLUSTER);

    for extra in [&["--dry-run"][..], &[][..]] {
        let mut args = vec![
            "restore",
            backup.as_str(),
            inv.as_str(),
            "--replace",
            "--yes",
        ];
        args.extend_from_slice(extra);
        let refused = galeractl(&args);
        let stderr = text(&refused.stderr);
        assert_eq!(
            refused.status.code(),
            Some(3),
            "restore {extra:?}:\n{stderr}"
        );
        assert!(
            stderr.contains("the backup is of cluster elsewhere (its manifest), and the inventory's cluster is restoreguard")
                && stderr.contains("--from-other-cluster"),
            "restore {extra:?}:\n{stderr}"
        );
    }
    assert_eq!(
        lab.container_ids(CLUSTER),
        ids,
        "a refused restore touched the hosts"
    );

    // With the flag: the plan, after the free-space preflight measured every host.
    let plan = galeractl(&[
        "restore",
        &backup,
        &inv,
        "--replace",
        "--from-other-cluster",
        "--dry-run",
    ]);
    assert!(plan.status.success(), "{}", text(&plan.stderr));
    assert!(
        text(&plan.stdout).contains("move the current data aside"),
        "{}",
        text(&plan.stdout)
    );
    assert_eq!(
        lab.container_ids(CLUSTER),
        ids,
        "a dry-run touched the hosts"
    );
    lab.wipe_cluster(CLUSTER);
}
