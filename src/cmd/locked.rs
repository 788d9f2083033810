//! One operator at a time: a command that changes hosts does its work holding the cluster's
//! lock (`crate::lock`), and releases it however the work ends, an interrupt included.

use std::future::Future;
use std::time::Duration;

use super::{Failure, Outcome};
use crate::inventory::Inventory;
use crate::lock::LockError;
use crate::ssh::Hosts;

/// Runs `work` holding the cluster's lock ([`crate::lock::hold`]: taken on a majority of the
/// lock's hosts reached through `hosts`, waiting up to `wait` for another holder, released
/// however `work` ends, an interrupt or a panic included). Without a majority the command is
/// refused, unless `without_lock` (`recover --without-lock`): then the work runs without the
/// lock, with a warning.
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
    match crate::lock::hold(hosts, inventory, command, wait, without_lock, work).await {
        Ok(Ok(outcome)) => outcome,
        Ok(Err(abandoned)) => Err(Failure::new(abandoned.exit_code(), abandoned.to_string())),
        Err(e @ LockError::NoMajority(_)) => {
            let mut failure = Failure::from(e);
            failure.message.push_str(
                "; only `recover --without-lock` goes on without it, for hosts that are down for good",
            );
            Err(failure)
        }
        Err(e) => Err(e.into()),
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
        if e.nothing_changed() {
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
