//! One round of `recover`, decided: from every node's position, the plan to run next (resolve
//! prepared transactions, or recover the cluster, with pc.recovery's plan when it applies), and
//! the words of the questions and refusals. Pure: `cmd::recover` reads, asks and runs.

use std::collections::BTreeSet;

use super::{actions, commands, pc_recovery, Choice, Reading, Refusal, Safety};
use crate::facts::Positions;
use crate::inventory::Inventory;
use crate::plan::Plan;

/// What one reading decided: the plan to run next.
#[derive(Debug)]
pub enum Round {
    /// The prepared transactions of `nodes` resolved as `--tc-heuristic-recover` asks, then
    /// every position read again.
    Resolve {
        nodes: Vec<String>,
        choice: String,
        plan: Plan,
    },
    /// The cluster recovered.
    Recover(Box<Recovery>),
}

/// The cluster recovered by `choice`: its plan, pc.recovery's plan when it applies (or why
/// not), and the path taken, in words.
#[derive(Debug)]
pub struct Recovery {
    pub choice: Choice,
    pub plan: Plan,
    pub fast: Result<Plan, String>,
    pub path: String,
}

impl Round {
    /// The node a new history would be bootstrapped from (the arbitrator is consulted first).
    pub fn new_history_from(&self) -> Option<&str> {
        match self {
            Round::Recover(r) => match &r.choice {
                Choice::Bootstrap {
                    node,
                    new_history: true,
                    ..
                } => Some(node),
                _ => None,
            },
            Round::Resolve { .. } => None,
        }
    }
}

/// What the operator asked for on the command line.
#[derive(Debug, Clone, Default)]
pub struct Asked {
    pub safety: Safety,
    /// `--tc-heuristic-recover`: `commit` or `rollback`.
    pub tc_heuristic: Option<&'static str>,
    /// pc.recovery may be tried: this run has stopped no node cleanly yet.
    pub pc_recovery: bool,
}

/// The plan to run next, from the positions read: prepared transactions to resolve first, as
/// the operator asked (`resolved`: nodes already resolved this run); otherwise the bootstrap
/// node's choice (or its refusal) and its plans.
pub fn decide(
    inventory: &Inventory,
    observed: &Positions,
    resolved: &BTreeSet<String>,
    asked: &Asked,
) -> Result<Round, Refusal> {
    let unresolved: Vec<String> = observed
        .positions
        .iter()
        .filter(|p| matches!(p.reading, Reading::PreparedTransactions(_)))
        .map(|p| p.name.clone())
        .filter(|n| !resolved.contains(n))
        .collect();
    if let (Some(how), false) = (asked.tc_heuristic, unresolved.is_empty()) {
        let plan = commands::resolve_plan(inventory, &unresolved, how);
        let choice = format!(
            "choice: resolve the prepared transactions of {} ({how}), as --tc-heuristic-recover asks, then read every position again and choose; {} never serve{} as the bootstrap node",
            unresolved.join(", "),
            unresolved.join(", "),
            if unresolved.len() == 1 { "s" } else { "" }
        );
        return Ok(Round::Resolve {
            nodes: unresolved,
            choice,
            plan,
        });
    }
    let choice = super::choose_bootstrap_node(&observed.positions, &asked.safety)?;
    let stages = actions(&choice);
    let plan = commands::plan(inventory, &choice, &stages);
    let fast = if asked.pc_recovery {
        pc_recovery(&choice, &observed.positions, &observed.views)
            .map(|stages| commands::pc_plan(inventory, &choice, &stages))
    } else {
        Err("it was tried and did not re-form the cluster".to_string())
    };
    let path = match (&choice, &fast) {
        (Choice::StopWaiting { .. }, _) => "stop the waiting nodes, then read again".to_string(),
        (_, Ok(_)) => "pc.recovery: every node saved the same last Primary view; they restart together and Galera re-forms it (no bootstrap); if it does not within its deadline, every node is stopped cleanly, every position read again, and the bootstrap above is done instead".to_string(),
        (_, Err(why)) => format!("bootstrap ({why}, so Galera's pc.recovery does not apply)"),
    };
    Ok(Round::Recover(Box::new(Recovery {
        choice,
        plan,
        fast,
        path,
    })))
}

