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
        let held = lock::held_parts(&found);
        if held.is_empty() {
            found
        } else {
            let question = lock::unlock_question(&inventory.cluster.name, &held, lock::now_unix());
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
    let unlocked = lock::Unlocked::sort(results, &unreached);
    if args.json {
        outln!("{:#}", unlocked.json(&inventory.cluster.name));
    } else {
        let now = lock::now_unix();
        outln!(
            "{}",
            lock::unlock_message(&inventory.cluster.name, &unlocked.removed, now)
        );
    }
    if let Some(message) = unlocked.failure() {
        return Err(Failure::new(exit::FAILED, message));
    }
    Ok(ExitCode::SUCCESS)
}
