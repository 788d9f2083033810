//! `[[nodes]]`: each node's name, host, ports and SSH overrides, and the ports it publishes.

use std::path::Path;

use super::checker::{ports_of, Checker, ClusterPorts};
use super::Located;
use crate::inventory::raw::RawNode;
use crate::inventory::rules::{host_key, shown};
use crate::inventory::{Node, PortUse};

/// `[[nodes]]`: each node's name, host, ports and SSH overrides, and the ports it publishes.
pub(super) fn nodes_section(
    c: &mut Checker<'_>,
    base: &Path,
    raw_nodes: &[RawNode],
    cluster_name: &str,
    cluster_ports: &ClusterPorts,
    located: &mut Located,
) -> Vec<Node> {
    let mut nodes: Vec<Node> = Vec::new();
    for (i, rn) in raw_nodes.iter().enumerate() {
        let key = format!("nodes[{i}]");
        let name = c.name(&rn.name, &format!("{key}.name"), "node name");
        if let Some(first) = nodes.iter().position(|n| n.name == name) {
            let line = c.line_of(&raw_nodes[first].name.span());
            c.error(
                rn.name.span(),
                format!("{key}.name"),
                format!(
                    "duplicate node name {} (first defined on line {line})",
                    shown(&name)
                ),
            );
        }
        let host = c.host(&rn.host, &format!("{key}.host"));
        let ports = ports_of(
            c,
            rn.ports.as_ref(),
            &format!("{key}.ports"),
            cluster_ports.ports,
        );
        let ssh_identity = rn.ssh_identity.as_ref().map(|f| {
            located
                .ssh_files
                .insert(format!("{key}.ssh_identity"), f.span());
            c.path(base, f, &format!("{key}.ssh_identity"))
        });
        let node = Node {
            name: name.clone(),
            host: host.clone(),
            ports: ports.ports,
            ssh_user: rn
                .ssh_user
                .as_ref()
                .map(|u| c.non_empty(u, &format!("{key}.ssh_user"))),
            ssh_port: rn
                .ssh_port
                .as_ref()
                .map(|p| c.port(Some(p), format!("{key}.ssh_port"), 22).0),
            ssh_identity,
        };
        if let Some(other) = nodes.iter().position(|n| {
            host_key(&n.host) == host_key(&node.host)
                && n.ports == node.ports
                && n.name != node.name
        }) {
            let line = c.line_of(&raw_nodes[other].name.span());
            c.error(
                rn.host.span(),
                format!("{key}.host"),
                format!(
                    "nodes {} (line {line}) and {} are both on host {host} with the same ports: give one of them its own [nodes.ports]",
                    shown(&nodes[other].name),
                    shown(&name)
                ),
            );
        } else {
            let published = [
                node.ports.mysql,
                node.ports.galera,
                node.ports.sst,
                node.ports.ist,
            ];
            for (r, role) in ["mysql", "galera", "sst", "ist"].into_iter().enumerate() {
                // A port inherited from the cluster is located at the cluster's value, or at the
                // node's host when the cluster relies on the default.
                let span = [&ports.spans[r], &cluster_ports.spans[r]]
                    .into_iter()
                    .find(|s| **s != (0..0))
                    .cloned()
                    .unwrap_or_else(|| rn.host.span());
                let port = published[r];
                located.ports.push(PortUse {
                    host: host.clone(),
                    port,
                    owner: format!("{name} {role}"),
                    cluster: cluster_name.to_string(),
                    span,
                });
            }
        }
        nodes.push(node);
    }
    nodes
}
