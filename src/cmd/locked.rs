//! One operator at a time: a command that changes hosts does its work holding the cluster's
//! lock (`crate::lock`), and releases it however the work ends, an interrupt included.

use std::future::Future;
use std::time::Duration;

use super::{interrupted, Failure, Outcome};
use crate::inventory::Inventory;
use crate::ssh::Hosts;

/// How long an interrupted command gets to stop at its next check and run its compensation
/// before the lock is released anyway (a second Ctrl-C ends the process at once).
const INTERRUPT_GRACE: Duration = Duration::from_secs(600);

/// Runs `work` holding the cluster's lock, taken on the lock's host through `hosts` (which
/// must be connected to it), waiting up to `wait` for another holder. An interrupt does not
/// drop `work`: the command sees the signal at its next check (before its first change, or in
/// its runner, which compensates) and returns, then the lock is released. When
/// `without_lock_host` is true and that host is out of reach (`recover` after losing it),
/// the work runs without the lock, with a warning.
pub async fn locked<F>(
    inventory: &Inventory,
    hosts: &Hosts,
    command: &str,
    wait: Duration,
    without_lock_host: bool,
    work: F,
) -> Outcome
where
    F: Future<Output = Outcome>,
{
    let Some(host) = crate::lock::host(inventory) else {
        return work.await;
    };
    let Some(remote) = hosts.get(host) else {
        if without_lock_host {
            tracing::warn!(
                "the cluster lock lives on {host}, which is out of reach: {command} runs WITHOUT the lock; make sure nobody else runs galeractl on cluster {} now",
                inventory.cluster.name
            );
            return work.await;
        }
        return Err(Failure::new(
            crate::exit::FAILED,
            format!("host {host} (the cluster lock's) is not connected; nothing was changed"),
        ));
    };
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
                    () = second_signal() => std::process::exit(i32::from(crate::exit::INTERRUPTED)),
                }
            }
        }
    };
    let lock = match crate::lock::acquire(&remote, inventory, command, wait).await {
        Ok(lock) => Some(lock),
        // After a power cut the lock's host may answer and still refuse the lock (a full or
        // read-only filesystem): recovery goes on, as when the host is gone.
        Err(e @ crate::lock::LockError::Remote { .. }) if without_lock_host => {
            tracing::warn!(
                "the cluster lock cannot be taken ({e}): {command} runs WITHOUT the lock; make sure nobody else runs galeractl on cluster {} now",
                inventory.cluster.name
            );
            None
        }
        Err(e) => return Err(e.into()),
    };
    // A bug that panics in the work still releases the lock.
    let outcome = super::guard_panic(guarded)
        .await
        .unwrap_or_else(|panic| Err(Failure::new(crate::exit::FAILED, panic)));
    if let Some(lock) = lock {
        if let Err(e) = lock.release(&remote).await {
            tracing::warn!("{e}");
        }
    }
    outcome
}

/// A signal after the first one.
async fn second_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut int), Ok(mut term)) = (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    ) else {
        return std::future::pending().await;
    };
    tokio::select! {
        _ = int.recv() => {}
        _ = term.recv() => {}
    }
}
