//! End to end on the lab: `backup` and `restore` on a cluster of their own ("backup", ports
//! 4406/5687/5564/5688; its HAProxy on 10.77.0.11 at 3346, stats 4439, health 9240). In order:
//! `up` with a backup user; a backup of the default node (nodec, the last Synced one, not the
//! proxy's writer) while a writer writes through the proxy: no pause between acknowledged
//! writes longer than 1 s, and nodec is back to wsrep_desync=OFF; a
//! backup interrupted by SIGINT mid-stream: exit 130, nodec back to OFF, the incomplete
//! backup removed; then rows written, a backup, more rows, `restore` refused on a cluster with
//! data, `restore --replace`: exactly the rows up to the backup's position on every node, the
//! same CHECKSUM TABLE as at the backup, the cluster in a new history (not the manifest's UUID),
//! and the old data kept in aside volumes.

mod support;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::lab::{sql, wait_until, wsrep, Lab, HOSTS};
use support::writer::{longest_gap_between, Writer};
use support::*;

const CLUSTER: &str = "backup";
const PORT: u16 = 4406;
/// The cluster's HAProxy, on HOSTS[0].
const PROXY_PORT: u16 = 3346;

fn inventory(lab: &Lab, dir: &Path) -> String {
    let password = dir.join("backup-password");
    std::fs::write(&password, "backup-pw-for-tests\n").unwrap_or_else(|e| panic!("{e}"));
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&password, std::fs::Permissions::from_mode(0o600))
        .unwrap_or_else(|e| panic!("{e}"));
    let inv = lab
        .cluster_inventory(CLUSTER, [PORT, 5687, 5564, 5688])
        .replace(
            "distribute_image = true\n",
            &format!(
                "distribute_image = true\nbackup_password_file = \"{}\"\n",
                password.display()
            ),
        );
    assert!(inv.contains("backup_password_file"), "{inv}");
    let inv = format!(
        "{inv}\n[haproxy]\nhost = \"{}\"\nimage = \"galeractl-lab/haproxy:2.6\"\nport = {PROXY_PORT}\nstats_port = 4439\ncheck_port = 9240\nstats_user = \"admin\"\nstats_password_file = \"{}\"\n",
        HOSTS[0],
        lab.out.join("secrets/haproxy-stats-password").display()
    );
    let path = dir.join("backup.toml");
    std::fs::write(&path, inv).unwrap_or_else(|e| panic!("{e}"));
    path.display().to_string()
}

fn desync(root: &str, host: &str) -> String {
    sql(
        host,
        PORT,
        root,
        &["show global variables like 'wsrep_desync'"],
    )
    .first()
    .and_then(|r| r.get(1).cloned())
    .unwrap_or_default()
}

/// The backup directories under `dir`.
fn backups(dir: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    found.sort();
    found
}

/// `backup --json` into `to`: the backup's directory and its manifest (as JSON).
fn backup(inv: &str, to: &Path) -> (PathBuf, serde_json::Value) {
    let doc = backup_json(inv, to, &[]);
    let dir = PathBuf::from(doc["directory"].as_str().unwrap_or_default());
    (dir, doc["manifest"].clone())
}

