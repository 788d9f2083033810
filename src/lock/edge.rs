//! The lock's edge: this process (who, pid, the clock, a random token) and the host commands
//! run through [`Remote::run`], each within a deadline.

use std::future::Future;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::{
    acquire_argv, describe, dir, host, read_argv, release_argv, remove_argv, Found, Held, Holder,
    EXIT_ABSENT, EXIT_HELD, POLL,
};
use crate::inventory::Inventory;
use crate::ssh::{Remote, SshError};

/// The deadline of one lock command on the host (at most the remote command deadline): each is
/// a `mkdir`, a `cat` or a `mv`, and a host that takes longer than this is not answering.
pub const COMMAND_DEADLINE: Duration = Duration::from_secs(30);

/// Why the lock was not taken, or not released; each message names the cluster.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Someone else holds the lock and did not release it within the wait.
    #[error("{0}")]
    Held(Box<Held>),
    /// A lock command failed, or did not answer within its deadline, on the lock's host.
    #[error("cluster {cluster}: cannot {action} the lock in {dir}: {source}")]
    Remote {
        cluster: String,
        action: &'static str,
        dir: String,
        source: SshError,
    },
    /// The connection given is not to the lock's host (a wiring mistake).
    #[error(
        "cluster {cluster}: the lock lives on {expected}, but the connection given is to {got}"
    )]
    WrongHost {
        cluster: String,
        expected: String,
        got: String,
    },
    /// At release: the lock is there but carries another token (removed by `galeractl unlock`,
    /// then taken by another command). It was left alone.
    #[error("cluster {cluster}: the lock is no longer ours, so it was left in place: it is held by {holder}")]
    NotOurs { cluster: String, holder: String },
    /// At release: there is no lock any more (removed by `galeractl unlock`).
    #[error(
        "cluster {cluster}: the lock was already gone at release (removed by `galeractl unlock`?)"
    )]
    Gone { cluster: String },
}

impl LockError {
    /// `exit::LOCKED` for a lock held by another operator, `exit::FAILED` for the rest.
    pub fn exit_code(&self) -> u8 {
        match self {
            LockError::Held(_) => crate::exit::LOCKED,
            _ => crate::exit::FAILED,
        }
    }
}

impl From<LockError> for crate::cmd::Failure {
    fn from(e: LockError) -> Self {
        let code = e.exit_code();
        let mut message = e.to_string();
        // Taking the lock comes before any change; a held lock's message says what to do.
        if matches!(
            e,
            LockError::WrongHost { .. } | LockError::Remote { action: "take", .. }
        ) {
            message.push_str("; nothing was changed");
        }
        crate::cmd::Failure::new(code, message)
    }
}

/// A lock this process holds. Release it with [`Lock::release`] (or hold it with
/// [`with_lock`], which does); a `Lock` dropped unreleased stays on the host, and says so in
/// the log.
#[derive(Debug)]
#[must_use = "a lock stays on the host until Lock::release; prefer with_lock"]
pub struct Lock {
    cluster: String,
    host: String,
    dir: String,
    holder: Holder,
    released: bool,
}

impl Lock {
    /// Who we are, as the holder file on the host says.
    pub fn holder(&self) -> &Holder {
        &self.holder
    }

    /// Removes the lock if it is still ours (best effort: the result is for the log).
    pub async fn release(mut self, remote: &Remote) -> Result<(), LockError> {
        self.released = true;
        let argv = release_argv(&self.dir, &self.holder.token);
        let out = run(remote, &argv, None)
            .await
            .map_err(|source| self.remote_error("release", source))?;
        match out.code {
            0 => {
                tracing::debug!(cluster = %self.cluster, "released the lock on {}", self.host);
                Ok(())
            }
            EXIT_HELD => Err(LockError::NotOurs {
                cluster: self.cluster.clone(),
                holder: describe(Holder::parse(&out.stdout).as_ref(), now_unix()),
            }),
            EXIT_ABSENT => Err(LockError::Gone {
                cluster: self.cluster.clone(),
            }),
            code => Err(self.remote_error("release", failed(remote, &argv, code, &out))),
        }
    }

    fn remote_error(&self, action: &'static str, source: SshError) -> LockError {
        LockError::Remote {
            cluster: self.cluster.clone(),
            action,
            dir: self.dir.clone(),
            source,
        }
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        if !self.released {
            tracing::warn!(
                "cluster {}: the lock in {} on {} was not released; `galeractl unlock` removes it",
                self.cluster,
                self.dir,
                self.host
            );
        }
    }
}

