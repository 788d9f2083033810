//! The lock's edge: this process (who, pid, the clock, a random token) and the host commands
//! run through [`Remote::run`], each within a deadline.

use std::future::Future;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::quorum::{judge, no_majority_message, Part, Verdict};
use super::{describe, dir, Found, Held, Holder, EXIT_ABSENT, EXIT_HELD, POLL};
use crate::docker::lock_scripts;
use crate::inventory::Inventory;
use crate::ssh::{Hosts, Remote, SshError};

/// The deadline of one lock command on the host (at most the remote command deadline): each is
/// a `mkdir`, a `cat` or a `mv`, and a host that takes longer than this is not answering.
pub const COMMAND_DEADLINE: Duration = Duration::from_secs(30);

/// Why the lock was not taken, or not released; each message names the cluster.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Someone else holds the lock and did not release it within the wait.
    #[error("{0}")]
    Held(Box<Held>),
    /// No other holder, but too few of the lock's hosts answered for a majority (the message
    /// names each silent host and why).
    #[error("{0}")]
    NoMajority(String),
    /// A lock command failed, or did not answer within its deadline, on one of the lock's hosts.
    #[error("cluster {cluster}: cannot {action} the lock in {dir} on {host}: {source}")]
    Remote {
        cluster: String,
        action: &'static str,
        host: String,
        dir: String,
        source: SshError,
    },
    /// One of the lock's hosts is not connected.
    #[error("cluster {cluster}: the lock's host {host} is not connected")]
    NotConnected { cluster: String, host: String },
    /// At release: a part is there but carries another token (removed by `galeractl unlock`,
    /// then taken by another command). It was left alone.
    #[error("cluster {cluster}: the lock on {host} is no longer ours, so it was left in place: it is held by {holder}")]
    NotOurs {
        cluster: String,
        host: String,
        holder: String,
    },
    /// At release: a part is gone (removed by `galeractl unlock`).
    #[error("cluster {cluster}: the lock on {host} was already gone at release (removed by `galeractl unlock`?)")]
    Gone { cluster: String, host: String },
    /// The operator interrupted the command while it took the lock: the round under way ended,
    /// and every part it took was given back.
    #[error("cluster {cluster}: interrupted by {signal} while taking the lock; every part taken was given back")]
    Interrupted {
        cluster: String,
        signal: &'static str,
    },
}

impl LockError {
    /// `exit::LOCKED` for a lock held by another operator, `exit::REFUSED` without a majority,
    /// `exit::FAILED` for the rest.
    pub fn exit_code(&self) -> u8 {
        match self {
            LockError::Held(_) => crate::exit::LOCKED,
            LockError::NoMajority(_) => crate::exit::REFUSED,
            LockError::Interrupted { .. } => crate::exit::INTERRUPTED,
            _ => crate::exit::FAILED,
        }
    }

    /// Whether the error came before the command changed anything: the lock was not taken
    /// (a held lock's own message says what to do instead).
    pub fn nothing_changed(&self) -> bool {
        matches!(
            self,
            LockError::NoMajority(_)
                | LockError::Remote { action: "take", .. }
                | LockError::Interrupted { .. }
        )
    }
}

/// A lock this process holds: its parts on a majority of the lock's hosts. Release it with
/// [`Lock::release`] (or hold it with [`with_lock`], which does); a `Lock` dropped unreleased
/// stays on the hosts, and says so in the log.
#[derive(Debug)]
#[must_use = "a lock stays on the hosts until Lock::release; prefer with_lock"]
pub struct Lock {
    cluster: String,
    /// The hosts where our part was taken.
    parts: Vec<String>,
    dir: String,
    holder: Holder,
    released: bool,
}

impl Lock {
    /// Who we are, as the holder file on each host says.
    pub fn holder(&self) -> &Holder {
        &self.holder
    }

    /// The hosts that hold our parts.
    pub fn parts(&self) -> &[String] {
        &self.parts
    }

    /// Removes each part that is still ours (best effort: what went wrong is for the log).
    pub async fn release(mut self, hosts: &Hosts) -> Vec<LockError> {
        self.released = true;
        let parts = std::mem::take(&mut self.parts);
        release_parts(hosts, &self.cluster, &self.dir, &self.holder.token, &parts).await
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        if !self.released {
            tracing::warn!(
                "cluster {}: the lock in {} on {} was not released; `galeractl unlock` removes it",
                self.cluster,
                self.dir,
                self.parts.join(", ")
            );
        }
    }
}

