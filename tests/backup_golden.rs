//! The plans of `backup` and `restore`, byte for byte (text as `--dry-run` prints them, and
//! JSON), from a fixed inventory, node, file and stamp; and `up`'s plan with a backup user
//! (its files uploaded and mounted beside the SST user's).

mod support;
use std::path::Path;

use galeractl::backup::{self, Format, Manifest, Present};
use support::*;

fn inventory() -> galeractl::inventory::Inventory {
    let path = Path::new("tests/golden/backup.toml");
    let source = std::fs::read_to_string(root().join(path)).unwrap_or_else(|e| panic!("{e}"));
    let parsed = galeractl::inventory::parse(path, &source);
    parsed
        .inventory
        .unwrap_or_else(|| panic!("{:?}", parsed.report.diagnostics))
}

fn manifest() -> Manifest {
    Manifest {
        format: Format::MariabackupXbstream,
        file: backup::PHYSICAL_FILE.into(),
        cluster: "local-test".into(),
        cluster_uuid: "86f148f9-e9b9-11f1-ba3d-7b6b9f1d7b07".into(),
        seqno: 1042,
        server_version: "11.4.5-MariaDB-ubu2404".into(),
        node: "nodec".into(),
        host: "10.10.10.12".into(),
        size: 17_892_975,
        sha256: "ab".repeat(32),
        started: "2026-11-26 16:51:13 UTC".into(),
        ended: "2026-11-26 16:51:16 UTC".into(),
    }
}

fn both(plan: &galeractl::plan::Plan) -> (String, String) {
    let json = serde_json::to_string_pretty(plan).unwrap_or_else(|e| panic!("{e}"));
    (galeractl::plan::render(plan), format!("{json}\n"))
}

#[test]
fn backup_plan_matches_golden() {
    let inv = inventory();
    let node = inv.node("nodec").unwrap_or_else(|| panic!("nodec"));
    let file = Path::new("backups/local-test-20261126T165113Z/backup.xbstream");
    let (text, json) = both(&backup::physical(&inv, node, file, 21600));
    assert_golden("backup.plan", &text);
    assert_golden("backup.plan.json", &json);
}

#[test]
fn restore_plans_match_golden() {
    let inv = inventory();
    let file = Path::new("backups/local-test-20261126T165113Z/backup.xbstream");
    let nothing: Vec<Present> = Vec::new();
    let (fresh, fresh_json) = both(&backup::restore(
        &inv,
        &manifest(),
        file,
        &nothing,
        "20261127T090000Z",
        21600,
    ));
    // --replace: every node has its container and volume but nodeb, whose container is gone.
    let there: Vec<Present> = inv
        .nodes
        .iter()
        .map(|n| Present {
            node: n.name.clone(),
            container: n.name != "nodeb",
            volume: true,
        })
        .collect();
    let (replace, _) = both(&backup::restore(
        &inv,
        &manifest(),
        file,
        &there,
        "20261127T090000Z",
        21600,
    ));
    assert_golden(
        "restore.plans",
        &format!("## onto hosts without the cluster\n{fresh}## --replace\n{replace}"),
    );
    assert_golden("restore.plan.json", &fresh_json);
}

