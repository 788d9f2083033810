//! `galeractl restart`: a rolling restart, one node at a time. Before each node every member
//! is Synced (none a donor, none down); HAProxy stops sending it traffic first (its health
//! endpoint answers 503 until HAProxy marks it down and its sessions end); a clean stop, a
//! start, Synced again, caught up by IST; then it is back in HAProxy, and the next one.

use super::{stop_step, Plan, Stage, Step, WaitFor};
use crate::docker::{self, ClusterAddress};
use crate::facts::ContainerRow;
use crate::galera::{self, Probe};
use crate::haproxy;
use crate::inventory::{Inventory, Node};

/// Why `restart` must not begin, from every node's probe (inventory order): a rolling restart
/// takes one member out at a time from a healthy cluster. `None`: it may.
pub fn restart_refusal(inventory: &Inventory, probes: &[Probe]) -> Option<String> {
    let pairs: Vec<(&str, Option<&galera::NodeStatus>)> = inventory
        .nodes
        .iter()
        .zip(probes)
        .map(|(n, p)| (n.name.as_str(), p.as_ref().ok()))
        .collect();
    let verdict = galera::verdict(inventory.members(), &pairs, &[]);
    if verdict == galera::Verdict::Healthy {
        return None;
    }
    let named: Vec<(&str, &Probe)> = inventory
        .nodes
        .iter()
        .zip(probes)
        .map(|(n, p)| (n.name.as_str(), p))
        .collect();
    let silent: Vec<String> = named
        .iter()
        .filter(|(_, p)| p.is_err())
        .map(|(n, p)| format!("{n}: {}", galera::said(p)))
        .collect();
    let why = if silent.is_empty() {
        String::new()
    } else if galera::denied(named.iter().copied()).is_empty() {
        format!(" ({})", silent.join("; "))
    } else {
        format!(
            " ({}; {})",
            silent.join("; "),
            galera::access_denied_advice(
                &inventory.cluster.monitor_user,
                &inventory.cluster.monitor_password_file
            )
        )
    };
    Some(format!(
        "refusing to restart, nothing was changed: cluster {} is {verdict}{why}; a rolling restart takes one member out at a time from a healthy cluster (run `galeractl up` first)",
        inventory.cluster.name
    ))
}

/// With HAProxy, the nodes whose health endpoint is not the one this galeractl deploys (it can
/// be drained); one from before answers 200 while drained, and the drain would never end. With
/// `missing_counts` false, a node without a running endpoint passes (HAProxy sends it no
/// client anyway: `restore` onto hosts without one). `containers`: each host's containers.
pub fn stale_endpoints<'a>(
    inventory: &Inventory,
    nodes: &'a [Node],
    containers: &[(String, Vec<ContainerRow>)],
    missing_counts: bool,
) -> Vec<&'a str> {
    let Some(h) = &inventory.haproxy else {
        return Vec::new();
    };
    let script = haproxy::check_script(h.donor_fallback);
    let mut stale = Vec::new();
    for node in nodes {
        let want = docker::proxy::run_check(inventory, node, h, &script);
        let spec = crate::docker::spec_of(&want).unwrap_or_default();
        let name = inventory.check_container(node);
        let rows = containers
            .iter()
            .find(|(host, _)| *host == node.host)
            .map_or(&[][..], |(_, rows)| rows.as_slice());
        let running = rows.iter().find(|r| r.name == name && r.is_running());
        let fits = match running {
            Some(r) => r.spec == spec,
            None => !missing_counts,
        };
        if !fits {
            stale.push(node.name.as_str());
        }
    }
    stale
}

/// The refusal of `verb` (`restart`, `restore`) when [`stale_endpoints`] found some.
pub fn stale_endpoints_refusal(verb: &str, stale: &[&str]) -> String {
    format!(
        "refusing to {verb}, nothing was changed: the health endpoints of {} are not the ones this inventory deploys (they could not be drained); run `galeractl up` first",
        stale.join(", ")
    )
}

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
                    docker::proxy::drain(inventory, node),
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
        docker::proxy::undrain(inventory, node),
        None,
    )
}

/// `restart`'s decision from what it read: the refusal (a member does not serve; with HAProxy,
/// a health endpoint that cannot drain), or the plan that restarts `nodes` one at a time.
pub fn restart_decision(
    inventory: &Inventory,
    nodes: &[Node],
    facts: &crate::facts::RestartFacts,
) -> Result<Plan, String> {
    if let Some(refusal) = restart_refusal(inventory, &facts.probes) {
        return Err(refusal);
    }
    let stale = stale_endpoints(inventory, nodes, &facts.rows, true);
    if !stale.is_empty() {
        return Err(stale_endpoints_refusal("restart", &stale));
    }
    let refs: Vec<&Node> = nodes.iter().collect();
    Ok(restart(inventory, &refs))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::galera::{NoAnswer, NodeStatus};

    fn inventory() -> Inventory {
        let text = "[cluster]\nname = \"c\"\nimage = \"i\"\nroot_password_file = \"/s/root.pw\"\nmonitor_password_file = \"/s/monitor.pw\"\n[[nodes]]\nname = \"nodea\"\nhost = \"h1\"\n[[nodes]]\nname = \"nodeb\"\nhost = \"h2\"\n";
        crate::inventory::parse(std::path::Path::new("/s/x.toml"), text)
            .inventory
            .unwrap_or_else(|| panic!("inventory"))
    }

    #[test]
    fn a_silent_member_refuses_the_restart_and_is_named() {
        let inv = inventory();
        let synced = Ok(NodeStatus::from_rows([
            ("wsrep_cluster_status", "Primary"),
            ("wsrep_local_state_comment", "Synced"),
            ("wsrep_ready", "ON"),
            ("wsrep_connected", "ON"),
            ("wsrep_cluster_size", "2"),
        ]));
        let refusal = restart_refusal(&inv, &[synced, Err(NoAnswer::Refused)]);
        let refusal = refusal.unwrap_or_default();
        assert!(
            refusal.starts_with("refusing to restart, nothing was changed: cluster c is "),
            "{refusal}"
        );
        assert!(
            refusal.contains(" (nodeb: connection refused); a rolling restart"),
            "{refusal}"
        );
        // Without HAProxy there is no endpoint to drain.
        assert!(stale_endpoints(&inv, &inv.nodes, &[], true).is_empty());
        assert_eq!(
            stale_endpoints_refusal("restore", &["nodea", "nodeb"]),
            "refusing to restore, nothing was changed: the health endpoints of nodea, nodeb are not the ones this inventory deploys (they could not be drained); run `galeractl up` first"
        );
    }
}