/// Releases our parts (by `token`) on `parts`, all at once.
async fn release_parts(
    hosts: &Hosts,
    cluster: &str,
    dir: &str,
    token: &str,
    parts: &[String],
) -> Vec<LockError> {
    let argv = lock_scripts::release(dir, token);
    let results = futures::future::join_all(parts.iter().map(|host| {
        let argv = &argv;
        async move {
            let Some(remote) = hosts.get(host) else {
                return Err(LockError::NotConnected {
                    cluster: cluster.to_string(),
                    host: host.clone(),
                });
            };
            let remote_error = |source| LockError::Remote {
                cluster: cluster.to_string(),
                action: "release",
                host: host.clone(),
                dir: dir.to_string(),
                source,
            };
            let out = run(&remote, argv, None).await.map_err(remote_error)?;
            match out.code {
                0 => {
                    tracing::debug!(cluster, "released the lock on {host}");
                    Ok(())
                }
                EXIT_HELD => Err(LockError::NotOurs {
                    cluster: cluster.to_string(),
                    host: host.clone(),
                    holder: describe(Holder::parse(&out.stdout).as_ref(), now_unix()),
                }),
                EXIT_ABSENT => Err(LockError::Gone {
                    cluster: cluster.to_string(),
                    host: host.clone(),
                }),
                code => Err(remote_error(failed(&remote, argv, code, &out))),
            }
        }
    }))
    .await;
    results.into_iter().filter_map(Result::err).collect()
}

/// Takes the cluster's lock for `command` (its words, such as `stop-node nodeb`): a part on
/// each of the lock's hosts ([`hosts`]) that `hosts` reaches, all at once, held when a strict
/// majority is ours and no other holder's part was seen. While another process holds a part,
/// gives ours back and tries again every
/// [`POLL`] or a little more (so two contenders do not keep meeting) until `wait` has passed
/// (saying once, at info, whom it waits for), then fails with [`LockError::Held`]. A `wait` of
/// zero tries once. When too few hosts answer and nobody else holds a part, fails with
/// [`LockError::NoMajority`] at once.
pub async fn acquire(
    hosts: &Hosts,
    inventory: &Inventory,
    command: &str,
    wait: Duration,
) -> Result<Lock, LockError> {
    acquire_unless(hosts, inventory, command, wait, &|| None).await
}