/// A refusal as `recover` prints it, with the advice a denied monitoring user needs.
pub fn refusal_message(inventory: &Inventory, refusal: &Refusal) -> String {
    let advice = match refusal {
        Refusal::MonitorDenied(_) => format!(
            "; {}",
            crate::galera::access_denied_advice(
                &inventory.cluster.monitor_user,
                &inventory.cluster.monitor_password_file
            )
        ),
        _ => String::new(),
    };
    format!("refused, nothing was changed: {refusal}{advice}")
}

/// The confirmation's name for what the destructive flags given do: `recover` and each of
/// `--force-without`, `--force`, `--tc-heuristic-recover` given.
pub fn destructive_flags(without: &[String], force: bool, tc_heuristic: Option<&str>) -> String {
    let mut name = String::from("recover");
    if !without.is_empty() {
        name.push_str(" --force-without");
    }
    if force {
        name.push_str(" --force");
    }
    if tc_heuristic.is_some() {
        name.push_str(" --tc-heuristic-recover");
    }
    name
}

/// What the destructive flags given may lose, one paragraph each (`tc_heuristic` as the
/// question names it: `Commit` or `Rollback`).
pub fn destroy_summary(
    inventory: &Inventory,
    without: &[String],
    force: bool,
    tc_heuristic: Option<&str>,
) -> String {
    let mut parts = Vec::new();
    if !without.is_empty() {
        parts.push(give_up_summary(inventory, without));
    }
    if force {
        parts.push(format!(
            "recover --force on cluster {}: a bootstrap past a safe_to_bootstrap that disagrees with the seqnos, and a stopped node ahead of the running Primary joined by a full copy: what only that node holds is lost.",
            inventory.cluster.name
        ));
    }
    if let Some(action) = tc_heuristic {
        parts.push(format!(
            "recover --tc-heuristic-recover {action} on cluster {}: the prepared transactions crash recovery cannot resolve are decided by hand, for good.",
            inventory.cluster.name
        ));
    }
    parts.join("\n")
}

/// What `recover --force-without` gives up, for its question.
fn give_up_summary(inventory: &Inventory, without: &[String]) -> String {
    let nodes: Vec<String> = without
        .iter()
        .map(|name| match inventory.node(name) {
            Some(node) => format!(
                "{name} on {} (its volume {})",
                node.host,
                inventory.volume_name(node)
            ),
            None => format!("{name} (no such node in the inventory)"),
        })
        .collect();
    format!(
        "recover --force-without gives up on cluster {}'s {}: {}.\nWhen their position cannot be read, the cluster is recovered from the other nodes as a NEW history (a new cluster UUID): what only the given-up nodes hold is lost, and they can rejoin only by a full copy (SST).",
        inventory.cluster.name,
        if without.len() == 1 { "node" } else { "nodes" },
        nodes.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inventory() -> Inventory {
        crate::inventory::example_for_test()
    }

    #[test]
    fn the_question_names_every_flag_and_what_each_loses() {
        let inventory = inventory();
        let without = vec!["nodec".to_string(), "nodez".to_string()];
        assert_eq!(
            destructive_flags(&without, true, Some("Commit")),
            "recover --force-without --force --tc-heuristic-recover"
        );
        assert_eq!(destructive_flags(&[], false, None), "recover");
        assert_eq!(
            destroy_summary(&inventory, &without[..1], false, Some("Rollback")),
            "recover --force-without gives up on cluster local-test's node: nodec on 10.10.10.12 (its volume local-test-nodec-data).\nWhen their position cannot be read, the cluster is recovered from the other nodes as a NEW history (a new cluster UUID): what only the given-up nodes hold is lost, and they can rejoin only by a full copy (SST).\nrecover --tc-heuristic-recover Rollback on cluster local-test: the prepared transactions crash recovery cannot resolve are decided by hand, for good."
        );
        assert!(destroy_summary(&inventory, &without, false, None)
            .contains("nodes: nodec on 10.10.10.12 (its volume local-test-nodec-data), nodez (no such node in the inventory)."));
    }
}
