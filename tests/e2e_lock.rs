//! Lab: the cluster lock on the first node's host. `galeractl unlock` on an unlocked cluster and
//! on a lock written by hand (the holder named exactly, the directory gone); then the library's
//! `acquire`, `with_lock` and `Lock::release` against the real host: a second operator is
//! refused naming the first, a waiting one gets the lock once it is released, a release removes
//! only its own lock, and `with_lock` releases after a future that failed.
//!
//! The lab is shared: these tests touch only the `locktest` cluster's directory on host1, and
//! create no container.

mod support;

use std::path::Path;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use galeractl::inventory::{self, Inventory};
use galeractl::lock::{self, Found, LockError};
use galeractl::ssh::{Remote, SshOptions, Target};
use support::lab::{Lab, HOSTS};
use support::{galeractl, text};

const CLUSTER_DIR: &str = "/etc/galeractl/locktest";
const LOCK_DIR: &str = "/etc/galeractl/locktest/lock";

/// Both tests use the same lock directory: one at a time.
static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// lab.toml as the cluster `locktest`, in a scratch directory of the test's own.
fn locktest_inventory(lab: &Lab, test: &str) -> String {
    let dir = support::scratch(test);
    lab.inventory_copy(
        "lab.toml",
        &dir,
        &[("name = \"local-test\"", "name = \"locktest\"")],
    )
}

fn wipe(lab: &Lab) {
    lab.ssh_ok("host1", &format!("rm -rf {CLUSTER_DIR}"));
}

fn exists_on_host1(lab: &Lab, path: &str) -> bool {
    lab.ssh("host1", &format!("test -e {path}"))
        .status
        .success()
}

fn unlock(inv: &str) -> String {
    let out = galeractl(&["unlock", inv]);
    assert!(
        out.status.success(),
        "unlock failed ({}):\n{}\n{}",
        out.status,
        text(&out.stdout),
        text(&out.stderr)
    );
    text(&out.stdout)
}

#[test]
fn unlock_names_the_holder_and_removes_the_lock() {
    let _one = serial();
    let Some(lab) = Lab::find() else { return };
    let inv = locktest_inventory(&lab, "e2e_lock_unlock");
    wipe(&lab);

    assert_eq!(unlock(&inv), "cluster locktest: not locked\n");

    // Another operator's lock, written by hand in the holder format.
    let since = "2025-01-02 03:04:05 UTC";
    lab.ssh_ok(
        "host1",
        &format!(
            "mkdir -p {LOCK_DIR} && printf '%s\\n' who=root@ci-box pid=4242 'command=stop-node nodeb' 'since={since}' token=0123456789abcdef >{LOCK_DIR}/holder"
        ),
    );
    let since_unix = lock::parse_utc(since).unwrap_or_else(|| panic!("{since}"));
    let expected = |now: i64| {
        let age = lock::ago(now - since_unix).unwrap_or_else(|| panic!("no age"));
        format!("cluster locktest: removed the lock held by root@ci-box pid 4242 running \"stop-node nodeb\" since {since} ({age})\n")
    };
    let before = lock::now_unix();
    let printed = unlock(&inv);
    let after = lock::now_unix();
    assert!(
        printed == expected(before) || printed == expected(after),
        "printed {printed:?}, expected {:?}",
        expected(after)
    );
    assert!(!exists_on_host1(&lab, LOCK_DIR), "the lock is still there");
    let left = lab.ssh_ok("host1", &format!("ls -A {CLUSTER_DIR}"));
    assert_eq!(left, "", "left beside the lock: {left}");
    assert_eq!(unlock(&inv), "cluster locktest: not locked\n");

    // A lock whose holder file was never written (its writer died after mkdir).
    lab.ssh_ok("host1", &format!("mkdir -p {LOCK_DIR}"));
    assert_eq!(
        unlock(&inv),
        "cluster locktest: removed the lock held by an unknown process (the lock has no readable holder file)\n"
    );
    assert!(!exists_on_host1(&lab, LOCK_DIR));
    wipe(&lab);
}

