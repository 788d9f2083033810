//! The checks of the node commands, over the nodes' probes: whether stopping a node keeps a
//! majority of the cluster's members Synced and Primary (`stop-node`), and why a node must not
//! be started now (`start-node`). Pure.

use super::Plan;
use crate::facts::{Container, ContainerState, NodeFacts};
use crate::galera::{self, NodeStatus, Probe};
use crate::inventory::{Inventory, Node};

/// Whether stopping `node` keeps a majority of the cluster's members Synced and Primary.
/// Returns the explanation either way.
pub fn quorum_after_stop(members: usize, healthy_others: &[&str], node: &str) -> (bool, String) {
    let needed = members / 2 + 1;
    let left = healthy_others.len();
    let ok = left >= needed;
    let who = if healthy_others.is_empty() {
        "none".to_string()
    } else {
        healthy_others.join(", ")
    };
    (
        ok,
        format!(
            "after stopping {node}, {left} of {members} members would be Synced and Primary ({who}); a majority of {members} is {needed}"
        ),
    )
}

/// The arithmetic, with the members the inventory does not name (counted, never as healthy).
pub fn with_unnamed(arithmetic: String, unnamed: &[(String, u16)]) -> String {
    if unnamed.is_empty() {
        return arithmetic;
    }
    let list: Vec<String> = unnamed.iter().map(|(h, p)| format!("{h}:{p}")).collect();
    format!(
        "{arithmetic}; the members count {} the inventory does not name ({}), whose state galeractl does not read (`galeractl up --prune` takes them out)",
        list.len(),
        list.join(", ")
    )
}

/// Stopping the node would lose quorum: the arithmetic (for `--force`'s warning) and the
/// refusal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuorumLoss {
    pub arithmetic: String,
    pub refusal: String,
}

/// Whether stopping `node` keeps quorum, from every node's probe (inventory order) and the
/// members the inventory does not name (`unnamed`: they count as members, never as healthy
/// ones, their state is not read). A node that refuses the monitoring user counts as one whose
/// SQL is silent: it may be the extra member itself, so the arbitrator is not counted for it.
pub fn stop_keeps_quorum(
    inventory: &Inventory,
    node: &str,
    probes: &[Probe],
    unnamed: &[(String, u16)],
) -> Result<(), QuorumLoss> {
    let statuses: Vec<Option<NodeStatus>> = probes.iter().map(|p| p.clone().ok()).collect();
    let mut healthy_others: Vec<&str> = inventory
        .nodes
        .iter()
        .zip(&statuses)
        .filter(|(n, s)| n.name != node && s.as_ref().is_some_and(NodeStatus::is_healthy))
        .map(|(n, _)| n.name.as_str())
        .collect();
    if inventory.arbitrator.is_some() && crate::arbitrator::surely_member(&statuses, unnamed.len())
    {
        healthy_others.push("the arbitrator");
    }
    let (ok, arithmetic) =
        quorum_after_stop(inventory.members() + unnamed.len(), &healthy_others, node);
    if ok {
        return Ok(());
    }
    let arithmetic = with_unnamed(arithmetic, unnamed);
    Err(QuorumLoss {
        refusal: format!(
            "refusing to stop {node}: the cluster would lose quorum: {arithmetic}{}. Nothing was stopped; --force overrides",
            not_counted(inventory, probes, node)
        ),
        arithmetic,
    })
}

/// Why `start-node` must not start `node` now: no other node is known to be Synced in a
/// Primary component. Nodes that refuse the monitoring user run and may serve: then the
/// password file is named, and a full outage (and `recover`) is not suggested.
pub fn start_refusal(inventory: &Inventory, node: &str, probes: &[Probe]) -> Option<String> {
    let others: Vec<(&str, &Probe)> = inventory
        .nodes
        .iter()
        .zip(probes)
        .filter(|(n, _)| n.name != node)
        .map(|(n, p)| (n.name.as_str(), p))
        .collect();
    if others
        .iter()
        .any(|(_, p)| p.as_ref().is_ok_and(NodeStatus::is_healthy))
    {
        return None;
    }
    let seen = others
        .iter()
        .map(|(n, p)| format!("{n}: {}", galera::said(p)))
        .collect::<Vec<_>>()
        .join("; ");
    let denied: Vec<&str> = others
        .iter()
        .filter(|(_, p)| {
            p.as_ref()
                .err()
                .is_some_and(galera::NoAnswer::is_access_denied)
        })
        .map(|(n, _)| *n)
        .collect();
    if !denied.is_empty() {
        return Some(format!(
            "refusing to start {node}: no other node is known to be Synced in a Primary component ({seen}); {} run and answer SQL but refuse the monitoring user, so their state is unknown and they may serve: {}",
            denied.join(", "),
            galera::access_denied_advice(
                &inventory.cluster.monitor_user,
                &inventory.cluster.monitor_password_file
            )
        ));
    }
    let answered = others.iter().any(|(_, p)| {
        p.as_ref()
            .err()
            .is_some_and(galera::NoAnswer::server_answered)
    });
    if answered {
        return Some(format!(
            "refusing to start {node}: no other node is known to be Synced in a Primary component ({seen}); a node whose server answers with an error (refusing the monitoring user, a certificate this machine does not trust) runs and may serve: fix what it says, then run again"
        ));
    }
    Some(format!(
        "refusing to start {node}: no other node is Synced in a Primary component ({seen}), so there is no cluster to join; after a full outage run `galeractl recover`"
    ))
}

