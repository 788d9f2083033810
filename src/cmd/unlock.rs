//! `galeractl unlock`: removes the cluster's lock whoever holds it, for a lock left behind by a
//! command that is gone (killed, its machine lost). It prints whom the lock named, so the
//! operator can see it was the process they meant.

use std::process::ExitCode;

use super::{inventory_path, print_warnings, Failure, Outcome};
use crate::cli::UnlockArgs;
use crate::exit;
use crate::inventory;
use crate::lock;

pub async fn run(args: &UnlockArgs) -> Outcome {
    let path = inventory_path(&args.inventory)?;
    // No secret is read: a missing secret file must not keep a lock in place.
    let (inventory, report) = inventory::load(&path, inventory::Secrets::Advisory)?;
    print_warnings(&report);
    let target = lock::target(&inventory)
        .ok_or_else(|| Failure::new(exit::INVALID_INVENTORY, "the inventory has no nodes"))?;
    let host = target.host.clone();
    let hosts = super::connect(vec![target], &args.remote).await?;
    let result = match hosts.get(&host) {
        Some(remote) => lock::remove(&remote, &inventory)
            .await
            .map_err(Failure::from),
        None => Err(Failure::new(
            exit::FAILED,
            format!("host {host} is not connected"),
        )),
    };
    hosts.close().await;
    let found = result?;
    outln!(
        "{}",
        lock::unlock_message(&inventory.cluster.name, &found, lock::now_unix())
    );
    Ok(ExitCode::SUCCESS)
}