fn options() -> SshOptions {
    SshOptions {
        connect_timeout: Duration::from_secs(10),
        command_timeout: Duration::from_secs(30),
        accept_new_host_keys: false,
    }
}

async fn connect(inv: &Inventory, host: &str) -> Remote {
    Remote::connect(&Target::for_host(inv, host), &options())
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

fn holder_on_host1(lab: &Lab) -> String {
    lab.ssh_ok("host1", &format!("cat {LOCK_DIR}/holder"))
}

#[test]
fn acquire_refuses_waits_and_releases_only_its_own() {
    let _one = serial();
    let Some(lab) = Lab::find() else { return };
    let inv_path = locktest_inventory(&lab, "e2e_lock_acquire");
    let (inv, _) = inventory::load(Path::new(&inv_path), inventory::Secrets::Advisory)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(lock::host(&inv), Some(HOSTS[0]));
    wipe(&lab);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("runtime: {e}"));
    runtime.block_on(async {
        let remote = connect(&inv, HOSTS[0]).await;

        // Only the lock's host takes it.
        let other = connect(&inv, HOSTS[1]).await;
        let wrong = lock::acquire(&other, &inv, "up", Duration::ZERO).await;
        assert!(
            matches!(wrong, Err(LockError::WrongHost { .. })),
            "{wrong:?}"
        );
        other.close().await;

        // Taken: the holder file on the host is ours, whole.
        let first = lock::acquire(&remote, &inv, "up", Duration::ZERO)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(holder_on_host1(&lab), first.holder().render());
        assert_eq!(first.holder().command, "up");
        assert_eq!(first.holder().pid, std::process::id());

        // A second operator waits the time it was given, then is told who holds it.
        let started = Instant::now();
        let refused = lock::acquire(
            &remote,
            &inv,
            "stop-node nodeb",
            Duration::from_millis(1200),
        )
        .await;
        let waited = started.elapsed();
        let Err(LockError::Held(held)) = refused else {
            panic!("not refused: {refused:?}")
        };
        assert!(
            waited >= Duration::from_millis(1200) && waited < Duration::from_secs(10),
            "{waited:?}"
        );
        assert_eq!(held.holder.as_ref(), Some(first.holder()));
        let h = first.holder();
        let message = held.to_string();
        let prefix = format!(
            "cluster locktest: locked by {} pid {} running \"up\" since {}",
            h.who, h.pid, h.since
        );
        let suffix = format!(
            "; wait for it, or if that process is gone run \"galeractl unlock {inv_path}\""
        );
        assert!(
            message.starts_with(&prefix) && message.ends_with(&suffix),
            "{message}"
        );
        let failure = galeractl::cmd::Failure::from(LockError::Held(held));
        assert_eq!(failure.code, galeractl::exit::LOCKED);

        // A waiting operator gets the lock once the first releases it. (The delay only makes the
        // wait likely; either order must end with the second holding the lock.)
        let release_later = async {
            tokio::time::sleep(Duration::from_millis(700)).await;
            first.release(&remote).await
        };
        let (second, released) = tokio::join!(
            lock::acquire(&remote, &inv, "stop-node nodeb", Duration::from_secs(20)),
            release_later
        );
        released.unwrap_or_else(|e| panic!("{e}"));
        let second = second.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(holder_on_host1(&lab), second.holder().render());

        // Removed by `unlock` and taken by a third: the second's release leaves it alone.
        let removed = lock::remove(&remote, &inv)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(removed, Found::Locked(Some(second.holder().clone())));
        let third = lock::acquire(&remote, &inv, "recover", Duration::ZERO)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let not_ours = second.release(&remote).await;
        assert!(
            matches!(not_ours, Err(LockError::NotOurs { .. })),
            "{not_ours:?}"
        );
        assert_eq!(holder_on_host1(&lab), third.holder().render());
        third
            .release(&remote)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            lock::read(&remote, &inv)
                .await
                .unwrap_or_else(|e| panic!("{e}")),
            Found::NotLocked
        );

        // A lock removed under its holder: the release says it was gone.
        let fourth = lock::acquire(&remote, &inv, "up", Duration::ZERO)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        lock::remove(&remote, &inv)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let gone = fourth.release(&remote).await;
        assert!(matches!(gone, Err(LockError::Gone { .. })), "{gone:?}");

        // with_lock: held while the future runs, released after it failed.
        let outcome = lock::with_lock(&remote, &inv, "up", Duration::ZERO, async {
            let during = lock::read(&remote, &inv).await;
            assert!(
                matches!(&during, Ok(Found::Locked(Some(h))) if h.command == "up"),
                "{during:?}"
            );
            Err::<(), &str>("the command failed")
        })
        .await;
        assert!(
            matches!(outcome, Ok(Err("the command failed"))),
            "{outcome:?}"
        );
        assert_eq!(
            lock::read(&remote, &inv)
                .await
                .unwrap_or_else(|e| panic!("{e}")),
            Found::NotLocked
        );
        remote.close().await;
    });
    let left = lab.ssh_ok("host1", &format!("ls -A {CLUSTER_DIR}"));
    assert_eq!(left, "", "left in the cluster directory: {left}");
    wipe(&lab);
}