/// For `stop-node`'s refusal: the other nodes not counted as Synced and Primary because they
/// gave no status, and why (the password file when they refuse the monitoring user).
fn not_counted(inventory: &Inventory, probes: &[Probe], node: &str) -> String {
    let silent: Vec<(&str, &Probe)> = inventory
        .nodes
        .iter()
        .zip(probes)
        .filter(|(n, p)| n.name != node && p.is_err())
        .map(|(n, p)| (n.name.as_str(), p))
        .collect();
    if silent.is_empty() {
        return String::new();
    }
    let list = silent
        .iter()
        .map(|(n, p)| format!("{n}: {}", galera::said(p)))
        .collect::<Vec<_>>()
        .join("; ");
    if galera::denied(silent.iter().copied()).is_empty() {
        format!(" (not counted: {list})")
    } else {
        format!(
            " (not counted: {list}; {})",
            galera::access_denied_advice(
                &inventory.cluster.monitor_user,
                &inventory.cluster.monitor_password_file
            )
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::galera::NoAnswer;

    fn inventory() -> Inventory {
        let text = "[cluster]\nname = \"c\"\nimage = \"i\"\nroot_password_file = \"/s/root.pw\"\nmonitor_password_file = \"/s/monitor.pw\"\nmonitor_user = \"monitor\"\n[[nodes]]\nname = \"nodea\"\nhost = \"h1\"\n[[nodes]]\nname = \"nodeb\"\nhost = \"h2\"\n[[nodes]]\nname = \"nodec\"\nhost = \"h3\"\n";
        crate::inventory::parse(std::path::Path::new("/s/x.toml"), text)
            .inventory
            .unwrap_or_else(|| panic!("inventory"))
    }

    fn denied() -> Probe {
        Err(NoAnswer::AccessDenied {
            message: "Access denied for user 'monitor'@'10.0.0.9' (using password: YES)".into(),
        })
    }

    fn synced() -> Probe {
        Ok(NodeStatus::from_rows([
            ("wsrep_cluster_status", "Primary"),
            ("wsrep_local_state_comment", "Synced"),
            ("wsrep_ready", "ON"),
            ("wsrep_cluster_size", "2"),
        ]))
    }

    #[test]
    fn start_refused_beside_peers_that_refuse_the_monitor_names_the_password_file() {
        let inv = inventory();
        let probes = [denied(), Err(NoAnswer::Refused), denied()];
        assert_eq!(
            start_refusal(&inv, "nodeb", &probes).as_deref(),
            Some("refusing to start nodeb: no other node is known to be Synced in a Primary component (nodea: access denied (Access denied for user 'monitor'@'10.0.0.9' (using password: YES)); nodec: access denied (Access denied for user 'monitor'@'10.0.0.9' (using password: YES))); nodea, nodec run and answer SQL but refuse the monitoring user, so their state is unknown and they may serve: the nodes refuse the monitoring user 'monitor': the password in /s/monitor.pw (cluster.monitor_password_file) is not the one the nodes have for 'monitor'; put the cluster's password back in that file (or set that password for 'monitor' on the nodes), then run again")
        );
        // One denied, one silent: still no advice to recover.
        let probes = [
            denied(),
            Err(NoAnswer::Refused),
            Err(NoAnswer::Timeout { ms: 2000 }),
        ];
        let refusal = start_refusal(&inv, "nodeb", &probes).unwrap_or_default();
        assert!(
            refusal.contains("nodea run and answer SQL but refuse the monitoring user"),
            "{refusal}"
        );
        assert!(!refusal.contains("recover"), "{refusal}");
        // Another server error: it runs too.
        let busy = Err(NoAnswer::ServerError {
            code: 1040,
            message: "Too many connections".into(),
        });
        let refusal = start_refusal(
            &inv,
            "nodeb",
            &[busy, Err(NoAnswer::Refused), Err(NoAnswer::Refused)],
        )
        .unwrap_or_default();
        assert!(!refusal.contains("recover"), "{refusal}");
    }

    #[test]
    fn start_refused_after_a_full_outage_says_why_each_peer_is_silent() {
        let inv = inventory();
        let probes = [
            Err(NoAnswer::Refused),
            Err(NoAnswer::Refused),
            Err(NoAnswer::Timeout { ms: 2000 }),
        ];
        assert_eq!(
            start_refusal(&inv, "nodeb", &probes).as_deref(),
            Some("refusing to start nodeb: no other node is Synced in a Primary component (nodea: connection refused; nodec: no answer within 2000 ms), so there is no cluster to join; after a full outage run `galeractl recover`")
        );
        // A Synced peer: nothing refused, whatever the others say.
        assert_eq!(
            start_refusal(&inv, "nodeb", &[denied(), Err(NoAnswer::Refused), synced()]),
            None
        );
    }

    #[test]
    fn stop_refusal_lists_the_peers_not_counted() {
        let inv = inventory();
        let probes = [synced(), synced(), denied()];
        assert_eq!(
            not_counted(&inv, &probes, "nodea"),
            " (not counted: nodec: access denied (Access denied for user 'monitor'@'10.0.0.9' (using password: YES)); the nodes refuse the monitoring user 'monitor': the password in /s/monitor.pw (cluster.monitor_password_file) is not the one the nodes have for 'monitor'; put the cluster's password back in that file (or set that password for 'monitor' on the nodes), then run again)"
        );
        let probes = [synced(), synced(), Err(NoAnswer::Refused)];
        assert_eq!(
            not_counted(&inv, &probes, "nodea"),
            " (not counted: nodec: connection refused)"
        );
        assert_eq!(
            not_counted(&inv, &[synced(), synced(), synced()], "nodea"),
            ""
        );
    }

    #[test]
    fn quorum_arithmetic() {
        let (ok, why) = quorum_after_stop(3, &["nodea", "nodec"], "nodeb");
        assert!(ok, "{why}");
        let (ok, why) = quorum_after_stop(3, &["nodea"], "nodec");
        assert!(!ok);
        assert_eq!(
            why,
            "after stopping nodec, 1 of 3 members would be Synced and Primary (nodea); a majority of 3 is 2"
        );
        assert!(!quorum_after_stop(4, &["a", "b"], "c").0);
        assert!(quorum_after_stop(5, &["a", "b", "c"], "d").0);
        assert!(!quorum_after_stop(1, &[], "a").0);
    }

    #[test]
    fn stopping_keeps_quorum_or_says_why_not() {
        let inv = inventory();
        assert_eq!(
            stop_keeps_quorum(&inv, "nodea", &[synced(), synced(), synced()], &[]),
            Ok(())
        );
        let loss = stop_keeps_quorum(
            &inv,
            "nodea",
            &[synced(), synced(), Err(NoAnswer::Refused)],
            &[],
        );
        assert_eq!(
            loss,
            Err(QuorumLoss {
                arithmetic: "after stopping nodea, 1 of 3 members would be Synced and Primary (nodeb); a majority of 3 is 2".into(),
                refusal: "refusing to stop nodea: the cluster would lose quorum: after stopping nodea, 1 of 3 members would be Synced and Primary (nodeb); a majority of 3 is 2 (not counted: nodec: connection refused). Nothing was stopped; --force overrides".into(),
            })
        );
    }
}

/// What `stop-node` does, decided from what it read.
#[derive(Debug)]
pub enum StopNode {
    /// Stopped already, as `state` says (`Missing`: no container); `plan` records the
    /// operator's stop (for `watch`) when its container is there.
    Already {
        state: ContainerState,
        plan: Option<Plan>,
    },
    /// Stopped by `plan`; `forced`: the quorum arithmetic that `--force` went past.
    Stop { plan: Plan, forced: Option<String> },
}

/// `stop-node`'s decision: nothing to stop, the refusal (quorum would be lost, without
/// `--force`), or the plan.
pub fn stop_node_decision(
    inventory: &Inventory,
    node: &Node,
    facts: &NodeFacts,
    force: bool,
) -> Result<StopNode, String> {
    match &facts.container {
        Some(row) if row.is_running() => {}
        Some(row) => {
            return Ok(StopNode::Already {
                state: row.state.clone(),
                plan: Some(super::record_stop(inventory, node)),
            })
        }
        None => {
            return Ok(StopNode::Already {
                state: ContainerState::Missing,
                plan: None,
            })
        }
    }
    let forced = match stop_keeps_quorum(inventory, &node.name, &facts.probes, &facts.unnamed) {
        Ok(()) => None,
        Err(loss) if !force => return Err(loss.refusal),
        Err(loss) => Some(loss.arithmetic),
    };
    Ok(StopNode::Stop {
        plan: super::stop_node(inventory, node),
        forced,
    })
}

/// What `start-node` does, decided from what it read.
#[derive(Debug)]
pub enum StartNode {
    /// It runs, Synced and Primary, already.
    Serving,
    /// Started by this plan.
    Start(Plan),
}

/// `start-node`'s decision: nothing to do, the refusal (no cluster to join, or the upgrade's
/// guard), or the plan.
pub fn start_node_decision(
    inventory: &Inventory,
    node: &Node,
    facts: &NodeFacts,
    force: bool,
) -> Result<StartNode, String> {
    let own = inventory
        .nodes
        .iter()
        .position(|n| n.name == node.name)
        .and_then(|i| facts.probes.get(i))
        .and_then(|p| p.as_ref().ok());
    if own.is_some_and(NodeStatus::is_healthy) {
        return Ok(StartNode::Serving);
    }
    if let Some(refusal) = start_refusal(inventory, &node.name, &facts.probes) {
        return Err(refusal);
    }
    let container = Container::of_row(facts.container.as_ref());
    super::start_node(inventory, node, &container, facts.versions.as_ref(), force)
        .map(StartNode::Start)
        .map_err(|e| e.to_string())
}