/// Takes the cluster's lock on `remote` (the lock's host, see [`host`]) for `command` (its
/// words, such as `stop-node nodeb`). While another operator holds it, tries again every
/// [`POLL`] until `wait` has passed (saying once, at info, whom it waits for), then fails with
/// [`LockError::Held`]. A `wait` of zero tries once.
pub async fn acquire(
    remote: &Remote,
    inventory: &Inventory,
    command: &str,
    wait: Duration,
) -> Result<Lock, LockError> {
    let cluster = inventory.cluster.name.clone();
    let expected = host(inventory).unwrap_or("no host (the inventory has no nodes)");
    if remote.host != expected {
        return Err(LockError::WrongHost {
            cluster,
            expected: expected.to_string(),
            got: remote.host.clone(),
        });
    }
    let mut lock = Lock {
        cluster,
        host: remote.host.clone(),
        dir: dir(inventory),
        holder: Holder::new(
            &local_user_and_machine(),
            std::process::id(),
            command,
            now_unix(),
            &new_token(),
        ),
        // Nothing to release until the lock is taken.
        released: true,
    };
    let argv = acquire_argv(&inventory.cluster_dir());
    let text = lock.holder.render();
    let started = Instant::now();
    let mut told = false;
    loop {
        let out = match run(remote, &argv, Some(text.as_bytes())).await {
            Ok(out) => out,
            Err(source) => {
                // The answer may be what was lost, after the mkdir: remove the lock if it is ours.
                let release = release_argv(&lock.dir, &lock.holder.token);
                if let Err(e) = run(remote, &release, None).await {
                    tracing::debug!(
                        "cluster {}: cleaning up after a failed take: {e}",
                        lock.cluster
                    );
                }
                return Err(lock.remote_error("take", source));
            }
        };
        match out.code {
            0 => {
                tracing::debug!(cluster = %lock.cluster, "took the lock {} on {}", lock.dir, lock.host);
                lock.released = false;
                return Ok(lock);
            }
            EXIT_HELD => {
                let holder = Holder::parse(&out.stdout);
                let waited = started.elapsed();
                if waited >= wait {
                    return Err(LockError::Held(Box::new(Held {
                        cluster: lock.cluster.clone(),
                        inventory: inventory.path.display().to_string(),
                        holder,
                        seen_unix: now_unix(),
                    })));
                }
                if !told {
                    tracing::info!(
                        "cluster {}: waiting up to {} s for the lock held by {}",
                        lock.cluster,
                        wait.as_secs(),
                        describe(holder.as_ref(), now_unix())
                    );
                    told = true;
                }
                tokio::time::sleep(POLL.min(wait - waited)).await;
            }
            code => {
                let source = failed(remote, &argv, code, &out);
                return Err(lock.remote_error("take", source));
            }
        }
    }
}

/// Runs `f` holding the cluster's lock: takes it (see [`acquire`]), awaits `f`, then releases
/// it whatever `f` returned. A release that fails is logged as a warning, never turned into the
/// command's error: `f`'s outcome is what the operator needs to see.
///
/// `f` is a future, so building it before the call starts nothing: it runs only once the lock
/// is taken. Interrupts: see the module's documentation; `f` must catch the signals it wants to
/// survive (with `tokio::select!` on [`crate::cmd::interrupted`]) and return, and then the lock
/// is released.
pub async fn with_lock<F, T>(
    remote: &Remote,
    inventory: &Inventory,
    command: &str,
    wait: Duration,
    f: F,
) -> Result<T, LockError>
where
    F: Future<Output = T>,
{
    let lock = acquire(remote, inventory, command, wait).await?;
    let out = f.await;
    if let Err(e) = lock.release(remote).await {
        tracing::warn!("{e}");
    }
    Ok(out)
}

/// Removes the cluster's lock whoever holds it (`galeractl unlock`); returns what it removed.
pub async fn remove(remote: &Remote, inventory: &Inventory) -> Result<Found, LockError> {
    found(remote, inventory, "remove", remove_argv).await
}

/// Who holds the cluster's lock, changing nothing.
pub async fn read(remote: &Remote, inventory: &Inventory) -> Result<Found, LockError> {
    found(remote, inventory, "read", read_argv).await
}

/// Runs `argv_of(lock dir)`, whose output is the holder file (exit 0) or nothing (no lock).
async fn found(
    remote: &Remote,
    inventory: &Inventory,
    action: &'static str,
    argv_of: fn(&str) -> crate::docker::Argv,
) -> Result<Found, LockError> {
    let dir = dir(inventory);
    let argv = argv_of(&dir);
    let error = |source| LockError::Remote {
        cluster: inventory.cluster.name.clone(),
        action,
        dir: dir.clone(),
        source,
    };
    let out = run(remote, &argv, None).await.map_err(error)?;
    match out.code {
        0 => Ok(Found::Locked(Holder::parse(&out.stdout))),
        EXIT_ABSENT => Ok(Found::NotLocked),
        code => Err(error(failed(remote, &argv, code, &out))),
    }
}

/// One lock command, within [`COMMAND_DEADLINE`] (or the remote command deadline if shorter).
async fn run(
    remote: &Remote,
    argv: &[String],
    stdin: Option<&[u8]>,
) -> Result<crate::ssh::Output, SshError> {
    let deadline = remote.command_timeout().min(COMMAND_DEADLINE);
    remote.run(argv, stdin, deadline).await
}

fn failed(remote: &Remote, argv: &[String], code: i32, out: &crate::ssh::Output) -> SshError {
    SshError::Failed {
        host: remote.host.clone(),
        command: crate::docker::shell_join(argv),
        code,
        stderr: out.stderr.trim().to_string(),
    }
}

/// Seconds since the epoch by this machine's clock (0 if it is set before 1970).
pub fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// `user@machine` of this process: $USER (else $LOGNAME, else the uid), and the kernel's
/// host name (else $HOSTNAME).
pub(super) fn local_user_and_machine() -> String {
    use std::os::unix::fs::MetadataExt;
    let user = ["USER", "LOGNAME"]
        .iter()
        .filter_map(|k| std::env::var(k).ok())
        .find(|v| !v.trim().is_empty())
        .or_else(|| {
            std::fs::metadata("/proc/self")
                .ok()
                .map(|m| format!("uid{}", m.uid()))
        })
        .unwrap_or_else(|| "unknown".to_string());
    let machine = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unknown-host".to_string());
    format!("{user}@{machine}")
}

/// 16 hex characters: 8 bytes of /dev/urandom, else a hash of the pid and the time seeded by
/// std's per-process random keys.
pub(super) fn new_token() -> String {
    use std::hash::{BuildHasher, Hasher};
    use std::io::Read;
    let mut bytes = [0u8; 8];
    let random = std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .is_ok();
    let value = if random {
        u64::from_le_bytes(bytes)
    } else {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u32(std::process::id());
        h.write_u128(
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos()),
        );
        h.finish()
    };
    format!("{value:016x}")
}
