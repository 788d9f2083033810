//! End to end on the lab: a rolling major upgrade, MariaDB 10.11 to 11.8, of a 3-node cluster
//! with data, a writer through HAProxy all along. `up` with the new image first checks that
//! each node can come back by IST (the gcache, the write rate), replaces the nodes one at a
//! time (the image's entrypoint runs mariadb-upgrade with Galera off), and checks that each
//! came back by IST. After: every node on 11.8, every acknowledged row on every node,
//! `CHECKSUM TABLE` equal; going back to 10.11 is refused. Cluster "upgrade", ports
//! 4426/5707/5584/5708, HAProxy on 3336 (stats 4429, checks 9230).

mod support;

use support::lab::{sql, Lab, HOSTS};
use support::writer::{assert_acked_on, longest_gap, Writer};
use support::*;

const PORT: u16 = 4426;
const PROXY: u16 = 3336;
const TABLE: &str = "upgrade.t";
const OLD: &str = "galeractl-lab/galera:10.11";
const NEW: &str = "galeractl-lab/galera:11.8";

fn inventory(lab: &Lab, dir: &std::path::Path, file: &str, image: &str) -> String {
    let path = lab.inventory_copy(
        "lab.toml",
        dir,
        &[
            ("name = \"local-test\"", "name = \"upgrade\""),
            ("mysql = 4306", "mysql = 4426"),
            ("galera = 5567", "galera = 5707"),
            ("sst = 5444", "sst = 5584"),
            ("ist = 5568", "ist = 5708"),
            ("port = 3306", "port = 3336"),
            ("stats_port = 4399", "stats_port = 4429\ncheck_port = 9230"),
            (
                &format!("image = \"{OLD}\""),
                &format!("image = \"{image}\""),
            ),
        ],
    );
    let to = dir.join(file);
    std::fs::rename(&path, &to).unwrap_or_else(|e| panic!("rename {path}: {e}"));
    to.display().to_string()
}

#[test]
fn rolling_upgrade_from_10_11_to_11_8_under_writes() {
    let Some(lab) = Lab::find() else { return };
    let root = lab.secret("root-password");
    lab.wipe_cluster("upgrade");
    let dir = scratch("upgrade");
    let old = inventory(&lab, &dir, "old.toml", OLD);
    let new = inventory(&lab, &dir, "new.toml", NEW);
    galeractl_ok(&["up", &old]);
    sql(
        HOSTS[0],
        PORT,
        &root,
        &[
            "create database upgrade",
            "create table upgrade.t (id bigint unsigned primary key, via varchar(16) not null)",
        ],
    );
    let writer = Writer::start(PROXY, &root, TABLE, 1, &[0]);
    writer.wait_for(50);

    let dry = galeractl_ok(&["up", &new, "--dry-run"]);
    assert!(
        dry.contains("# note: each replaced node comes back by IST: the gcache keeps 128.0 MiB, write-sets came at "),
        "{dry}"
    );
    assert!(
        dry.contains("#   then wait: nodea caught up by IST (its log), not by a full copy\n"),
        "{dry}"
    );
    let out = galeractl(&["-v", "up", &new]);
    let log = text(&out.stderr);
    assert!(
        out.status.success(),
        "up with 11.8:\n{}\n{log}",
        text(&out.stdout)
    );
    for node in ["nodea", "nodeb", "nodec"] {
        assert!(
            log.contains(&format!(
                "ok: {node} caught up by IST (its log), not by a full copy"
            )),
            "{node} not checked for IST:\n{log}"
        );
    }
    // Each node's replacement: from its clean stop to Synced on 11.8 (upgrade included).
    for line in log
        .lines()
        .filter(|l| l.contains("ok: node") && l.contains(" Primary and Synced ("))
    {
        eprintln!("rolling upgrade, per node: {}", line.trim());
    }
    writer.wait_for(50);
    let acks = writer.finish();
    for host in HOSTS {
        let version = sql(host, PORT, &root, &["select version()"]);
        assert!(version[0][0].starts_with("11.8."), "{host}: {version:?}");
    }
    let longest = longest_gap(&acks);
    eprintln!(
        "rolling upgrade: {} writes acknowledged through HAProxy, longest gap {:.2}s",
        acks.len(),
        longest.as_secs_f64()
    );
    let ids: Vec<u64> = acks.iter().map(|a| a.id).collect();
    assert_acked_on(PORT, &root, TABLE, &ids, &[0, 1, 2]);

    // Back to 10.11: a downgrade across major versions is refused, nothing changed.
    let back = galeractl(&["up", &old]);
    assert_eq!(back.status.code(), Some(3), "{}", text(&back.stderr));
    assert!(
        text(&back.stderr).contains("older than the 11.8."),
        "{}",
        text(&back.stderr)
    );
    lab.wipe_cluster("upgrade");
}
