//! Lab: the cluster lock, a part on each node host, held with a majority. `galeractl unlock` on
//! an unlocked cluster and on a lock written by hand (the holder named exactly, the directory
//! gone); then the library's `acquire`, `with_lock` and `Lock::release` against the real hosts:
//! a majority of connected hosts is enough and a minority is refused, a second operator is
//! refused naming the first, a waiting one gets the lock once it is released, a release removes
//! only its own parts, and `with_lock` releases after a future that failed.
//!
//! The lab is shared: these tests touch only the `locktest` cluster's directory on the three
//! hosts, and create no container.

mod support;

use std::path::Path;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use galeractl::inventory::{self, Inventory};
use galeractl::lock::{self, Found, LockError};
use galeractl::ssh::{Hosts, SshOptions, Target};
use support::lab::{Lab, HOSTS};
use support::{galeractl, text};

const CLUSTER_DIR: &str = "/etc/galeractl/locktest";
const LOCK_DIR: &str = "/etc/galeractl/locktest/lock";

/// Both tests use the same lock directory: one at a time.
static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> MutexGuard<'static, ()> {
    SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
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
    for host in ["host1", "host2", "host3"] {
        lab.ssh_ok(host, &format!("rm -rf {CLUSTER_DIR}"));
    }
}

fn exists_on_host1(lab: &Lab, path: &str) -> bool {
    lab.ssh("host1", &format!("test -e {path}"))
        .status
        .success()
}

