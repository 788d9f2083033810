//! What garbd is doing: whether its container runs, and its log's last lines (where its last
//! view is), read on its host before recovery starts a new history.

use crate::inventory::Inventory;
use crate::ssh::{Hosts, Remote, SshOptions, Target};

/// garbd's state on its host: whether it runs and the last lines of its log, or why that
/// cannot be told. `None` without `[arbitrator]`.
pub async fn garbd(
    inventory: &Inventory,
    options: &SshOptions,
) -> Option<Result<(bool, String), String>> {
    let a = inventory.arbitrator.as_ref()?;
    let name = inventory.arbitrator_container();
    let target = Target::for_host(inventory, &a.host);
    let (hosts, errors) = Hosts::connect_reachable(vec![target], options).await;
    let result = match hosts.get(&a.host) {
        None => Err(format!(
            "the arbitrator's host {} cannot be reached ({}), so garbd may be in a Primary component with the given-up nodes",
            a.host,
            errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
        )),
        Some(r) => state(&r, &name).await,
    };
    hosts.close().await;
    Some(result)
}

/// Whether garbd's container runs, and the last lines of its log.
async fn state(remote: &Remote, name: &str) -> Result<(bool, String), String> {
    let inspect = crate::docker::read::running(name);
    let deadline = remote.command_timeout();
    let out = remote
        .run(&inspect, None, deadline)
        .await
        .map_err(|e| format!("cannot tell whether garbd runs: {e}"))?;
    if out.code != 0 {
        if out.stderr.contains("No such") {
            return Ok((false, String::new()));
        }
        return Err(format!(
            "cannot tell whether garbd runs: docker inspect {name} exited {}: {}",
            out.code,
            out.stderr.trim()
        ));
    }
    if out.stdout.trim() != "true" {
        return Ok((false, String::new()));
    }
    let log = remote
        .run_ok(&crate::docker::read::log_tail_merged(name, 400), None)
        .await
        .map_err(|e| format!("garbd runs, but its log cannot be read: {e}"))?;
    Ok((true, log))
}
