//! Reading every node's position, in parallel: its container's state; if it runs, its wsrep
//! status; else its grastate.dat from a one-off container on its volume and, after a crash
//! (seqno -1), `mariadbd --wsrep-recover` there. Never while the node's own container runs.

use std::collections::BTreeSet;
use std::time::Duration;

use super::PROBE_TIMEOUT;
use crate::docker::oneoff;
use crate::facts::{
    ContainerRow, ContainerState, NodePosition, NodeState, Positions, Reading, Source,
};
use crate::inventory::{Inventory, Node};
use crate::observe;
use crate::recover::{self, RecoverOutput, ZERO_UUID};
use crate::secret::Secret;
use crate::sql::SqlTarget;
use crate::ssh::{Hosts, Remote};

/// What reading the positions needs: the hosts connected, why the others are not, and the
/// deadlines.
pub struct Reach<'a> {
    pub inventory: &'a Inventory,
    pub hosts: &'a Hosts,
    /// Hosts that could not be reached, with ssh's reason.
    pub unreachable: &'a [(String, String)],
    pub password: &'a Secret,
    pub step_timeout: Duration,
    /// Deadline of crash recovery on a volume.
    pub long_timeout: Duration,
    /// Nodes whose prepared transactions this run resolved by heuristic: their position's
    /// source says so.
    pub resolved: BTreeSet<String>,
}

fn monitor_target(cx: &Reach<'_>, node: &Node) -> SqlTarget {
    observe::monitor_target(cx.inventory, node, cx.password)
}

/// Every node's container and wsrep state, read now (for recovery's reports).
pub async fn now(inventory: &Inventory, hosts: &Hosts, password: &Secret) -> Vec<NodeState> {
    futures::future::join_all(inventory.nodes.iter().map(|n| async move {
        let container = match hosts.get(&n.host) {
            None => None,
            Some(remote) => Some(match observe::containers(&remote).await {
                Ok(rows) => observe::node_container(inventory, n, &rows)
                    .map_or(ContainerState::Missing, |r| r.state.clone()),
                Err(_) => ContainerState::Unknown(String::new()),
            }),
        };
        let target = observe::monitor_target(inventory, n, password);
        let status = crate::sql::probe(&target, PROBE_TIMEOUT).await.ok();
        NodeState {
            name: n.name.clone(),
            host: n.host.clone(),
            container,
            status,
        }
    }))
    .await
}

/// The seqno in the node's grastate.dat, read (read-only) through recovery's labelled one-off
/// container on its volume, with recovery's parser.
pub async fn saved_seqno(inventory: &Inventory, node: &Node, remote: &Remote) -> Option<i64> {
    let argv = oneoff::read_grastate(inventory, node);
    let out = remote.run_ok(&argv, None).await.ok()?;
    recover::parse_grastate(&out).ok().map(|g| g.seqno)
}

/// Every node's position, read in parallel.
pub async fn read(cx: &Reach<'_>) -> Positions {
    let results =
        futures::future::join_all(cx.inventory.nodes.iter().map(|n| read_node(cx, n))).await;
    let mut positions = Vec::new();
    let mut views = Vec::new();
    for (position, _grastate, view) in results {
        positions.push(position);
        views.push(view);
    }
    Positions { positions, views }
}

/// The node's saved Primary view, when it crashed in one (a clean stop removes the file).
async fn saved_view(
    cx: &Reach<'_>,
    node: &Node,
    remote: &Remote,
) -> Option<crate::facts::SavedView> {
    let argv = oneoff::read_gvwstate(cx.inventory, node);
    let out = oneoff_run(cx, node, remote, &argv, cx.step_timeout)
        .await
        .ok()?;
    (out.code == 0)
        .then(|| recover::parse_gvwstate(&out.stdout))
        .flatten()
}