fn unlock(inv: &str) -> String {
    let out = galeractl(&["unlock", "--yes", inv]);
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
        format!("cluster locktest: removed the lock held by root@ci-box pid 4242 running \"stop-node nodeb\" since {since} ({age}) on {}\n", HOSTS[0])
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
        format!("cluster locktest: removed the lock held by an unknown process (the lock has no readable holder file) on {}\n", HOSTS[0])
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

async fn connect(inv: &Inventory, hosts: &[&str]) -> Hosts {
    let targets = hosts.iter().map(|h| Target::for_host(inv, h)).collect();
    Hosts::connect_all(targets, &options())
        .await
        .unwrap_or_else(|e| panic!("{e:?}"))
}

fn holder_on(lab: &Lab, host: &str) -> String {
    lab.ssh_ok(host, &format!("cat {LOCK_DIR}/holder"))
}

fn holder_on_host1(lab: &Lab) -> String {
    holder_on(lab, "host1")
}

fn all_parts(found: &[(String, Result<Found, LockError>)]) -> Vec<(String, Found)> {
    found
        .iter()
        .map(|(h, f)| match f {
            Ok(f) => (h.clone(), f.clone()),
            Err(e) => panic!("{h}: {e}"),
        })
        .collect()
}

fn everywhere(found: Found) -> Vec<(String, Found)> {
    HOSTS
        .iter()
        .map(|h| (h.to_string(), found.clone()))
        .collect()
}

#[test]
fn acquire_refuses_waits_and_releases_only_its_own() {
    let _one = serial();
    let Some(lab) = Lab::find() else { return };
    let inv_path = locktest_inventory(&lab, "e2e_lock_acquire");
    let (inv, _) = inventory::load(Path::new(&inv_path), inventory::Secrets::Advisory)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(lock::hosts(&inv), HOSTS);
    wipe(&lab);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("runtime: {e}"));
    runtime.block_on(async {
        // A majority of the hosts is enough; the parts are on those two only.
        let two = connect(&inv, &HOSTS[1..]).await;
        let partial = lock::acquire(&two, &inv, "up", Duration::ZERO)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(partial.parts(), &HOSTS[1..]);
        assert!(!exists_on_host1(&lab, LOCK_DIR));
        // One host of three is refused at once, naming the hosts out of reach.
        let one = connect(&inv, &HOSTS[..1]).await;
        let minority = lock::acquire(&one, &inv, "recover", Duration::from_secs(5)).await;
        let Err(LockError::NoMajority(why)) = minority else {
            panic!("not refused: {minority:?}")
        };
        assert_eq!(
            why,
            format!(
                "cluster locktest: cannot take the lock on a majority of its 3 hosts (2 needed, 1 taken): {}: not connected; {}: not connected",
                HOSTS[1], HOSTS[2]
            )
        );
        assert!(!exists_on_host1(&lab, LOCK_DIR), "the minority's part stayed");
        // The minority side, while the majority holds it: a holder is seen, so it waits and
        // is told who holds the lock.
        let other_side = connect(&inv, &HOSTS[..1])
            .await
            .joined(connect(&inv, &HOSTS[2..]).await);
        let beside = lock::acquire(&other_side, &inv, "recover", Duration::ZERO).await;
        let Err(LockError::Held(held)) = beside else {
            panic!("not refused: {beside:?}")
        };
        assert_eq!(held.holder.as_ref(), Some(partial.holder()));
        assert!(!exists_on_host1(&lab, LOCK_DIR), "the contender's part stayed");
        assert!(partial.release(&two).await.is_empty());
        one.close().await;
        other_side.close().await;
        two.close().await;

        let hosts = connect(&inv, &HOSTS).await;
        // A part on host1 alone (a galeractl that locked there only, or a killed contender's)
        // is waited for, even though host2 and host3 are free: a majority is not enough.
        lab.ssh_ok(
            "host1",
            &format!(
                "mkdir -p {LOCK_DIR} && printf '%s\\n' who=root@old pid=77 command=up 'since=2025-01-02 03:04:05 UTC' token=00000000000000aa >{LOCK_DIR}/holder"
            ),
        );
        let beside_old = lock::acquire(&hosts, &inv, "up", Duration::ZERO).await;
        let Err(LockError::Held(held)) = beside_old else {
            panic!("not refused: {beside_old:?}")
        };
        assert_eq!(held.holder.as_ref().map(|h| h.pid), Some(77));
        assert_eq!(
            all_parts(&lock::remove(&hosts, &inv).await)
                .iter()
                .filter(|(_, f)| *f != Found::NotLocked)
                .count(),
            1,
            "only host1's part was there"
        );

        // Taken: the holder file on each host is ours, whole.
        let first = lock::acquire(&hosts, &inv, "up", Duration::ZERO)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(first.parts(), HOSTS);
        for host in ["host1", "host2", "host3"] {
            assert_eq!(holder_on(&lab, host), first.holder().render());
        }
        assert_eq!(first.holder().command, "up");
        assert_eq!(first.holder().pid, std::process::id());

        // A second operator waits the time it was given, then is told who holds it.
        let started = Instant::now();
        let refused = lock::acquire(
            &hosts,
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
            first.release(&hosts).await
        };
        let (second, released) = tokio::join!(
            lock::acquire(&hosts, &inv, "stop-node nodeb", Duration::from_secs(20)),
            release_later
        );
        assert!(released.is_empty(), "{released:?}");
        let second = second.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(holder_on_host1(&lab), second.holder().render());

        // Removed by `unlock` and taken by a third: the second's release leaves it alone.
        let removed = all_parts(&lock::remove(&hosts, &inv).await);
        assert_eq!(removed, everywhere(Found::Locked(Some(second.holder().clone()))));
        let third = lock::acquire(&hosts, &inv, "recover", Duration::ZERO)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let not_ours = second.release(&hosts).await;
        assert_eq!(not_ours.len(), 3, "{not_ours:?}");
        assert!(
            not_ours.iter().all(|e| matches!(e, LockError::NotOurs { .. })),
            "{not_ours:?}"
        );
        assert_eq!(holder_on_host1(&lab), third.holder().render());
        assert!(third.release(&hosts).await.is_empty());
        assert_eq!(
            all_parts(&lock::read(&hosts, &inv).await),
            everywhere(Found::NotLocked)
        );

        // A lock removed under its holder: the release says it was gone.
        let fourth = lock::acquire(&hosts, &inv, "up", Duration::ZERO)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        all_parts(&lock::remove(&hosts, &inv).await);
        let gone = fourth.release(&hosts).await;
        assert_eq!(gone.len(), 3, "{gone:?}");
        assert!(gone.iter().all(|e| matches!(e, LockError::Gone { .. })), "{gone:?}");

        // with_lock: held while the future runs, released after it failed.
        let outcome = lock::with_lock(&hosts, &inv, "up", Duration::ZERO, async {
            let during = all_parts(&lock::read(&hosts, &inv).await);
            assert!(
                during
                    .iter()
                    .all(|(_, f)| matches!(f, Found::Locked(Some(h)) if h.command == "up")),
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
            all_parts(&lock::read(&hosts, &inv).await),
            everywhere(Found::NotLocked)
        );
        hosts.close().await;
    });
    for host in ["host1", "host2", "host3"] {
        let left = lab.ssh_ok(host, &format!("ls -A {CLUSTER_DIR}"));
        assert_eq!(left, "", "left in the cluster directory on {host}: {left}");
    }
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

/// M-4: operator A holds the lock; operator B cannot reach host1 (its inventory's ssh port for
/// nodea is closed, as a partition would). B's `recover` no longer goes on without the lock: it
/// waits for A and exits 4 naming A. With A gone, B holds the lock on host2 and host3 alone.
/// With two hosts out of B's reach, `recover` is refused (exit 3) unless `--without-lock`.
#[test]
fn recover_across_a_partition_needs_a_majority() {
    let _one = serial();
    let Some(lab) = Lab::find() else { return };
    let a_path = locktest_inventory(&lab, "e2e_lock_partition_a");
    let (a_inv, _) = inventory::load(Path::new(&a_path), inventory::Secrets::Advisory)
        .unwrap_or_else(|e| panic!("{e}"));
    let node = |name: &str, host: &str| format!("name = \"{name}\"\nhost = \"{host}\"");
    let cut = |name: &str, host: &str| {
        (
            node(name, host),
            format!("{}\nssh_port = 1", node(name, host)),
        )
    };
    let dir = support::scratch("e2e_lock_partition_b");
    let (c1, c2) = cut("nodea", HOSTS[0]);
    let rename = (
        "name = \"local-test\"".to_string(),
        "name = \"locktest\"".to_string(),
    );
    let b_one = lab.inventory_copy("lab.toml", &dir, &[(&rename.0, &rename.1), (&c1, &c2)]);
    let dir2 = support::scratch("e2e_lock_partition_b2");
    let (d1, d2) = cut("nodeb", HOSTS[1]);
    let b_two = lab.inventory_copy(
        "lab.toml",
        &dir2,
        &[(&rename.0, &rename.1), (&c1, &c2), (&d1, &d2)],
    );
    wipe(&lab);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("runtime: {e}"));
    let hosts = runtime.block_on(connect(&a_inv, &HOSTS));
    let a = runtime
        .block_on(lock::acquire(&hosts, &a_inv, "up", Duration::ZERO))
        .unwrap_or_else(|e| panic!("{e}"));

    let out = galeractl(&["recover", &b_one, "--dry-run", "--lock-wait", "1"]);
    let said = text(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{said}");
    assert!(
        said.contains(&format!("pid {} running \"up\"", std::process::id())),
        "{said}"
    );
    assert!(!said.contains("WITHOUT"), "{said}");
    // Nothing of B's stayed: A's parts are whole.
    assert_eq!(holder_on_host1(&lab), a.holder().render());
    assert!(runtime.block_on(a.release(&hosts)).is_empty());

    // A is gone: B takes host2 and host3 and goes on (what recover then finds is not the point).
    let out = galeractl(&["recover", &b_one, "--dry-run", "--lock-wait", "0"]);
    let said = text(&out.stderr);
    assert!(!said.contains("cannot take the lock"), "{said}");
    assert!(!said.contains("WITHOUT"), "{said}");
    assert_ne!(out.status.code(), Some(4), "{said}");

    // Two hosts out of reach: refused, changing nothing, unless --without-lock.
    let out = galeractl(&["recover", &b_two, "--dry-run", "--lock-wait", "0"]);
    let said = text(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{said}");
    assert!(
        said.contains("cluster locktest: cannot take the lock on a majority of its 3 hosts (2 needed, 1 taken)")
            && said.contains("only `recover --without-lock` goes on without it"),
        "{said}"
    );
    let out = galeractl(&[
        "recover",
        &b_two,
        "--dry-run",
        "--lock-wait",
        "0",
        "--without-lock",
    ]);
    let said = text(&out.stderr);
    assert!(
        said.contains("recover runs WITHOUT the lock (--without-lock)"),
        "{said}"
    );
    for host in ["host1", "host2", "host3"] {
        assert!(
            !lab.ssh(host, &format!("test -e {LOCK_DIR}"))
                .status
                .success(),
            "a part of the lock stayed on {host}"
        );
    }
    runtime.block_on(hosts.close());
    wipe(&lab);
}
