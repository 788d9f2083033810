//! One operator at a time: a command that changes hosts does its work holding the cluster's
//! lock (`crate::lock`), and releases it however the work ends, an interrupt included.

use std::future::Future;
use std::time::Duration;

use super::{interrupted, Failure, Outcome};
use crate::inventory::Inventory;
use crate::lock::LockError;
use crate::ssh::Hosts;

/// How long an interrupted command gets to stop at its next check and run its compensation
/// before the lock is released anyway (a second Ctrl-C ends the process at once).
const INTERRUPT_GRACE: Duration = Duration::from_secs(600);

/// Runs `work` holding the cluster's lock, taken on a majority of the lock's hosts
/// (`crate::lock::hosts`) through `hosts` (the ones not connected count as out of reach),
/// waiting up to `wait` for another holder. An interrupt does not
/// drop `work`: the command sees the signal at its next check (before its first change, or in
/// its runner, which compensates) and returns, then the lock is released. Without a majority
/// (too many hosts out of reach, and no other holder), the command is refused, unless
/// `without_lock` (`recover --without-lock`, after losing hosts for good): then the work runs
/// without the lock, with a warning.
pub async fn locked<F>(
    inventory: &Inventory,
    hosts: &Hosts,
    command: &str,
    wait: Duration,
    without_lock: bool,
    work: F,
) -> Outcome
where
    F: Future<Output = Outcome>,
{
    if crate::lock::hosts(inventory).is_empty() {
        return work.await;
    }
    let guarded = async {
        let mut work = std::pin::pin!(work);
        tokio::select! {
            out = &mut work => out,
            signal = interrupted() => {
                tracing::warn!("{signal}: stopping at the next check; Ctrl-C again ends at once (the lock then stays: `galeractl unlock`)");
                tokio::select! {
                    out = tokio::time::timeout(INTERRUPT_GRACE, &mut work) => out.unwrap_or_else(|_| Err(Failure::new(
                        crate::exit::INTERRUPTED,
                        format!("interrupted by {signal}; the command did not stop within {}s", INTERRUPT_GRACE.as_secs()),
                    ))),
                    second = second_signal() => std::process::exit(i32::from(crate::exit::interrupted_as(crate::exit::INTERRUPTED, Some(second)))),
                }
            }
        }
    };
    // Ctrl-C while the lock is taken or waited for: the round of `mkdir`s under way ends, then
    // every part it took is given back (a process killed by the signal would leave them).
    let acquiring = crate::lock::acquire_unless(hosts, inventory, command, wait, &super::signalled);
    let acquired = {
        let mut acquiring = std::pin::pin!(acquiring);
        tokio::select! {
            out = &mut acquiring => out,
            _ = interrupted() => acquiring.await,
        }
    };
    let lock = match acquired {
        Ok(lock) => Some(lock),
        Err(crate::lock::LockError::NoMajority(why)) if without_lock => {
            tracing::warn!(
                "{why}: {command} runs WITHOUT the lock (--without-lock); make sure nobody else runs galeractl on cluster {} now",
                inventory.cluster.name
            );
            None
        }
        Err(e @ crate::lock::LockError::NoMajority(_)) => {
            let mut failure = Failure::from(e);
            failure.message.push_str(
                "; only `recover --without-lock` goes on without it, for hosts that are down for good",
            );
            return Err(failure);
        }
        Err(e) => return Err(e.into()),
    };
    // A bug that panics in the work still releases the lock.
    let outcome = super::guard_panic(guarded)
        .await
        .unwrap_or_else(|panic| Err(Failure::new(crate::exit::FAILED, panic)));
    if let Some(lock) = lock {
        for e in lock.release(hosts).await {
            tracing::warn!("{e}");
        }
    }
    outcome
}

/// A signal after the first one (SIGINT or SIGTERM), named: the exit code says which.
async fn second_signal() -> &'static str {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut int), Ok(mut term)) = (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    ) else {
        return std::future::pending().await;
    };
    tokio::select! {
        _ = int.recv() => "SIGINT",
        _ = term.recv() => "SIGTERM",
    }
}

/// Connects to `targets` (any out of reach fails the command, before any change) and to the
/// lock's hosts it can reach: a lock host out of reach is for the lock to judge (a majority is
/// enough), not a failure here.
pub async fn connect_with_lock_hosts(
    targets: Vec<crate::ssh::Target>,
    inventory: &Inventory,
    remote: &crate::cli::RemoteArgs,
) -> Result<Hosts, Failure> {
    let hosts = super::connect(targets, remote).await?;
    Ok(with_lock_hosts(hosts, inventory, remote).await)
}

/// `hosts` joined by the lock's other hosts that answer (a part on each counts toward the
/// majority); those out of reach are left out.
pub async fn with_lock_hosts(
    hosts: Hosts,
    inventory: &Inventory,
    remote: &crate::cli::RemoteArgs,
) -> Hosts {
    let more = crate::lock::targets(inventory)
        .into_iter()
        .filter(|t| hosts.get(&t.host).is_none())
        .collect();
    let (lock_hosts, unreached) = Hosts::connect_reachable(more, &super::ssh_options(remote)).await;
    for e in unreached {
        tracing::debug!("a lock host out of reach: {e}");
    }
    hosts.joined(lock_hosts)
}

/// A lock that could not be taken or kept, as the command's failure: its exit code
/// ([`LockError::exit_code`]) and its message.
impl From<LockError> for Failure {
    fn from(e: LockError) -> Self {
        let code = e.exit_code();
        let mut message = e.to_string();
        // Taking the lock comes before any change; a held lock's message says what to do.
        if matches!(
            e,
            LockError::NoMajority(_)
                | LockError::Remote { action: "take", .. }
                | LockError::Interrupted { .. }
        ) {
            message.push_str("; nothing was changed");
        }
        Failure::new(code, message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lock::Held;

    #[test]
    fn lock_errors_map_to_exit_codes() {
        let held = LockError::Held(Box::new(Held {
            cluster: "lab".into(),
            inventory: "lab.toml".into(),
            holder: None,
            seen_unix: 0,
            holder_gone: false,
        }));
        let failure = Failure::from(held);
        assert_eq!(failure.code, crate::exit::LOCKED);
        assert!(failure.message.ends_with("\"galeractl unlock lab.toml\""));
        let gone = Failure::from(LockError::Gone {
            cluster: "lab".into(),
            host: "h1".into(),
        });
        assert_eq!(gone.code, crate::exit::FAILED);
        let none = Failure::from(LockError::NoMajority("cluster lab: cannot".into()));
        assert_eq!(none.code, crate::exit::REFUSED);
        assert_eq!(none.message, "cluster lab: cannot; nothing was changed");
    }
}