async fn read_node(
    cx: &Reach<'_>,
    node: &Node,
) -> (
    NodePosition,
    Option<String>,
    Option<crate::facts::SavedView>,
) {
    let at = |container, reading| NodePosition {
        name: node.name.clone(),
        host: node.host.clone(),
        container,
        reading,
    };
    let Some(remote) = cx.hosts.get(&node.host) else {
        let why = cx
            .unreachable
            .iter()
            .find(|(h, _)| h == &node.host)
            .map_or_else(
                || format!("host {} is not connected", node.host),
                |(_, e)| e.clone(),
            );
        // SSH cannot reach the host, but its node may still serve (only the operator's route
        // to SSH is down): ask its SQL port before calling it unreadable.
        return match crate::sql::probe(&monitor_target(cx, node), PROBE_TIMEOUT).await {
            Ok(s) if s.is_primary() => (
                at(
                    // It runs, but its host is out of reach: nothing is done to it.
                    ContainerState::Unknown(why.clone()),
                    Reading::Primary {
                        uuid: s.cluster_state_uuid,
                        seqno: s.last_committed,
                    },
                ),
                None,
                None,
            ),
            Ok(s) => (
                at(
                    ContainerState::Running,
                    Reading::Unreadable(format!(
                        "{why}; its SQL answers ({} {}), so it runs",
                        s.cluster_status, s.local_state
                    )),
                ),
                None,
                None,
            ),
            // Its server answers: it runs, whatever SSH says.
            Err(e) if e.is_access_denied() => (
                at(
                    ContainerState::Unknown(why.clone()),
                    Reading::AccessDenied(format!("{why}; its SQL: {e}")),
                ),
                None,
                None,
            ),
            Err(e) => (
                at(
                    ContainerState::Unknown(why.clone()),
                    Reading::Unreadable(format!("{why}; its SQL: {e}")),
                ),
                None,
                None,
            ),
        };
    };
    let rows = match observe::containers(&remote).await {
        Ok(rows) => rows,
        Err(e) => {
            let why = format!("docker does not answer: {e}");
            return (
                at(
                    ContainerState::Unknown(why.clone()),
                    Reading::Unreadable(why),
                ),
                None,
                None,
            );
        }
    };
    match observe::node_container(cx.inventory, node, &rows) {
        Some(row) if row.is_running() => (
            at(row.state.clone(), running(cx, node, row).await),
            None,
            None,
        ),
        row => {
            let container = row.map_or(ContainerState::Missing, |r| r.state.clone());
            let (reading, text) = stopped(cx, node, &remote).await;
            // Only a crash leaves a saved view behind (seqno -1 in grastate.dat).
            let crashed = text
                .as_deref()
                .and_then(|t| recover::parse_grastate(t).ok())
                .is_some_and(|g| g.seqno == -1);
            let view = if crashed && container.is_stopped() {
                saved_view(cx, node, &remote).await
            } else {
                None
            };
            (at(container, reading), text, view)
        }
    }
}

/// A running node: its position is what it reports; its volume is not touched.
async fn running(cx: &Reach<'_>, node: &Node, row: &ContainerRow) -> Reading {
    match crate::sql::probe(&monitor_target(cx, node), PROBE_TIMEOUT).await {
        Ok(s) if s.is_primary() => Reading::Primary {
            uuid: s.cluster_state_uuid,
            seqno: s.last_committed,
        },
        Ok(s)
            if recover::is_uuid(&s.cluster_state_uuid)
                && s.cluster_state_uuid != ZERO_UUID
                && s.last_committed >= 0 =>
        {
            Reading::Position {
                uuid: s.cluster_state_uuid,
                seqno: s.last_committed,
                safe_to_bootstrap: false,
                source: Source::WsrepStatus,
            }
        }
        Ok(s) => Reading::Unreadable(format!(
            "container {} runs ({} {}) without a known position",
            row.name, s.cluster_status, s.local_state
        )),
        // Its server refuses the monitoring user: it runs and may serve; its log is no reason
        // to call it waiting. (Another server error leaves it unreadable while it runs, and
        // the silence check before any bootstrap refuses a server that answers.)
        Err(e) if e.is_access_denied() => {
            Reading::AccessDenied(format!("container {} runs; its SQL: {e}", row.name))
        }
        Err(e) => {
            // Its own log may say why: a node that waits non-Primary does not open its SQL port.
            let log = match cx.hosts.get(&node.host) {
                Some(remote) => observe::log_tail(&remote, &row.name, LOG_LINES).await,
                None => String::new(),
            };
            if crate::galera::last_view_is_non_primary(&log) {
                Reading::WaitingNonPrimary(format!(
                    "container {} runs, SQL does not answer, and its last view since its start is non-Primary",
                    row.name
                ))
            } else {
                Reading::Unreadable(format!(
                    "container {} is {} but SQL does not answer ({e}); its volume is not read while it runs",
                    row.name, row.state
                ))
            }
        }
    }
}

