//! The deciders of `stop-node`, `start-node` and `restart`, over the nodes' probes, called in
//! the order `cmd/node.rs` and `cmd/restart.rs` call them.

use galeractl::facts::{Container, ContainerRow, Versions};
use galeractl::galera::{NodeStatus, Probe};
use galeractl::inventory::Node;
use galeractl::plan;
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

/// What a node command reads: every node's probe (inventory order), the node's container
/// (`null`: none; its `"spec": "@spec"` is the one the inventory gives it now), and for
/// `start-node` the versions (read when its container is made anew).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeFacts {
    probes: Vec<Probe>,
    container: Option<ContainerRow>,
    #[serde(default)]
    versions: Option<Versions>,
}

fn node<'a>(case: &'a Case<'_, NodeArgs, NodeFacts>) -> &'a Node {
    case.inventory()
        .node(&case.args.node)
        .unwrap_or_else(|| panic!("no node {}", case.args.node))
}

fn statuses(probes: &[Probe]) -> Vec<Option<NodeStatus>> {
    probes.iter().map(|p| p.clone().ok()).collect()
}

/// `stop-node --dry-run`: nothing for a node without a container, the stop record for a
/// stopped one, else the quorum check (`plan::stop_keeps_quorum`, with the members the
/// inventory does not name) and the stop plan.
pub fn stop_node(case: Case<'_, NodeArgs, NodeFacts>) -> String {
    let inventory = case.inventory();
    let node = node(&case);
    let name = inventory.container_name(node);
    match &case.facts.container {
        None => return format!("{}: already stopped (no container {name})\n", node.name),
        Some(row) if !row.is_running() => {
            return format!(
                "{}: already stopped (container {name} is {}); the stop is recorded\n{}",
                node.name,
                row.state,
                printed(inventory, &plan::record_stop(inventory, node))
            );
        }
        Some(_) => {}
    }
    let probes = &case.facts.probes;
    let unnamed = galeractl::observe::strays::foreign_members(inventory, &statuses(probes));
    let mut out = String::new();
    match plan::stop_keeps_quorum(inventory, &node.name, probes, &unnamed) {
        Ok(()) => {}
        Err(loss) if !case.args.force => return refused(&loss.refusal),
        Err(loss) => out.push_str(&format!(
            "warning: --force: stopping {} although {}\n",
            node.name, loss.arithmetic
        )),
    }
    out + &printed(inventory, &plan::stop_node(inventory, node))
}

/// `start-node --dry-run`: nothing for a node that serves, `plan::start_refusal` without a
/// cluster to join, else `plan::start_node` (the versions passed only when it creates the
/// container, as the command reads them only then).
pub fn start_node(case: Case<'_, NodeArgs, NodeFacts>) -> String {
    let inventory = case.inventory();
    let node = node(&case);
    let probes = &case.facts.probes;
    let own = inventory
        .nodes
        .iter()
        .position(|n| n.name == node.name)
        .and_then(|i| probes.get(i))
        .and_then(|p| p.as_ref().ok());
    if own.is_some_and(NodeStatus::is_healthy) {
        return format!("{}: already running, Synced and Primary\n", node.name);
    }
    if let Some(refusal) = plan::start_refusal(inventory, &node.name, probes) {
        return refused(&refusal);
    }
    let mut row = case.facts.container.clone();
    if let Some(r) = row.as_mut().filter(|r| r.spec == "@spec") {
        r.spec = node_spec(inventory, node);
    }
    let fact = Container::of_row(row.as_ref());
    let versions = if plan::start_node_creates(inventory, node, &fact) {
        case.facts.versions.as_ref()
    } else {
        None
    };
    match plan::start_node(inventory, node, &fact, versions, case.args.force) {
        Ok(plan) => printed(inventory, &plan),
        Err(e) => refused(&e.to_string()),
    }
}

/// `restart`'s nodes (every node when none is named).
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RestartArgs {
    #[serde(default)]
    nodes: Vec<String>,
}

/// What `restart` reads: every node's probe, and (with HAProxy) each host's containers.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RestartFacts {
    probes: Vec<Probe>,
    #[serde(default)]
    containers: Vec<(String, Vec<ContainerRow>)>,
}

/// `restart --dry-run`: `plan::restart_refusal`, the health endpoints' check, the plan.
pub fn restart(case: Case<'_, RestartArgs, RestartFacts>) -> String {
    let inventory = case.inventory();
    let nodes: Vec<Node> = if case.args.nodes.is_empty() {
        inventory.nodes.clone()
    } else {
        case.args
            .nodes
            .iter()
            .map(|n| {
                inventory
                    .node(n)
                    .cloned()
                    .unwrap_or_else(|| panic!("no node {n}"))
            })
            .collect()
    };
    if let Some(refusal) = plan::restart_refusal(inventory, &case.facts.probes) {
        return refused(&refusal);
    }
    if inventory.haproxy.is_some() {
        let stale = plan::stale_endpoints(inventory, &nodes, &case.facts.containers, true);
        if !stale.is_empty() {
            return refused(&plan::stale_endpoints_refusal("restart", &stale));
        }
    }
    let refs: Vec<&Node> = nodes.iter().collect();
    printed(inventory, &plan::restart(inventory, &refs))
}
