//! `galeractl unlock`: removes every host's part of the cluster's lock whoever holds it, for a
//! lock left behind by a command that is gone (killed, its machine lost). It prints whom each
//! part named, so the operator can see it was the process they meant, and fails naming the
//! hosts it could not reach (their parts may stay: run it again once they answer).

use std::process::ExitCode;

use super::{inventory_path, print_warnings, ssh_options, Failure, Outcome};
use crate::cli::UnlockArgs;
use crate::exit;
use crate::inventory;
use crate::lock;
use crate::ssh::Hosts;

pub async fn run(args: &UnlockArgs) -> Outcome {
    // Refused at once without a terminal to ask on and without --yes: nothing is read yet.
    let ask = super::confirm::gate("unlock", true, false, args.yes)?;
    let path = inventory_path(&args.inventory)?;
    // No secret is read: a missing secret file must not keep a lock in place.
    let (inventory, report) = inventory::load(&path, inventory::Secrets::Advisory)?;
    print_warnings(&report);
    let targets = lock::targets(&inventory);
    if targets.is_empty() {
        return Err(Failure::new(
            exit::INVALID_INVENTORY,
            "the inventory has no nodes",
        ));
    }
    // The hosts out of reach are reported below, with the parts that could not be removed.
    let (hosts, unreached) = Hosts::connect_reachable(targets, &ssh_options(&args.remote)).await;
    let results = if ask {
        // Who holds it first (changing nothing); a cluster that is not locked has nothing to
        // ask about, and nothing is removed.
        let found = lock::read(&hosts, &inventory).await;
        let locked: Vec<(String, lock::Found)> = found
            .iter()
            .filter_map(|(host, r)| match r {
                Ok(f @ lock::Found::Locked(_)) => Some((host.clone(), f.clone())),
                _ => None,
            })
            .collect();
        if locked.is_empty() {
            found
        } else {
            let question =
                lock::unlock_question(&inventory.cluster.name, &locked, lock::now_unix());
            if let Err(declined) = super::confirm::confirm("unlock", &question) {
                hosts.close().await;
                return Err(declined);
            }
            lock::remove(&hosts, &inventory).await
        }
    } else {
        lock::remove(&hosts, &inventory).await
    };
    hosts.close().await;
    let mut removed = Vec::new();
    let mut missed: Vec<String> = unreached.iter().map(ToString::to_string).collect();
    for (host, result) in results {
        match result {
            Ok(found) => removed.push((host, found)),
            // Its ssh error is in `unreached` already.
            Err(lock::LockError::NotConnected { .. }) => {}
            Err(e) => missed.push(e.to_string()),
        }
    }
    if args.json {
        let doc = json_report(&inventory.cluster.name, &removed, &missed);
        outln!("{doc:#}");
    } else {
        outln!(
            "{}",
            lock::unlock_message(&inventory.cluster.name, &removed, lock::now_unix())
        );
    }
    if !missed.is_empty() {
        return Err(Failure::new(
            exit::FAILED,
            format!(
                "{}; the lock's part there may remain: run `galeractl unlock` again once it answers",
                missed.join("; ")
            ),
        ));
    }
    Ok(ExitCode::SUCCESS)
}

/// `unlock --json`: the parts removed (each host with its holder, `null` when its file could
/// not be read), the hosts where there was none, and what could not be reached or removed.
fn json_report(
    cluster: &str,
    found: &[(String, lock::Found)],
    missed: &[String],
) -> serde_json::Value {
    let removed: Vec<serde_json::Value> = found
        .iter()
        .filter_map(|(host, f)| match f {
            lock::Found::Locked(holder) => {
                Some(serde_json::json!({ "host": host, "holder": holder }))
            }
            lock::Found::NotLocked => None,
        })
        .collect();
    let not_locked: Vec<&str> = found
        .iter()
        .filter(|(_, f)| *f == lock::Found::NotLocked)
        .map(|(host, _)| host.as_str())
        .collect();
    serde_json::json!({
        "cluster": cluster,
        "removed": removed,
        "not_locked": not_locked,
        "failed": missed,
    })
}

#[cfg(test)]
mod tests {
    use crate::lock::{Found, Holder};

    #[test]
    fn the_json_report_names_each_part_and_never_the_token() {
        let holder = Holder::new("root@box", 42, "up", 1_795_711_200, "0123abcd");
        let found = vec![
            ("h1".to_string(), Found::Locked(Some(holder))),
            ("h2".to_string(), Found::NotLocked),
            ("h3".to_string(), Found::Locked(None)),
        ];
        let doc = super::json_report("lab", &found, &["host h4: cannot connect".to_string()]);
        assert_eq!(
            doc,
            serde_json::json!({
                "cluster": "lab",
                "removed": [
                    {"host": "h1", "holder": {"who": "root@box", "pid": 42, "command": "up", "since": "2026-11-26 16:40:00 UTC"}},
                    {"host": "h3", "holder": null},
                ],
                "not_locked": ["h2"],
                "failed": ["host h4: cannot connect"],
            })
        );
    }
}
