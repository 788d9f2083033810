//! The commands each recovery [`Action`] runs on its node's host, as plan steps: the one
//! source of both `recover --dry-run`'s printed commands and what `recover` runs. Actions that
//! only look (waits, the silence check, the final verification) have none. Pure.

use super::{Action, Choice};
use crate::docker::oneoff;
use crate::docker::{self, ClusterAddress};
use crate::facts::Container;
use crate::inventory::{Inventory, Node};
use crate::plan::{self, Plan, Stage, Stdin, Step, WaitFor};

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
                docker::write_in_place(&inventory.config_path(node)),
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
                Container::missing()
            } else {
                Container::stopped("")
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

/// How long Galera's pc.recovery gets to re-form the Primary component before recovery falls
/// back to bootstrapping (it takes a few seconds on the lab).
pub const REFORM_SECS: u64 = 45;

/// What an action that only looks waits for or checks; `None` for the others.
fn wait_of(inventory: &Inventory, action: &Action) -> Option<WaitFor> {
    match action {
        Action::WaitSynced { node } => Some(WaitFor::Synced {
            nodes: vec![node.clone()],
        }),
        // Every node, and no arbitrator (which may or may not have rejoined yet: then the
        // component is at least the nodes, `Healthy`).
        Action::Verify { nodes }
            if nodes.len() == inventory.nodes.len() && inventory.arbitrator.is_none() =>
        {
            Some(WaitFor::Verified { size: nodes.len() })
        }
        Action::Verify { nodes } => Some(WaitFor::Healthy {
            nodes: nodes.clone(),
        }),
        Action::WaitReformed { nodes } => Some(WaitFor::Reformed {
            nodes: nodes.clone(),
            secs: REFORM_SECS,
        }),
        Action::CheckSilent { nodes } => Some(WaitFor::Silent {
            nodes: nodes.clone(),
        }),
        _ => None,
    }
}

/// What a stage waits for: its look-only action's condition; several nodes' "Synced" as one.
fn stage_wait(inventory: &Inventory, stage: &[Action]) -> Option<WaitFor> {
    let synced: Vec<String> = stage
        .iter()
        .filter_map(|a| match a {
            Action::WaitSynced { node } => Some(node.clone()),
            _ => None,
        })
        .collect();
    if synced.len() > 1 {
        return Some(WaitFor::Synced { nodes: synced });
    }
    stage.iter().find_map(|a| wait_of(inventory, a))
}

/// A stage's title: its one action, or what its actions do together (each step says which).
fn title(stage: &[Action]) -> String {
    let nodes = || {
        let mut names: Vec<&str> = stage.iter().filter_map(Action::node).collect();
        let mut seen = std::collections::BTreeSet::new();
        names.retain(|n| seen.insert(*n));
        names.join(", ")
    };
    if let [one] = stage {
        return one.to_string();
    }
    let all = |want: fn(&Action) -> bool| stage.iter().all(want);
    if all(|a| matches!(a, Action::Stop { .. } | Action::StopGivenUp { .. })) {
        format!("stop {} cleanly", nodes())
    } else if all(|a| matches!(a, Action::StopWaiting { .. })) {
        format!("stop {} (they wait non-Primary)", nodes())
    } else if all(|a| {
        matches!(
            a,
            Action::PrepareHost { .. } | Action::WriteConfig { .. } | Action::WriteGrastate { .. }
        )
    }) {
        format!(
            "prepare {}: cluster addresses and saved positions (grastate.dat)",
            nodes()
        )
    } else if all(|a| matches!(a, Action::Start { .. })) {
        format!("start {} together", nodes())
    } else if all(|a| matches!(a, Action::WaitSynced { .. })) {
        format!("wait for {}", nodes())
    } else {
        stage
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// pc.recovery's plan: as [`plan`], with no compensation (no node is given `gcomm://`; when
/// the cluster does not re-form, recovery stops every node and plans a bootstrap).
pub fn pc_plan(inventory: &Inventory, choice: &Choice, stages: &[Vec<Action>]) -> Plan {
    Plan {
        on_failure: Vec::new(),
        ..plan(inventory, choice, stages)
    }
}

/// The recovery of `choice` as a [`Plan`], from its stages of actions: each stage's commands,
/// then what it waits for (an action that only looks becomes the wait of the stage before
/// it). It carries its compensation: the bootstrap node's address back to the members, and,
/// for a new history, its recovered position back while it has not started. Pure: `recover
/// --dry-run` prints this plan, and `recover` runs it.
pub fn plan(inventory: &Inventory, choice: &Choice, stages: &[Vec<Action>]) -> Plan {
    let mut out: Vec<Stage> = Vec::new();
    for stage in stages {
        let steps: Vec<Step> = stage.iter().flat_map(|a| commands(inventory, a)).collect();
        let wait = stage_wait(inventory, stage);
        let title = title(stage);
        match out.last_mut() {
            Some(last) if steps.is_empty() && last.wait.is_none() => last.wait = wait,
            _ => out.push(Stage { title, steps, wait }),
        }
    }
    if let Choice::StopWaiting { .. } = choice {
        out.push(Stage {
            title: "then read every position again and choose again (its choice is printed, its steps logged with -v)".into(),
            steps: Vec::new(),
            wait: None,
        });
    }
    Plan {
        cluster: inventory.cluster.name.clone(),
        notes: Vec::new(),
        stages: out,
        on_failure: on_failure(inventory, choice),
    }
}

/// What makes the hosts safe again when a bootstrap stops half-way: the chosen node's own
/// position back in its grastate.dat while a new history has cleared it and it has not
/// started (a rerun then reads it, never a node without data); then its cluster address back
/// to the other members (a restart of its container must never form a second cluster).
fn on_failure(inventory: &Inventory, choice: &Choice) -> Vec<Step> {
    let Choice::Bootstrap {
        node,
        uuid,
        seqno,
        new_history,
        ..
    } = choice
    else {
        return Vec::new();
    };
    let Some(n) = inventory.node(node) else {
        return Vec::new();
    };
    let mut steps = Vec::new();
    if *new_history {
        steps.push(step(
            n,
            format!("{node}: its position {uuid}:{seqno} back in grastate.dat, only if it is still cleared (not started)"),
            oneoff::restore_grastate_if_cleared(inventory, n),
            Some(Stdin::Text(grastate_text(uuid, *seqno, false))),
        ));
    }
    steps.extend(commands(
        inventory,
        &Action::WriteConfig {
            node: node.clone(),
            bootstrap: false,
        },
    ));
    steps
}

/// The plan that stops every node cleanly when pc.recovery did not re-form the cluster (each
/// writes its seqno), before every position is read again.
pub fn stop_all(inventory: &Inventory) -> Plan {
    let stops: Vec<Action> = inventory
        .nodes
        .iter()
        .map(|n| Action::Stop {
            node: n.name.clone(),
        })
        .collect();
    let mut plan = plan(
        inventory,
        &Choice::StopWaiting {
            nodes: Vec::new(),
            notes: Vec::new(),
        },
        &[stops],
    );
    if let Some(last) = plan.stages.last_mut() {
        last.title = "then read every position again and bootstrap".into();
    }
    plan
}

/// How long resolving a node's prepared transactions may take (crash recovery of its volume).
const RESOLVE_SECS: u64 = 600;

/// `--tc-heuristic-recover=HOW` on each named node's volume (it commits or rolls back the
/// prepared transactions crash recovery cannot resolve, then exits non-zero by design: the
/// next reading tells whether it worked), then every position is read again and a new plan
/// made, in which these nodes never serve as the bootstrap node.
pub fn resolve_plan(inventory: &Inventory, nodes: &[String], how: &str) -> Plan {
    let steps = nodes
        .iter()
        .filter_map(|name| inventory.node(name))
        .map(|node| Step {
            deadline_secs: Some(RESOLVE_SECS),
            ignore_exit: true,
            ..step(
                node,
                format!(
                    "{}: mariadbd --tc-heuristic-recover={how} on its volume (its prepared transactions {})",
                    node.name,
                    if how == "commit" { "commit" } else { "roll back" }
                ),
                oneoff::tc_heuristic_recover(inventory, node, how),
                None,
            )
        })
        .collect();
    Plan {
        cluster: inventory.cluster.name.clone(),
        notes: Vec::new(),
        stages: vec![
            Stage {
                title: format!("resolve the prepared transactions of {}", nodes.join(", ")),
                steps,
                wait: None,
            },
            Stage {
                title: "then read every position again and choose again (its choice is printed, its steps logged with -v)".into(),
                steps: Vec::new(),
                wait: None,
            },
        ],
        on_failure: Vec::new(),
    }
}