/// [`acquire`], that stops when `interrupted` names a signal: never within a round of `mkdir`s
/// (a part taken on a host whose answer is on its way would be left), but after it, giving
/// back every part the round took.
pub async fn acquire_unless(
    hosts: &Hosts,
    inventory: &Inventory,
    command: &str,
    wait: Duration,
    interrupted: &(dyn Fn() -> Option<&'static str> + Sync),
) -> Result<Lock, LockError> {
    let lock_hosts = super::hosts(inventory);
    let mut lock = Lock {
        cluster: inventory.cluster.name.clone(),
        parts: Vec::new(),
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
    let argv = lock_scripts::acquire(&inventory.cluster_dir());
    let text = lock.holder.render();
    let started = Instant::now();
    let mut told = false;
    loop {
        if let Some(signal) = interrupted() {
            return Err(LockError::Interrupted {
                cluster: lock.cluster.clone(),
                signal,
            });
        }
        let answers: Vec<(String, Part)> =
            futures::future::join_all(lock_hosts.iter().map(|host| {
                let (argv, text, lock) = (&argv, &text, &lock);
                async move { (host.clone(), take_part(hosts, host, argv, text, lock).await) }
            }))
            .await;
        let taken: Vec<String> = answers
            .iter()
            .filter(|(_, p)| *p == Part::Taken)
            .map(|(h, _)| h.clone())
            .collect();
        let verdict = judge(&answers);
        if let Some(signal) = interrupted() {
            let token = &lock.holder.token;
            for e in release_parts(hosts, &lock.cluster, &lock.dir, token, &taken).await {
                tracing::warn!("giving back a part of the lock: {e}");
            }
            return Err(LockError::Interrupted {
                cluster: lock.cluster.clone(),
                signal,
            });
        }
        if verdict != Verdict::Hold {
            let token = &lock.holder.token;
            for e in release_parts(hosts, &lock.cluster, &lock.dir, token, &taken).await {
                tracing::warn!("giving back a part of the lock: {e}");
            }
        }
        let holder = match verdict {
            Verdict::Hold => {
                tracing::debug!(cluster = %lock.cluster, "took the lock {} on {}", lock.dir, taken.join(", "));
                lock.parts = taken;
                lock.released = false;
                return Ok(lock);
            }
            Verdict::Contended(holder) => holder,
            Verdict::NoMajority { taken, failed } => {
                return Err(LockError::NoMajority(no_majority_message(
                    &lock.cluster,
                    lock_hosts.len(),
                    taken,
                    &failed,
                )))
            }
        };
        let waited = started.elapsed();
        if waited >= wait {
            let holder_gone = holder.as_ref().is_some_and(gone_from_this_machine);
            return Err(LockError::Held(Box::new(Held {
                cluster: lock.cluster.clone(),
                inventory: inventory.path.display().to_string(),
                holder,
                seen_unix: now_unix(),
                holder_gone,
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
        tokio::time::sleep((POLL + jitter()).min(wait.saturating_sub(waited))).await;
    }
}

/// One host's `mkdir` of our part.
async fn take_part(hosts: &Hosts, host: &str, argv: &[String], text: &str, lock: &Lock) -> Part {
    let Some(remote) = hosts.get(host) else {
        return Part::Failed("not connected".to_string());
    };
    match run(&remote, argv, Some(text.as_bytes())).await {
        Ok(out) if out.code == 0 => Part::Taken,
        Ok(out) if out.code == EXIT_HELD => Part::Held(Holder::parse(&out.stdout)),
        Ok(out) => Part::Failed(failed(&remote, argv, out.code, &out).to_string()),
        Err(source) => {
            // The answer may be what was lost, after the mkdir: remove the part if it is ours.
            let release = lock_scripts::release(&lock.dir, &lock.holder.token);
            if let Err(e) = run(&remote, &release, None).await {
                tracing::debug!(
                    "cluster {}: cleaning up after a failed take on {host}: {e}",
                    lock.cluster
                );
            }
            Part::Failed(source.to_string())
        }
    }
}

/// Up to half a [`POLL`] more, at random.
fn jitter() -> Duration {
    let half = u64::try_from(POLL.as_millis() / 2).unwrap_or(250).max(1);
    let random = u64::from_str_radix(&new_token(), 16).unwrap_or(0);
    Duration::from_millis(random % half)
}

/// Runs `f` holding the cluster's lock: takes it (see [`acquire`]), awaits `f`, then releases
/// it whatever `f` returned. A release that fails is logged as a warning, never turned into the
/// command's error: `f`'s outcome is what the operator needs to see.
///
/// `f` is a future, so building it before the call starts nothing: it runs only once the lock
/// is taken. Interrupts: see the module's documentation; `f` must catch the signals it wants to
/// survive (with `tokio::select!` on `interrupt::interrupted`) and return, and then the lock
/// is released.
pub async fn with_lock<F, T>(
    hosts: &Hosts,
    inventory: &Inventory,
    command: &str,
    wait: Duration,
    f: F,
) -> Result<T, LockError>
where
    F: Future<Output = T>,
{
    let lock = acquire(hosts, inventory, command, wait).await?;
    let out = f.await;
    for e in lock.release(hosts).await {
        tracing::warn!("{e}");
    }
    Ok(out)
}

/// Removes every host's part of the cluster's lock, whoever holds it (`galeractl unlock`);
/// returns, per lock host in order, what it removed.
pub async fn remove(
    hosts: &Hosts,
    inventory: &Inventory,
) -> Vec<(String, Result<Found, LockError>)> {
    on_every_host(hosts, inventory, "remove", lock_scripts::remove).await
}

/// Who holds each host's part of the cluster's lock, changing nothing.
pub async fn read(hosts: &Hosts, inventory: &Inventory) -> Vec<(String, Result<Found, LockError>)> {
    on_every_host(hosts, inventory, "read", lock_scripts::read).await
}

async fn on_every_host(
    hosts: &Hosts,
    inventory: &Inventory,
    action: &'static str,
    argv_of: fn(&str) -> crate::argv::Argv,
) -> Vec<(String, Result<Found, LockError>)> {
    let lock_hosts = super::hosts(inventory);
    futures::future::join_all(lock_hosts.into_iter().map(|host| async move {
        let found = match hosts.get(&host) {
            Some(remote) => found(&remote, inventory, action, argv_of).await,
            None => Err(LockError::NotConnected {
                cluster: inventory.cluster.name.clone(),
                host: host.clone(),
            }),
        };
        (host, found)
    }))
    .await
}

/// Runs `argv_of(lock dir)`, whose output is the holder file (exit 0) or nothing (no lock).
async fn found(
    remote: &Remote,
    inventory: &Inventory,
    action: &'static str,
    argv_of: fn(&str) -> crate::argv::Argv,
) -> Result<Found, LockError> {
    let dir = dir(inventory);
    let argv = argv_of(&dir);
    let error = |source| LockError::Remote {
        cluster: inventory.cluster.name.clone(),
        action,
        host: remote.host.clone(),
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
        command: crate::argv::shell_join(argv),
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

/// Whether `holder` was a process of this machine (the same `user@machine`) that no longer
/// runs (no `/proc/PID`). A holder of another machine, or a live process, is never "gone".
pub(super) fn gone_from_this_machine(holder: &super::Holder) -> bool {
    holder.who == local_user_and_machine()
        && holder.pid != std::process::id()
        && !std::path::Path::new(&format!("/proc/{}", holder.pid)).exists()
}
