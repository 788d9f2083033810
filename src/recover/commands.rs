//! The commands each recovery [`Action`] runs on its node's host, as plan steps: the one
//! source of both `recover --dry-run`'s printed commands and what `recover` runs. Actions that
//! only look (waits, the silence check, the final verification) have none. Pure.

use super::{oneoff, Action};
use crate::docker::{self, ClusterAddress};
use crate::inventory::{Inventory, Node};
use crate::plan::{self, Stdin, Step};

/// grastate.dat with the given position, whole (Galera 4 reads these four fields).
pub fn grastate_text(uuid: &str, seqno: i64, safe_to_bootstrap: bool) -> String {
    format!(
        "# GALERA saved state\nversion: 2.1\nuuid:    {uuid}\nseqno:   {seqno}\nsafe_to_bootstrap: {}\n",
        u8::from(safe_to_bootstrap)
    )
}

fn step(node: &Node, description: String, argv: Vec<String>, stdin: Option<Stdin>) -> Step {
    Step::on_node(node, description, argv, stdin)
}

/// The steps of `action`; empty for the actions that only look, or a node not in `inventory`.
pub fn commands(inventory: &Inventory, action: &Action) -> Vec<Step> {
    if let Action::RecordHistory { via, nodes } = action {
        let mut hosts: Vec<&str> = nodes
            .iter()
            .filter_map(|n| inventory.node(n))
            .map(|n| n.host.as_str())
            .collect();
        hosts.dedup();
        let mut seen = std::collections::BTreeSet::new();
        hosts.retain(|h| seen.insert(*h));
        return hosts
            .into_iter()
            .map(|host| {
                plan::record_history_step(
                    inventory,
                    host,
                    Stdin::ClusterStateUuid { node: via.clone() },
                )
            })
            .collect();
    }
    let Some(node) = action.node().and_then(|n| inventory.node(n)) else {
        return Vec::new();
    };
    let name = &node.name;
    let clean_stop = || {
        let mut s = step(
            node,
            format!("{name}: stop cleanly (its seqno is written)"),
            docker::stop_node(inventory, node),
            None,
        );
        s.deadline_secs = Some(docker::STOP_GRACE.as_secs());
        s
    };
    match action {
        Action::Stop { .. } => vec![clean_stop()],
        Action::StopWaiting { .. } => vec![step(
            node,
            format!("{name}: stop (it waits non-Primary: a short grace, then killed)"),
            docker::stop_waiting_node(inventory, node),
            None,
        )],
        Action::StopGivenUp { .. } => vec![
            step(
                node,
                format!("{name}: no restart policy (given up)"),
                docker::no_restart(inventory, node),
                None,
            ),
            clean_stop(),
        ],
        Action::PrepareHost { .. } => plan::prepare_node(inventory, node)
            .stages
            .into_iter()
            .flat_map(|s| s.steps)
            .collect(),
        Action::WriteConfig { bootstrap, .. } => {
            let address = if *bootstrap {
                ClusterAddress::Bootstrap
            } else {
                ClusterAddress::others(inventory, node)
            };
            vec![step(
                node,
                format!("{name}: cluster address {}", address.gcomm()),
                docker::write_in_place(&docker::config_path(inventory, node)),
                Some(Stdin::Text(docker::node_config(&address))),
            )]
        }
        Action::WriteGrastate {
            uuid,
            seqno,
            safe_to_bootstrap,
            ..
        } => vec![step(
            node,
            format!(
                "{name}: grastate.dat {uuid}:{seqno}, safe_to_bootstrap {}",
                u8::from(*safe_to_bootstrap)
            ),
            oneoff::write_grastate(inventory, node),
            Some(Stdin::Text(grastate_text(uuid, *seqno, *safe_to_bootstrap))),
        )],
        // As `up` and `start-node` start a node: the same steps.
        Action::Start { create, .. } => {
            let fact = if *create {
                plan::ContainerFact::Missing
            } else {
                plan::ContainerFact::Stopped {
                    spec: String::new(),
                }
            };
            plan::start_or_run_steps(inventory, node, Some(&fact))
        }
        Action::WaitSynced { .. }
        | Action::Verify { .. }
        | Action::WaitReformed { .. }
        | Action::CheckSilent { .. }
        | Action::RecordHistory { .. } => Vec::new(),
    }
}

/// The stages as `recover --dry-run` prints them: each action, then the exact commands it
/// runs on its host (pasteable, as `up --dry-run` prints them).
pub fn render(inventory: &Inventory, stages: &[Vec<Action>]) -> String {
    super::render::actions_with(stages, |a| {
        commands(inventory, a)
            .iter()
            .flat_map(|s| {
                plan::render_step_line(s)
                    .lines()
                    .map(|line| format!("       {line}\n"))
                    .collect::<Vec<_>>()
            })
            .collect()
    })
}
