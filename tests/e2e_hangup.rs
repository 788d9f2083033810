//! End to end on the lab: a dropped SSH session leaves no trap. The operator's terminal is
//! closed under galeractl as a dropped session closes it (the pty's master side goes away, the
//! kernel hangs the terminal up and sends SIGHUP; the test installs no handler of its own), and
//! a reader that goes away closes galeractl's pipe. Cluster "hangup", ports
//! 4476/5747/5624/5748, HAProxy on 3376 (stats 4479, checks 9260). In order:
//! 1. `up` of a new cluster, its terminal closed once nodeb is in the Primary component: exit
//!    129, nodea's config names the other members, no lock left, and a `docker restart` of
//!    nodea keeps the cluster's UUID;
//! 2. `up 2>&1 | head -1` finishes that cluster behind a closed pipe: exit 0, healthy;
//! 3. `backup` closed while it streams: exit 129, nodec back to `wsrep_desync=OFF`, no lock;
//! 4. `restart` closed while nodeb is drained: exit 129, no node left drained or stopped;
//! 5. `restart` closed while it waits for a lock another process holds a part of: exit 129 at
//!    once, its own parts given back, the other's left.

mod support;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use support::lab::{sql, wait_until, wsrep, Lab, HOSTS};
use support::pty::{exit_code_within, hang_up_when};
use support::*;

const CLUSTER: &str = "hangup";
const PORT: u16 = 4476;
const PROXY: u16 = 3376;

fn inventory(lab: &Lab, dir: &Path) -> String {
    let inv = with_backup_user(
        dir,
        &lab.cluster_inventory(CLUSTER, [PORT, 5747, 5624, 5748]),
        "hangup-backup-pw",
    );
    let inv = format!(
        "{inv}\n[haproxy]\nhost = \"{}\"\nimage = \"galeractl-lab/haproxy:2.6\"\nport = {PROXY}\nstats_port = 4479\ncheck_port = 9260\nstats_user = \"admin\"\nstats_password_file = \"{}\"\n",
        HOSTS[0],
        lab.out.join("secrets/haproxy-stats-password").display()
    );
    let path = dir.join("hangup.toml");
    std::fs::write(&path, inv).unwrap_or_else(|e| panic!("{e}"));
    path.display().to_string()
}

const BIN: &str = env!("CARGO_BIN_EXE_galeractl");
const UP_TO: Duration = Duration::from_secs(600);

/// Anything of the cluster's lock left on any host (`ls` prints nothing when there is none).
fn lock_leftovers(lab: &Lab) -> String {
    HOSTS
        .iter()
        .map(|h| {
            lab.ssh_ok(
                h,
                &format!("ls -d /etc/galeractl/{CLUSTER}/lock* 2>/dev/null; true"),
            )
        })
        .collect()
}

fn synced(root: &str, i: usize) -> bool {
    wsrep(HOSTS[i], PORT, root, "wsrep_local_state_comment").as_deref() == Some("Synced")
}

fn healthy(root: &str) -> bool {
    (0..3).all(|i| {
        synced(root, i) && wsrep(HOSTS[i], PORT, root, "wsrep_cluster_size").as_deref() == Some("3")
    })
}