/// How much of a silent node's log is read to find its last view.
const LOG_LINES: usize = 400;

async fn stopped(cx: &Reach<'_>, node: &Node, remote: &Remote) -> (Reading, Option<String>) {
    let inventory = cx.inventory;
    match remote
        .run(
            &oneoff::volume_exists(inventory, node),
            None,
            cx.step_timeout,
        )
        .await
    {
        Ok(o) if o.code == 0 => {}
        Ok(o) if o.stderr.to_ascii_lowercase().contains("no such volume") => {
            return (Reading::NoData, None)
        }
        Ok(o) => {
            let why = format!("docker volume inspect: {}", o.stderr.trim());
            return (Reading::Unreadable(why), None);
        }
        Err(e) => return (Reading::Unreadable(e.to_string()), None),
    }
    let text = match read_grastate(cx, node, remote).await {
        Ok(Some(text)) => text,
        Ok(None) => {
            // No grastate.dat: never initialised, or lost (deleting it is a common "force an
            // SST" tip) beside a database that may be the most advanced. A database means
            // crash recovery tells its position; if it cannot, the node is unreadable (which
            // refuses), never "no data" (which a full copy would overwrite).
            return match holds_database(cx, node, remote).await {
                Ok(false) => (Reading::NoData, None),
                Ok(true) => match wsrep_recover(cx, node, remote, false).await {
                    Reading::Position { seqno, .. } if seqno < 0 => (
                        Reading::Unreadable(
                            "its volume holds a database but no grastate.dat, and --wsrep-recover found no position".into(),
                        ),
                        None,
                    ),
                    reading => (reading, None),
                },
                Err(why) => (Reading::Unreadable(why), None),
            };
        }
        Err(why) => return (Reading::Unreadable(why), None),
    };
    let g = match recover::parse_grastate(&text) {
        Ok(g) => g,
        // An empty or cut grastate.dat beside no database: a full copy into the empty volume
        // was cut short (Galera writes the file before the transfer). Nothing to lose there:
        // the node rejoins by a full copy. Beside a database, the node stays unreadable.
        Err(e) => {
            return match holds_database(cx, node, remote).await {
                Ok(false) => (Reading::NoData, Some(text)),
                Ok(true) => (Reading::Unreadable(e.to_string()), None),
                Err(why) => (Reading::Unreadable(format!("{e}; {why}")), None),
            }
        }
    };
    let reading = if g.seqno >= 0 || g.uuid == ZERO_UUID {
        Reading::Position {
            uuid: g.uuid,
            seqno: g.seqno,
            safe_to_bootstrap: g.safe_to_bootstrap,
            source: Source::Grastate,
        }
    } else {
        wsrep_recover(cx, node, remote, g.safe_to_bootstrap).await
    };
    (reading, Some(text))
}