#[test]
fn up_plan_with_a_backup_user_matches_golden() {
    let out = galeractl(&["plan", "tests/golden/backup.toml"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_golden("backup-user.plan", &text(&out.stdout));
}

/// A step whose output lands in a local file is printed as a command to paste on this
/// machine, quoted once more for the remote shell: pasted into a shell (with `ssh` standing in
/// as a function that runs its command locally), it writes the remote command's output to the
/// file.
#[test]
fn a_local_file_step_renders_pasteable() {
    use galeractl::plan::{Stdout, Step};
    let dir = scratch("local_file_step");
    let mut step = Step::on_host(
        "db1",
        "dump".into(),
        vec!["sh".into(), "-c".into(), "echo 'a b' | tr a-z A-Z".into()],
        None,
    );
    step.stdout = Some(Stdout::LocalFile("out dir/x.sql".into()));
    let line = galeractl::plan::render_step_line(&step);
    let command = line
        .strip_prefix("[db1] ")
        .and_then(|l| l.strip_suffix("  # dump\n"))
        .unwrap_or_else(|| panic!("{line}"));
    assert!(command.starts_with("ssh db1 '"), "{command}");
    std::fs::create_dir_all(dir.join("out dir")).unwrap_or_else(|e| panic!("{e}"));
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("ssh() {{ shift; sh -c \"$*\"; }}; {command}"))
        .current_dir(&dir)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let written = std::fs::read_to_string(dir.join("out dir/x.sql")).unwrap_or_default();
    assert_eq!(written, "A B\n", "{command}");
}

/// `backup --logical` and the restore of its dump: the same desync around the copy; the dump
/// loaded into the bootstrapped first node before the others join.
#[test]
fn logical_plans_match_golden() {
    let inv = inventory();
    let node = inv.node("nodec").unwrap_or_else(|| panic!("nodec"));
    let file = Path::new("backups/local-test-20261126T165113Z/dump.sql");
    let (dump, _) = both(&backup::logical(&inv, node, file, 21600));
    let logical = Manifest {
        format: Format::MariadbDumpSql,
        file: backup::LOGICAL_FILE.into(),
        ..manifest()
    };
    let mut restore = backup::restore(&inv, &logical, file, &[], "20261127T090000Z", 21600);
    let titles: Vec<&str> = restore.stages.iter().map(|s| s.title.as_str()).collect();
    assert_eq!(
        titles,
        [
            "prepare the hosts",
            "bootstrap a new cluster from nodea",
            "load the logical backup into nodea",
            "let the monitoring user see table definitions (for doctor)",
            "join nodeb",
            "join nodec",
            "make nodea a normal member, and free the joiners' choice of donor (config files, no restart)",
            "record the cluster's history (its state UUID) on the hosts",
            "verify",
        ]
    );
    // The load stage alone (the others are `up`'s, in restore.plans).
    restore.stages = restore.stages.split_off(2);
    restore.stages.truncate(1);
    restore.on_failure.clear();
    let (load, _) = both(&restore);
    assert_golden(
        "logical.plans",
        &format!("## backup --logical\n{dump}## restore: its load stage\n{load}"),
    );
}

/// M-1 and M-8: with `[haproxy]` and `[arbitrator]`, a logical `restore --replace` drains every
/// node before its first change and undrains them after the verify (and on a failure), and
/// removes garbd before the nodes stop, deploying it again before the verify that counts it.
#[test]
fn a_restore_behind_a_proxy_with_an_arbitrator_matches_golden() {
    let path = Path::new("tests/golden/backup.toml");
    let source = std::fs::read_to_string(root().join(path)).unwrap_or_else(|e| panic!("{e}"));
    let source = format!(
        "{source}\n[haproxy]\nhost = \"10.10.10.20\"\nimage = \"haproxy:2.8\"\nstats_password_file = \"/etc/galeractl-secrets/stats\"\n\n[arbitrator]\nhost = \"10.10.10.21\"\nimage = \"galera-arbitrator:26.4\"\n"
    );
    let parsed = galeractl::inventory::parse(path, &source);
    let inv = parsed
        .inventory
        .unwrap_or_else(|| panic!("{:?}", parsed.report.diagnostics));
    let file = Path::new("backups/local-test-20261126T165113Z/dump.sql");
    let logical = Manifest {
        format: Format::MariadbDumpSql,
        file: backup::LOGICAL_FILE.into(),
        ..manifest()
    };
    let there: Vec<Present> = inv
        .nodes
        .iter()
        .map(|n| Present {
            node: n.name.clone(),
            container: true,
            volume: true,
        })
        .collect();
    let plan = backup::restore(&inv, &logical, file, &there, "20261127T090000Z", 21600);
    let titles: Vec<&str> = plan.stages.iter().map(|s| s.title.as_str()).collect();
    assert_eq!(
        titles.first().copied(),
        Some("drain every node: HAProxy sends no client to the cluster until the restore is verified")
    );
    assert_eq!(
        titles[titles.len() - 2..],
        [
            "verify",
            "undrain every node: HAProxy sends clients to the restored cluster"
        ]
    );
    let load = titles
        .iter()
        .position(|t| t.starts_with("load the logical backup"))
        .unwrap_or_else(|| panic!("{titles:?}"));
    assert!(load > 0 && load < titles.len() - 2, "{titles:?}");
    assert_golden("restore-proxy-arbitrator.plan", &both(&plan).0);
}

/// `backup --on-host`: the copy and its check on the node's host, the manifest captured here;
/// on a failure, the copy and the check stopped there before the node is brought back in sync
/// and the directory removed.
#[test]
fn on_host_plan_matches_golden() {
    let inv = inventory();
    let node = inv.node("nodec").unwrap_or_else(|| panic!("nodec"));
    let plan = backup::on_host(
        &inv,
        node,
        "/srv/backups/local-test-20261126T165113Z",
        Path::new("backups/local-test-20261126T165113Z/manifest.toml"),
        "2026-11-26 16:51:13 UTC",
        21600,
    );
    assert_golden("on-host.plan", &both(&plan).0);
}