#[test]
fn a_dropped_session_leaves_no_trap() {
    let Some(lab) = Lab::find() else { return };
    let root = lab.secret("root-password");
    let dir = scratch("e2e_hangup");
    let inv = inventory(&lab, &dir);
    lab.wipe_cluster(CLUSTER);

    // 1. up, hung up right after the first joiner entered the Primary component.
    let mut run = hang_up_when(
        BIN,
        &["up", &inv],
        "ok: nodeb in the Primary component",
        UP_TO,
    );
    let uuid = wsrep(HOSTS[0], PORT, &root, "wsrep_cluster_state_uuid").unwrap_or_default();
    let code = exit_code_within(&mut run.child, UP_TO);
    assert_eq!(code, Some(129), "up after the hang-up:\n{}", run.before);
    assert_eq!(lock_leftovers(&lab), "", "up left its lock");
    let config = lab.ssh_ok(HOSTS[0], &format!("cat /etc/galeractl/{CLUSTER}/nodea.cnf"));
    assert!(
        config.contains("wsrep_cluster_address=gcomm://10.77.0.12:5747,10.77.0.13:5747"),
        "nodea's config after the hang-up:\n{config}"
    );
    wait_until(
        "nodeb Synced after the hang-up",
        Duration::from_secs(120),
        || synced(&root, 1),
    );
    lab.ssh_ok(HOSTS[0], &format!("docker restart {CLUSTER}-nodea"));
    wait_until(
        "nodea back and Synced after docker restart",
        Duration::from_secs(120),
        || synced(&root, 0),
    );
    assert_eq!(
        wsrep(HOSTS[0], PORT, &root, "wsrep_cluster_state_uuid").as_deref(),
        Some(uuid.as_str()),
        "nodea formed a new cluster after its restart"
    );

    // 2. The reader of a pipe goes away after one line: up finishes the cluster regardless.
    let piped = Command::new("bash")
        .arg("-c")
        .arg(format!(
            "'{BIN}' up '{inv}' 2>&1 | head -1 >/dev/null; echo \"${{PIPESTATUS[0]}}\""
        ))
        .env_remove("RUST_LOG")
        .output()
        .unwrap_or_else(|e| panic!("bash: {e}"));
    assert_eq!(
        text(&piped.stdout).trim(),
        "0",
        "up behind a closed pipe:\n{}",
        text(&piped.stderr)
    );
    assert!(healthy(&root), "not healthy after up behind a closed pipe");
    sql(
        HOSTS[0],
        PORT,
        &root,
        &[
            "create database hangup",
            "create table hangup.t (id int primary key, v longtext)",
            "insert into hangup.t select seq, repeat('x', 20000) from hangup.seq_1_to_2000",
        ],
    );

    // 3. backup, hung up while it streams.
    let to = dir.join("backups");
    std::fs::create_dir_all(&to).unwrap_or_else(|e| panic!("{e}"));
    let mut run = hang_up_when(
        BIN,
        &[
            "backup",
            &inv,
            "--node",
            "nodec",
            "--to",
            &to.display().to_string(),
        ],
        "stream a physical backup of nodec",
        UP_TO,
    );
    let code = exit_code_within(&mut run.child, UP_TO);
    assert_eq!(code, Some(129), "backup after the hang-up:\n{}", run.before);
    let desync = sql(
        HOSTS[2],
        PORT,
        &root,
        &["show global variables like 'wsrep_desync'"],
    );
    assert_eq!(
        desync.first().and_then(|r| r.get(1)).map(String::as_str),
        Some("OFF"),
        "nodec left desynced"
    );
    assert_eq!(lock_leftovers(&lab), "", "backup left its lock");

    // 4. restart, hung up while nodeb is drained from HAProxy.
    let mut run = hang_up_when(BIN, &["restart", "-i", &inv], "restart nodeb", UP_TO);
    let code = exit_code_within(&mut run.child, UP_TO);
    assert_eq!(
        code,
        Some(129),
        "restart after the hang-up:\n{}",
        run.before
    );
    let drained: String = HOSTS
        .iter()
        .map(|h| {
            lab.ssh_ok(
                h,
                &format!("ls /etc/galeractl/{CLUSTER}/drain/*/drained 2>/dev/null; true"),
            )
        })
        .collect();
    assert_eq!(drained, "", "restart left a node drained");
    assert_eq!(lock_leftovers(&lab), "", "restart left its lock");
    wait_until("every node Synced after restart's hang-up", UP_TO, || {
        healthy(&root)
    });

    // 5. restart, hung up while it waits for the lock that another process holds a part of
    //    (on host1): it gives back the parts it took, and leaves the other's alone.
    lab.ssh_ok(HOSTS[0], &format!("mkdir -p /etc/galeractl/{CLUSTER}/lock"));
    let mut run = hang_up_when(
        BIN,
        &["restart", "-i", &inv, "--lock-wait", "300"],
        "waiting up to 300 s for the lock",
        UP_TO,
    );
    let code = exit_code_within(&mut run.child, Duration::from_secs(30));
    assert_eq!(
        code,
        Some(129),
        "restart waiting for the lock:\n{}",
        run.before
    );
    assert_eq!(
        lock_leftovers(&lab),
        format!("/etc/galeractl/{CLUSTER}/lock\n"),
        "the waiting restart left a part of its own"
    );
    let unlock = galeractl(&["unlock", "--yes", &inv]);
    assert!(unlock.status.success(), "{}", text(&unlock.stderr));
    assert_eq!(lock_leftovers(&lab), "");
    lab.wipe_cluster(CLUSTER);
}