/// grastate.dat's text, or `None` when the volume has none (never initialised).
async fn read_grastate(
    cx: &Reach<'_>,
    node: &Node,
    remote: &Remote,
) -> Result<Option<String>, String> {
    let out = oneoff_run(
        cx,
        node,
        remote,
        &oneoff::read_grastate(cx.inventory, node),
        cx.step_timeout,
    )
    .await?;
    if out.code == 0 {
        Ok(Some(out.stdout))
    } else if out.stderr.contains("No such file or directory") {
        Ok(None)
    } else {
        Err(format!(
            "reading grastate.dat failed (exit code {}): {}",
            out.code,
            out.stderr.trim()
        ))
    }
}

/// Whether the node's volume holds a database (its `mysql` system schema).
async fn holds_database(cx: &Reach<'_>, node: &Node, remote: &Remote) -> Result<bool, String> {
    let out = oneoff_run(
        cx,
        node,
        remote,
        &oneoff::has_database(cx.inventory, node),
        cx.step_timeout,
    )
    .await?;
    // `test -d` says 0 or 1; anything else is docker failing, which tells nothing of the data.
    match out.code {
        0 => Ok(true),
        1 => Ok(false),
        code => Err(format!(
            "cannot tell whether its volume holds a database (exit {code}): {}",
            out.stderr.trim()
        )),
    }
}

/// `mariadbd --wsrep-recover` on the node's volume. Prepared transactions it cannot resolve
/// are reported, never resolved here: resolving changes data, so it is a plan of its own
/// (`recover::commands::resolve_plan`), printed before it runs.
async fn wsrep_recover(
    cx: &Reach<'_>,
    node: &Node,
    remote: &Remote,
    safe_to_bootstrap: bool,
) -> Reading {
    tracing::info!(
        "  [{}] {}: mariadbd --wsrep-recover on its volume",
        node.host,
        node.name
    );
    let argv = oneoff::wsrep_recover(cx.inventory, node);
    let out = match oneoff_run(cx, node, remote, &argv, cx.long_timeout).await {
        Ok(out) => out,
        Err(why) => return Reading::Unreadable(why),
    };
    let text = format!("{}{}", out.stdout, out.stderr);
    match recover::parse_wsrep_recover(&text) {
        RecoverOutput::Position { uuid, seqno, .. } => Reading::Position {
            uuid,
            seqno,
            safe_to_bootstrap,
            source: if cx.resolved.contains(&node.name) {
                Source::Heuristic
            } else {
                Source::WsrepRecover
            },
        },
        RecoverOutput::Nothing(tail) => Reading::Unreadable(format!(
            "--wsrep-recover printed no position (exit code {}): {tail}",
            out.code
        )),
        RecoverOutput::PreparedTransactions(lines) => {
            Reading::PreparedTransactions(lines.join(" "))
        }
    }
}

/// Runs a one-off container within `timeout`; it is removed if the deadline passes (never two
/// servers on one volume).
async fn oneoff_run(
    cx: &Reach<'_>,
    node: &Node,
    remote: &Remote,
    argv: &[String],
    timeout: std::time::Duration,
) -> Result<crate::ssh::Output, String> {
    let mut retried = false;
    loop {
        match remote.run(argv, None, timeout).await {
            // A leftover of an interrupted run holds the name: remove it, once.
            Ok(out) if out.code != 0 && out.stderr.contains("is already in use") && !retried => {
                tracing::warn!(
                    "  [{}] removing a leftover {}",
                    node.host,
                    cx.inventory.recover_container(node)
                );
                remove_oneoff(cx, node, remote).await;
                retried = true;
            }
            Ok(out) => return Ok(out),
            Err(e) => {
                remove_oneoff(cx, node, remote).await;
                return Err(e.to_string());
            }
        }
    }
}

async fn remove_oneoff(cx: &Reach<'_>, node: &Node, remote: &Remote) {
    let _ = remote
        .run(
            &oneoff::remove_oneoff(cx.inventory, node),
            None,
            cx.step_timeout,
        )
        .await;
}
