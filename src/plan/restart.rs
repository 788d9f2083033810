//! `galeractl restart`: a rolling restart, one node at a time. Before each node every member
//! is Synced (none a donor, none down); HAProxy stops sending it traffic first (its health
//! endpoint answers 503 until HAProxy marks it down and its sessions end); a clean stop, a
//! start, Synced again, caught up by IST; then it is back in HAProxy, and the next one.

use super::{stop_step, Plan, Stage, Step, WaitFor};
use crate::docker::{self, ClusterAddress};
use crate::haproxy;
use crate::inventory::{Inventory, Node};

/// The rolling restart of `nodes` (in the order given, except that HAProxy's writer, the
/// inventory's first node, goes last: clients fail over once, at the end).
pub fn restart(inventory: &Inventory, nodes: &[&Node]) -> Plan {
    let writer = inventory.nodes.first().map(|n| n.name.as_str());
    let proxy = inventory.haproxy.is_some();
    let mut order: Vec<&Node> = nodes.to_vec();
    if proxy {
        order.sort_by_key(|n| Some(n.name.as_str()) == writer);
    }
    let mut stages = Vec::new();
    for (i, node) in order.into_iter().enumerate() {
        let name = &node.name;
        // Each later node follows the previous one's own wait for the full cluster.
        if i == 0 {
            stages.push(Stage {
                title: format!("before restarting {name}: every member Synced, none a donor"),
                steps: Vec::new(),
                wait: Some(WaitFor::Verified {
                    size: inventory.members(),
                }),
            });
        }
        if proxy {
            stages.push(Stage {
                title: format!("drain {name}: HAProxy stops sending it traffic"),
                steps: vec![Step::on_node(
                    node,
                    format!("{name}: its health endpoint answers 503 (drained)"),
                    haproxy::drain(inventory, node),
                    None,
                )],
                wait: Some(WaitFor::ProxyDrained { node: name.clone() }),
            });
        }
        // Its config names the other members before it starts again: a file left at
        // `gcomm://` would make it bootstrap a second cluster.
        let mut steps = vec![
            stop_step(inventory, node),
            super::write_config_step(
                inventory,
                node,
                &ClusterAddress::others(inventory, node),
                "name the other members in the cluster address",
            ),
        ];
        steps.extend(super::start_or_run_steps(
            inventory,
            node,
            Some(&crate::facts::Container::stopped("")),
        ));
        stages.push(Stage {
            title: format!("restart {name}"),
            steps,
            // Back in the one component of full size, not merely Synced on its own.
            wait: Some(WaitFor::Verified {
                size: inventory.members(),
            }),
        });
        stages.push(Stage {
            title: format!("{name} caught up"),
            steps: Vec::new(),
            wait: Some(WaitFor::JoinedByIst { node: name.clone() }),
        });
        if proxy {
            stages.push(Stage {
                title: format!("{name} back in HAProxy"),
                steps: vec![undrain_step(inventory, node)],
                wait: Some(WaitFor::ProxyUp { node: name.clone() }),
            });
        }
    }
    Plan {
        cluster: inventory.cluster.name.clone(),
        notes: Vec::new(),
        stages,
        on_failure: on_failure(inventory, nodes, proxy),
    }
}

/// Never a node left stopped or drained: each restarted node's container started (a no-op
/// when it runs), then its endpoint answering from its state again.
fn on_failure(inventory: &Inventory, nodes: &[&Node], proxy: bool) -> Vec<Step> {
    let mut steps: Vec<Step> = nodes
        .iter()
        .map(|n| {
            Step::on_node(
                n,
                format!("{}: started, if it was left stopped", n.name),
                docker::start_node(inventory, n),
                None,
            )
        })
        .collect();
    if proxy {
        steps.extend(nodes.iter().map(|n| undrain_step(inventory, n)));
    }
    steps
}

fn undrain_step(inventory: &Inventory, node: &Node) -> Step {
    Step::on_node(
        node,
        format!(
            "{}: its health endpoint answers from its state again",
            node.name
        ),
        haproxy::undrain(inventory, node),
        None,
    )
}
