//! `galeractl logs NODE [--since DUR] [-f]`: the node container's log, over SSH, on stdout.
//! Reads only: no lock. `-f` follows until Ctrl-C (or SIGTERM, SIGHUP), then ends the SSH
//! session, and with it `docker logs` on the host.

use std::process::ExitCode;
use std::time::Duration;

use super::{inventory_path, print_warnings, ssh_options, unknown_node, Failure, Outcome};
use crate::cli::LogsArgs;
use crate::inventory::{self, Inventory, Node};
use crate::ssh::{AttachStdin, Remote, Target};

pub async fn run(args: &LogsArgs) -> Outcome {
    if let Some(since) = &args.since {
        if !crate::client::since_ok(since) {
            return Err(Failure::new(
                crate::exit::USAGE,
                format!("--since {since:?}: give a duration such as 10m, 1h30m or 90s, or a timestamp such as 2026-01-02T13:23:37Z"),
            ));
        }
    }
    let path = inventory_path(&args.inventory)?;
    let (inventory, report) = inventory::load(&path, inventory::Secrets::Advisory)?;
    print_warnings(&report);
    let node = inventory
        .nodes
        .iter()
        .find(|n| n.name == args.node)
        .ok_or_else(|| unknown_node(&args.node, &path, &inventory))?;
    let argv = crate::docker::client::logs(
        &inventory.container_name(node),
        args.since.as_deref(),
        args.follow,
    );
    // Never the operator's stdin: docker logs reads none, and -f's watcher needs a pipe that
    // ends only with the session.
    let stdin = AttachStdin::HeldOpen;
    attached(
        &inventory,
        node,
        &args.remote,
        &argv,
        false,
        stdin,
        "docker logs",
    )
    .await
}

/// Runs `argv` on the node's host attached to this process's stdio until it ends or the
/// operator interrupts it (exit 130); then closes the SSH session. `what` names the remote
/// command in errors.
pub async fn attached(
    inventory: &Inventory,
    node: &Node,
    remote: &crate::cli::RemoteArgs,
    argv: &[String],
    tty: bool,
    stdin: AttachStdin,
    what: &str,
) -> Outcome {
    let target = Target::for_node(inventory, node);
    let remote = Remote::connect(&target, &ssh_options(remote))
        .await
        .map_err(|e| Failure::new(crate::exit::FAILED, e.to_string()))?;
    // The handlers are installed before the command starts, so a Ctrl-C is never lost.
    let signal = crate::interrupt::interrupted();
    tokio::pin!(signal);
    let outcome = match remote.attach(argv, tty, stdin) {
        Err(e) => Err(Failure::new(crate::exit::FAILED, e.to_string())),
        Ok(mut child) => {
            let ended = tokio::select! {
                biased;
                name = &mut signal => Err(name),
                code = child.wait() => Ok(code),
            };
            // A Ctrl-C on a terminal reaches ssh too: it may end first.
            let ended = match ended {
                Ok(code) => {
                    match tokio::time::timeout(Duration::from_millis(100), &mut signal).await {
                        Ok(name) => Err(name),
                        Err(_) => Ok(code),
                    }
                }
                other => other,
            };
            child.end().await;
            match ended {
                Err(name) => Err(Failure::new(
                    crate::exit::INTERRUPTED,
                    format!("{what} on {}: ended by {name}", node.host),
                )),
                Ok(Err(e)) => Err(Failure::new(crate::exit::FAILED, e.to_string())),
                Ok(Ok(0)) => Ok(ExitCode::SUCCESS),
                Ok(Ok(code)) => Err(Failure::new(
                    crate::exit::FAILED,
                    format!("{what} on {} exited with code {code}", node.host),
                )),
            }
        }
    };
    remote.close().await;
    outcome
}