/// `backup --json` into `to` with more arguments: its JSON document.
fn backup_json(inv: &str, to: &Path, more: &[&str]) -> serde_json::Value {
    let to = to.display().to_string();
    let mut args = vec!["backup", inv, "--to", &to, "--json"];
    args.extend(more);
    let out = galeractl_ok(&args);
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

fn one(host: &str, root: &str, query: &str) -> String {
    sql(host, PORT, root, &[query])
        .first()
        .and_then(|r| r.first().cloned())
        .unwrap_or_default()
}

#[test]
fn backup_and_restore_on_the_lab() {
    let Some(lab) = Lab::find() else { return };
    let root = lab.secret("root-password");
    let dir = scratch("e2e_backup");
    let inv = inventory(&lab, &dir);
    lab.wipe_cluster(CLUSTER);
    galeractl_ok(&["up", &inv]);
    let mut statements = vec![
        "create database bk",
        "create table bk.load (id bigint unsigned primary key, via varchar(8) not null)",
        "create table bk.rows (id int unsigned primary key, v varchar(100) not null)",
        "create table bk.pad (id int auto_increment primary key, v varchar(1000) not null)",
        "insert into bk.pad (v) values (repeat('x', 1000))",
    ];
    statements.extend(["insert into bk.pad (v) select v from bk.pad"; 15]);
    sql(HOSTS[0], PORT, &root, &statements);

    // The backup user: mariabackup's privileges and the desync procedure, on localhost only.
    let grants = sql(
        HOSTS[0],
        PORT,
        &root,
        &["show grants for 'galeractl_backup'@'localhost'"],
    );
    let grants: Vec<String> = grants
        .iter()
        .map(|r| {
            r[0].split(" IDENTIFIED")
                .next()
                .unwrap_or_default()
                .to_string()
        })
        .collect();
    assert_eq!(
        grants,
        vec![
            "GRANT SELECT, RELOAD, PROCESS, LOCK TABLES, BINLOG MONITOR, SHOW VIEW, EVENT, TRIGGER ON *.* TO `galeractl_backup`@`localhost`".to_string(),
            "GRANT EXECUTE ON PROCEDURE `galeractl`.`desync` TO `galeractl_backup`@`localhost`".to_string(),
        ]
    );
    let inspect = lab.ssh_ok(HOSTS[2], &format!("docker inspect {CLUSTER}-nodec"));
    assert!(!inspect.contains("backup-pw-for-tests"));

    // Under writes through the proxy (to nodea, its writer): no stall, nodec back in sync.
    let to = dir.join("backups");
    let writer = Writer::start(PROXY_PORT, &root, "bk.load", 1, &[0]);
    writer.wait_for(20);
    let started = Instant::now();
    let (first, manifest) = backup(&inv, &to);
    let ended = Instant::now();
    // A few writes after the backup's end, so that the window's last gap is closed.
    writer.wait_for(5);
    let acked = writer.finish();
    assert_eq!(manifest["node"], "nodec", "{manifest}");
    assert_eq!(desync(&root, HOSTS[2]), "OFF");
    let (longest, count) = longest_gap_between(&acked, started, ended);
    let longest = longest.as_secs_f64();
    eprintln!(
        "backup under writes: {:.1}s, {} writes acknowledged meanwhile, longest pause {longest:.2}s",
        (ended - started).as_secs_f64(),
        count
    );
    assert!(count > 10, "{count} writes during the backup");
    assert!(
        longest < 1.0,
        "a pause of {longest:.2}s between writes during the backup"
    );
    let manifest_text =
        std::fs::read_to_string(first.join("manifest.toml")).unwrap_or_else(|e| panic!("{e}"));
    assert!(!manifest_text.contains("backup-pw-for-tests"));

    // Interrupted mid-stream: exit 130, nodec in sync again, nothing left behind.
    let before = backups(&to);
    let child = Command::new(env!("CARGO_BIN_EXE_galeractl"))
        .args(["backup", &inv, "--to", &to.display().to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    // The stream's file appears when the copy starts (nodec is desynced by then): interrupt
    // at once, while mariabackup runs.
    let deadline = Instant::now() + Duration::from_secs(60);
    while !backups(&to)
        .iter()
        .any(|d| !before.contains(d) && d.join("backup.xbstream").exists())
    {
        assert!(
            Instant::now() < deadline,
            "the interrupted backup never began its copy"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let pid = child.id().to_string();
    let killed = Command::new("kill").args(["-INT", &pid]).status();
    assert!(killed.is_ok_and(|s| s.success()));
    let out = child.wait_with_output().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.status.code(), Some(130), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("nodec: desync (wsrep_desync=ON"),
        "{}",
        text(&out.stderr)
    );
    assert!(
        text(&out.stderr).contains("on failure, done: [10.77.0.13] nodec: back in sync"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(desync(&root, HOSTS[2]), "OFF");
    assert_eq!(
        backups(&to),
        before,
        "an interrupted backup left its directory"
    );
    wait_until("nodec Synced", Duration::from_secs(60), || {
        wsrep(HOSTS[2], PORT, &root, "wsrep_local_state_comment").as_deref() == Some("Synced")
    });

    // Rows, a backup, more rows; restore gives back exactly the rows of the backup.
    let rows = |from: u32, to: u32| {
        let values: Vec<String> = (from..=to).map(|i| format!("({i}, 'row {i}')")).collect();
        sql(
            HOSTS[0],
            PORT,
            &root,
            &[&format!(
                "insert into bk.rows (id, v) values {}",
                values.join(", ")
            )],
        );
    };
    rows(1, 500);
    let checksum = sql(HOSTS[0], PORT, &root, &["checksum table bk.rows, bk.load"]);
    let (kept, manifest) = backup(&inv, &to);
    let committed: i64 = wsrep(HOSTS[2], PORT, &root, "wsrep_last_committed")
        .and_then(|s| s.parse().ok())
        .unwrap_or(-1);
    let seqno = manifest["seqno"].as_i64().unwrap_or(-2);
    assert_eq!(
        seqno, committed,
        "the manifest's seqno against nodec's last committed"
    );
    let uuid = manifest["cluster_uuid"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    rows(501, 800);

    let refused = galeractl(&["restore", &kept.display().to_string(), &inv]);
    assert_eq!(refused.status.code(), Some(3), "{}", text(&refused.stderr));
    assert!(text(&refused.stderr).contains("refusing to restore: cluster backup has data"));
    let restored = galeractl(&[
        "restore",
        &kept.display().to_string(),
        &inv,
        "--replace",
        "--yes",
    ]);
    assert!(
        restored.status.success(),
        "restore --replace: {}\n{}",
        text(&restored.stdout),
        text(&restored.stderr)
    );
    for host in HOSTS {
        assert_eq!(
            one(host, &root, "select count(*) from bk.rows"),
            "500",
            "{host}"
        );
        assert_eq!(
            one(host, &root, "select max(id) from bk.rows"),
            "500",
            "{host}"
        );
        assert_eq!(
            sql(host, PORT, &root, &["checksum table bk.rows, bk.load"]),
            checksum,
            "{host}"
        );
        // A new history (M-1): nothing of the backed-up history can rejoin by IST.
        let restored_uuid = wsrep(host, PORT, &root, "wsrep_cluster_state_uuid");
        assert_ne!(restored_uuid.as_deref(), Some(uuid.as_str()), "{host}");
        assert_eq!(
            restored_uuid,
            wsrep(HOSTS[0], PORT, &root, "wsrep_cluster_state_uuid"),
            "{host}"
        );
        let aside = lab.ssh_ok(
            host,
            &format!("docker volume ls -q --filter label=io.galeractl.cluster={CLUSTER} --filter label=io.galeractl.aside"),
        );
        assert_eq!(aside.lines().count(), 1, "{host}: {aside}");
    }

    logical_round_trip(&lab, &inv, &root, &to);
    kept_on_host(&lab, &inv, &root, &to);
    lab.wipe_cluster(CLUSTER);
}

/// `backup --on-host`: the stream and its manifest stay on nodec's host (0700/0600), prepared
/// there as a check in a scratch container that is gone after; the manifest also comes here.
/// The directory copied here passes `restore`'s checks; the manifest alone does not.
fn kept_on_host(lab: &Lab, inv: &str, root: &str, to: &Path) {
    let there = "/var/tmp/galeractl-e2e-backup";
    lab.ssh_ok(HOSTS[2], &format!("rm -rf {there}"));
    let doc = backup_json(inv, to, &["--on-host", there]);
    let committed: i64 = wsrep(HOSTS[2], PORT, root, "wsrep_last_committed")
        .and_then(|s| s.parse().ok())
        .unwrap_or(-1);
    assert_eq!(doc["manifest"]["seqno"].as_i64(), Some(committed), "{doc}");
    assert_eq!(doc["manifest"]["node"], "nodec", "{doc}");
    assert_eq!(desync(root, HOSTS[2]), "OFF");
    let dir = doc["host_directory"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(dir.starts_with(&format!("{there}/{CLUSTER}-")), "{doc}");
    let listing = lab.ssh_ok(
        HOSTS[2],
        &format!("stat -c '%a %n' {dir} {dir}/backup.xbstream {dir}/manifest.toml"),
    );
    assert_eq!(
        listing,
        format!("700 {dir}\n600 {dir}/backup.xbstream\n600 {dir}/manifest.toml\n")
    );
    let leftovers = lab.ssh_ok(
        HOSTS[2],
        &format!("docker ps -aq --filter name={CLUSTER}-nodec-backup-check"),
    );
    assert_eq!(leftovers, "", "the check's container is gone");
    let here = PathBuf::from(doc["directory"].as_str().unwrap_or_default());
    let local = std::fs::read_to_string(here.join("manifest.toml")).unwrap_or_default();
    assert_eq!(
        local,
        lab.ssh_ok(HOSTS[2], &format!("cat {dir}/manifest.toml"))
    );

    // Restore wants the stream here: the manifest alone is refused, naming the host.
    let alone = galeractl(&["restore", &here.display().to_string(), inv, "--dry-run"]);
    assert_eq!(alone.status.code(), Some(2), "{}", text(&alone.stderr));
    assert!(
        text(&alone.stderr).contains("copy its directory from 10.77.0.13"),
        "{}",
        text(&alone.stderr)
    );
    let stream = lab.ssh(HOSTS[2], &format!("cat {dir}/backup.xbstream"));
    assert!(stream.status.success(), "{}", text(&stream.stderr));
    std::fs::write(here.join("backup.xbstream"), stream.stdout).unwrap_or_else(|e| panic!("{e}"));
    let plan = galeractl(&[
        "restore",
        &here.display().to_string(),
        inv,
        "--dry-run",
        "--replace",
    ]);
    assert!(plan.status.success(), "{}", text(&plan.stderr));
    lab.ssh_ok(HOSTS[2], &format!("rm -rf {there}"));

    // Interrupted once its copy is on the host (during the copy or its check): the copy and
    // the check stopped there, nodec back in sync, nothing left in the host's directory.
    let child = Command::new(env!("CARGO_BIN_EXE_galeractl"))
        .args([
            "backup",
            inv,
            "--to",
            &to.display().to_string(),
            "--on-host",
            there,
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    wait_until("the on-host copy begins", Duration::from_secs(60), || {
        lab.ssh(HOSTS[2], &format!("ls {there}/*/backup.xbstream"))
            .status
            .success()
    });
    let killed = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status();
    assert!(killed.is_ok_and(|s| s.success()));
    let out = child.wait_with_output().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.status.code(), Some(130), "{}", text(&out.stderr));
    assert_eq!(desync(root, HOSTS[2]), "OFF");
    assert_eq!(lab.ssh_ok(HOSTS[2], &format!("ls -A {there}")), "");
    let running = lab.ssh_ok(
        HOSTS[2],
        &format!("docker ps -aq --filter name={CLUSTER}-nodec-backup-check; docker top {CLUSTER}-nodec | grep -c mariadb-backup || true"),
    );
    assert_eq!(running, "0\n", "a copy or a check still runs on the host");
    lab.ssh_ok(HOSTS[2], &format!("rm -rf {there}"));
}

/// `backup --logical` and its restore: an application account, a view and rows come back
/// exactly as at the backup, on every node, in a new history; galeractl's own accounts are
/// not in the dump (each cluster keeps its own passwords).
fn logical_round_trip(lab: &Lab, inv: &str, root: &str, to: &Path) {
    sql(
        HOSTS[0],
        PORT,
        root,
        &[
            "create user 'app'@'%' identified by 'app-pw-for-tests'",
            "grant select, insert on bk.* to 'app'@'%'",
            "create table bk.logical (id int primary key, v varbinary(16) not null)",
            "insert into bk.logical values (1, 'one'), (2, x'00ff0a27')",
            "create view bk.counted as select count(*) as n from bk.logical",
        ],
    );
    let tables = "checksum table bk.rows, bk.load, bk.logical";
    let checksum = sql(HOSTS[0], PORT, root, &[tables]);
    // Written on nodea: the dump of nodec holds it (the dump waits until nodec applied it).
    let before: i64 = wsrep(HOSTS[0], PORT, root, "wsrep_last_committed")
        .and_then(|s| s.parse().ok())
        .unwrap_or(-1);
    let doc = backup_json(inv, to, &["--logical"]);
    let manifest = &doc["manifest"];
    assert_eq!(manifest["format"], "mariadb-dump-sql", "{doc}");
    assert_eq!(manifest["file"], "dump.sql", "{doc}");
    assert_eq!(manifest["seqno"].as_i64(), Some(before), "{doc}");
    let dir = PathBuf::from(doc["directory"].as_str().unwrap_or_default());
    let dump = std::fs::read_to_string(dir.join("dump.sql")).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        dump.contains("`app`@`%`"),
        "the application account is in the dump"
    );
    for own in ["`root`@", "`galeractl_backup`@", "`galeractl_monitor`@"] {
        assert!(!dump.contains(own), "{own} is in the dump");
    }
    assert_eq!(desync(root, HOSTS[2]), "OFF");
    sql(
        HOSTS[0],
        PORT,
        root,
        &["insert into bk.logical values (3, 'after')"],
    );

    let restored = galeractl(&[
        "restore",
        &dir.display().to_string(),
        inv,
        "--replace",
        "--yes",
    ]);
    assert!(
        restored.status.success(),
        "restore --replace of the dump: {}\n{}",
        text(&restored.stdout),
        text(&restored.stderr)
    );
    assert!(text(&restored.stdout).contains("loaded the logical backup (a new history)"));
    let uuid = manifest["cluster_uuid"].as_str().unwrap_or_default();
    for host in HOSTS {
        assert_eq!(sql(host, PORT, root, &[tables]), checksum, "{host}");
        assert_eq!(one(host, root, "select n from bk.counted"), "2", "{host}");
        let app = support::lab::sql_as(
            "app",
            host,
            PORT,
            "app-pw-for-tests",
            None,
            &["select hex(v) from bk.logical where id = 2"],
        );
        assert_eq!(app, Ok(vec![vec!["00FF0A27".to_string()]]), "{host}");
        assert_ne!(
            wsrep(host, PORT, root, "wsrep_cluster_state_uuid").as_deref(),
            Some(uuid),
            "{host}: a logical restore starts a new history"
        );
        let aside = lab.ssh_ok(
            host,
            &format!("docker volume ls -q --filter label=io.galeractl.cluster={CLUSTER} --filter label=io.galeractl.aside"),
        );
        assert_eq!(aside.lines().count(), 2, "{host}: {aside}");
    }
}
