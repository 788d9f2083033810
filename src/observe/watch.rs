//! What `watch` reads in one look: `status`'s own observation, then, for each node that neither
//! serves nor answers, one read on its host on a connection of its own (`watch::look::need`:
//! its log since its start, or the operator's stop record).

use super::status::Reading;
use crate::docker;
use crate::inventory::{Inventory, Node};
use crate::secret::Secret;
use crate::ssh::{Remote, SshOptions, Target};
use crate::watch::look::{need, Need, WatchFacts};

/// How much of a silent node's log is read for its last view.
const LOG_LINES: usize = 400;

pub async fn look(inventory: &Inventory, password: &Secret, how: &Reading) -> WatchFacts {
    let status = super::status::read(inventory, password, how).await;
    let reads = futures::future::join_all(inventory.nodes.iter().zip(&status.nodes).map(
        |(node, report)| async move {
            let argv = match need(report) {
                Need::Nothing => return None,
                Need::Log => {
                    docker::read::log_tail_merged(&inventory.container_name(node), LOG_LINES)
                }
                Need::StopRecord => docker::shell::read_stop_record(inventory, node),
            };
            Some(read(inventory, node, &how.options, &argv).await)
        },
    ))
    .await;
    WatchFacts { status, reads }
}

/// One command on the node's host, on a connection of its own.
async fn read(
    inventory: &Inventory,
    node: &Node,
    options: &SshOptions,
    argv: &[String],
) -> Result<String, String> {
    let remote = Remote::connect(&Target::for_node(inventory, node), options)
        .await
        .map_err(|e| e.to_string())?;
    let out = remote
        .run(argv, None, options.command_timeout)
        .await
        .map_err(|e| e.to_string());
    remote.close().await;
    let out = out?;
    match out.code {
        0 => Ok(out.stdout),
        code => Err(format!("exit {code}: {}", out.stderr.trim())),
    }
}
