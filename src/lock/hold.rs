//! A command's work held under the lock, with the operator's signals ([`hold`]): the edge
//! every host-changing command goes through (`cmd::locked`).

use std::future::Future;
use std::time::Duration;

use super::{acquire_unless, LockError};
use crate::interrupt::{guard_panic, interrupted, second_signal, signalled};
use crate::inventory::Inventory;
use crate::ssh::Hosts;

/// How long an interrupted command gets to stop at its next check and run its compensation
/// before the lock is released anyway (a second Ctrl-C ends the process at once).
pub const INTERRUPT_GRACE: Duration = Duration::from_secs(600);

/// Work held under the lock that did not return by itself; the lock was released all the same.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Abandoned {
    /// Interrupted, and the work did not stop within [`INTERRUPT_GRACE`].
    #[error("interrupted by {signal}; the command did not stop within {}s", INTERRUPT_GRACE.as_secs())]
    DidNotStop { signal: &'static str },
    /// The work panicked (a bug): the message of `interrupt::guard_panic`.
    #[error("{0}")]
    Panicked(String),
}

impl Abandoned {
    /// `exit::INTERRUPTED` when the work did not stop, `exit::FAILED` for a bug.
    pub fn exit_code(&self) -> u8 {
        match self {
            Abandoned::DidNotStop { .. } => crate::exit::INTERRUPTED,
            Abandoned::Panicked(_) => crate::exit::FAILED,
        }
    }
}

/// Runs `work` holding the cluster's lock, taken on a majority of the lock's hosts
/// (`super::hosts`) through `hosts` (the ones not connected count as out of reach), waiting
/// up to `wait` for another holder. A cluster without lock hosts runs `work` as it is.
///
/// An interrupt does not drop `work`: the command sees the signal at its next check (before
/// its first change, or in its runner, which compensates) and returns, then the lock is
/// released; a work that does not stop within [`INTERRUPT_GRACE`] is abandoned, and a second
/// SIGINT or SIGTERM ends the process at once (the lock then stays). An interrupt while the
/// lock is taken lets the round of `mkdir`s under way end, then gives back every part it
/// took ([`LockError::Interrupted`]). A panic in `work` is [`Abandoned::Panicked`], after the
/// release.
///
/// Without a majority (too many hosts out of reach, and no other holder) the error is
/// [`LockError::NoMajority`], unless `without_lock` (`recover --without-lock`, after losing
/// hosts for good): then `work` runs without the lock, with a warning.
pub async fn hold<F, T>(
    hosts: &Hosts,
    inventory: &Inventory,
    command: &str,
    wait: Duration,
    without_lock: bool,
    work: F,
) -> Result<Result<T, Abandoned>, LockError>
where
    F: Future<Output = T>,
{
    if super::hosts(inventory).is_empty() {
        return Ok(Ok(work.await));
    }
    let guarded = async {
        let mut work = std::pin::pin!(work);
        tokio::select! {
            out = &mut work => Ok(out),
            signal = interrupted() => {
                tracing::warn!("{signal}: stopping at the next check; Ctrl-C again ends at once (the lock then stays: `galeractl unlock`)");
                tokio::select! {
                    out = tokio::time::timeout(INTERRUPT_GRACE, &mut work) => out.map_err(|_| Abandoned::DidNotStop { signal }),
                    second = second_signal() => std::process::exit(i32::from(crate::exit::interrupted_as(crate::exit::INTERRUPTED, Some(second)))),
                }
            }
        }
    };
    // Ctrl-C while the lock is taken or waited for: the round of `mkdir`s under way ends, then
    // every part it took is given back (a process killed by the signal would leave them).
    let acquiring = acquire_unless(hosts, inventory, command, wait, &signalled);
    let acquired = {
        let mut acquiring = std::pin::pin!(acquiring);
        tokio::select! {
            out = &mut acquiring => out,
            _ = interrupted() => acquiring.await,
        }
    };
    let lock = match acquired {
        Ok(lock) => Some(lock),
        Err(LockError::NoMajority(why)) if without_lock => {
            tracing::warn!(
                "{why}: {command} runs WITHOUT the lock (--without-lock); make sure nobody else runs galeractl on cluster {} now",
                inventory.cluster.name
            );
            None
        }
        Err(e) => return Err(e),
    };
    // A bug that panics in the work still releases the lock.
    let outcome = guard_panic(guarded)
        .await
        .unwrap_or_else(|panic| Err(Abandoned::Panicked(panic)));
    if let Some(lock) = lock {
        for e in lock.release(hosts).await {
            tracing::warn!("{e}");
        }
    }
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::Abandoned;

    #[test]
    fn abandoned_work_says_why_with_its_exit_code() {
        let late = Abandoned::DidNotStop { signal: "SIGINT" };
        assert_eq!(
            late.to_string(),
            "interrupted by SIGINT; the command did not stop within 600s"
        );
        assert_eq!(late.exit_code(), crate::exit::INTERRUPTED);
        let bug = Abandoned::Panicked("galeractl stopped on an internal error".into());
        assert_eq!(bug.to_string(), "galeractl stopped on an internal error");
        assert_eq!(bug.exit_code(), crate::exit::FAILED);
    }
}
