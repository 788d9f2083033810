//! `stop-node`, `start-node` and `restart`: the fixture's facts are the command's facts value
//! (`facts::NodeFacts`, `facts::RestartFacts`), decided by the command's own decider
//! (`plan::stop_node_decision`, `plan::start_node_decision`, `plan::restart_decision`).

use galeractl::facts::{NodeFacts, RestartFacts};
use galeractl::galera::NodeStatus;
use galeractl::inventory::{Inventory, Node};
use galeractl::plan::{self, StartNode, StopNode};
use serde::Deserialize;

use super::commands::{node_spec, printed};
use super::{refused, Case};

/// The node command's argument and `--force`.
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeArgs {
    node: String,
    #[serde(default)]
    force: bool,
}

/// The node named, and its facts with the placeholder filled: a container's `"spec": "@spec"`
/// is the spec hash the inventory gives it now. The facts must be what `observe::node::read`
/// could read: the members the inventory does not name are those the probes list.
fn node_and_facts<'a>(case: &Case<'a, NodeArgs, NodeFacts>) -> (&'a Node, NodeFacts) {
    let inventory = case.inventory();
    let node = inventory
        .node(&case.args.node)
        .unwrap_or_else(|| panic!("no node {}", case.args.node));
    let mut facts = case.facts.clone();
    if let Some(row) = facts.container.as_mut().filter(|r| r.spec == "@spec") {
        row.spec = node_spec(inventory, node);
    }
    let statuses: Vec<Option<NodeStatus>> = facts.probes.iter().map(|p| p.clone().ok()).collect();
    assert_eq!(
        facts.unnamed,
        galeractl::observe::strays::foreign_members(inventory, &statuses),
        "the fixture's \"unnamed\" are not the members its probes list"
    );
    (node, facts)
}

/// `stop-node --dry-run`: `plan::stop_node_decision`. Nothing for a node without a container,
/// the stop record for a stopped one, the refusal, or the plan (with `--force`'s warning).
pub fn stop_node(case: Case<'_, NodeArgs, NodeFacts>) -> String {
    let inventory = case.inventory();
    let (node, facts) = node_and_facts(&case);
    let name = inventory.container_name(node);
    match plan::stop_node_decision(inventory, node, &facts, case.args.force) {
        Err(refusal) => refused(&refusal),
        Ok(StopNode::Already { plan: None, .. }) => {
            format!("{}: already stopped (no container {name})\n", node.name)
        }
        Ok(StopNode::Already {
            state,
            plan: Some(plan),
        }) => format!(
            "{}: already stopped (container {name} is {state}); the stop is recorded\n{}",
            node.name,
            printed(inventory, &plan)
        ),
        Ok(StopNode::Stop { plan, forced }) => {
            let warning = forced.map_or(String::new(), |arithmetic| {
                format!(
                    "warning: --force: stopping {} although {arithmetic}\n",
                    node.name
                )
            });
            warning + &printed(inventory, &plan)
        }
    }
}

/// `start-node --dry-run`: `plan::start_node_decision`. Nothing for a node that serves, the
/// refusal (no cluster to join, the upgrade's guard), or the plan.
pub fn start_node(case: Case<'_, NodeArgs, NodeFacts>) -> String {
    let inventory = case.inventory();
    let (node, facts) = node_and_facts(&case);
    match plan::start_node_decision(inventory, node, &facts, case.args.force) {
        Err(refusal) => refused(&refusal),
        Ok(StartNode::Serving) => format!("{}: already running, Synced and Primary\n", node.name),
        Ok(StartNode::Start(plan)) => printed(inventory, &plan),
    }
}

/// `restart`'s nodes (every node when none is named).
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RestartArgs {
    #[serde(default)]
    nodes: Vec<String>,
}

/// The nodes `restart` names, as the command resolves them.
fn restarted(inventory: &Inventory, names: &[String]) -> Vec<Node> {
    if names.is_empty() {
        return inventory.nodes.clone();
    }
    names
        .iter()
        .map(|n| {
            inventory
                .node(n)
                .cloned()
                .unwrap_or_else(|| panic!("no node {n}"))
        })
        .collect()
}

/// `restart --dry-run`: `plan::restart_decision`, the refusal or the plan.
pub fn restart(case: Case<'_, RestartArgs, RestartFacts>) -> String {
    let inventory = case.inventory();
    let nodes = restarted(inventory, &case.args.nodes);
    match plan::restart_decision(inventory, &nodes, &case.facts) {
        Ok(plan) => printed(inventory, &plan),
        Err(refusal) => refused(&refusal),
    }
}