/// Two `up` runs on one cluster: while the first holds the lock, one that will not wait exits
/// 4 naming it, one that waits runs only after it (and finds nothing left to do): they never
/// run steps at the same time.
#[test]
fn two_ups_never_run_together() {
    let Some(lab) = Lab::find() else { return };
    let _one = serial();
    let cluster = "lockup";
    lab.wipe_cluster(cluster);
    let dir = support::scratch("lock-two-ups");
    let inv = dir.join("lockup.toml");
    std::fs::write(
        &inv,
        lab.cluster_inventory(cluster, [4386, 5667, 5544, 5668]),
    )
    .unwrap_or_else(|e| panic!("write {inv:?}: {e}"));
    let inv = inv.display().to_string();
    let spawn = |extra: &[&str]| {
        let mut args = vec!["-v", "up", inv.as_str()];
        args.extend_from_slice(extra);
        std::process::Command::new(env!("CARGO_BIN_EXE_galeractl"))
            .args(&args)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("spawn galeractl: {e}"))
    };
    let first = spawn(&[]);
    let lock = format!("/etc/galeractl/{cluster}/lock/holder");
    let deadline = Instant::now() + Duration::from_secs(30);
    while !exists_on_host1(&lab, &lock) {
        assert!(Instant::now() < deadline, "the first up took no lock");
    }
    let refused = galeractl(&["up", &inv, "--lock-wait", "0"]);
    let said = text(&refused.stderr);
    assert_eq!(
        refused.status.code(),
        Some(4),
        "{:?} {said}",
        refused.status
    );
    assert!(
        said.contains(&format!("cluster {cluster}: locked by "))
            && said.contains(&format!("pid {} running \"up\" since ", first.id())),
        "{said}"
    );
    let waiting = spawn(&[]);
    let first = first
        .wait_with_output()
        .unwrap_or_else(|e| panic!("wait: {e}"));
    let waiting = waiting
        .wait_with_output()
        .unwrap_or_else(|e| panic!("wait: {e}"));
    let (log1, log2) = (text(&first.stderr), text(&waiting.stderr));
    assert!(first.status.success(), "first up:\n{log1}");
    assert!(waiting.status.success(), "waiting up:\n{log2}");
    assert!(log1.contains("stage 1/"), "{log1}");
    assert!(log2.contains("s for the lock held by "), "{log2}");
    assert!(
        !log2.contains("stage 1/"),
        "the waiting up ran steps:\n{log2}"
    );
    assert!(
        text(&waiting.stdout).contains("up to date, nothing changed"),
        "{}",
        text(&waiting.stdout)
    );
    assert!(!exists_on_host1(
        &lab,
        &format!("/etc/galeractl/{cluster}/lock")
    ));
    lab.wipe_cluster(cluster);
}
