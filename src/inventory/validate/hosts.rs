//! Hosts across sections: one host written two ways, members' hosts the others cannot reach,
//! and `host = "local"`, which is all or nothing.

use std::collections::HashMap;

use super::checker::Checker;
use crate::inventory::raw::{RawInventory, RawNode, S};
use crate::inventory::rules::{self, check_address, host_key, shown};
use crate::inventory::{DEFAULT_NETWORK, LOCAL_HOST};

/// Hosts seen together. A member's host (a node's, the arbitrator's) is the address galeractl
/// advertises to the other members, so with more than one member it must not mean "this
/// machine". And one host written two ways (`db1.example`, `DB1.EXAMPLE`) is an error rather
/// than two hosts: the rest of galeractl (one SSH connection per host, one preparation per
/// host, the port checks of `validate A B`) compares hosts as written.
pub(super) fn shared_hosts(c: &mut Checker<'_>, raw: &RawInventory) {
    let nodes = raw
        .nodes
        .as_ref()
        .map_or(&[][..], |l| l.get_ref().as_slice());
    let members = nodes.len() + usize::from(raw.arbitrator.is_some());
    let mut hosts: Vec<(String, &S<String>, bool)> = nodes
        .iter()
        .enumerate()
        .map(|(i, n)| (format!("nodes[{i}].host"), &n.host, true))
        .collect();
    if let Some(h) = &raw.haproxy {
        hosts.push(("haproxy.host".to_string(), &h.host, false));
    }
    if let Some(a) = &raw.arbitrator {
        hosts.push(("arbitrator.host".to_string(), &a.host, true));
    }
    hosts.sort_by_key(|(_, value, _)| value.span().start);
    let mut first_spelling: HashMap<String, &S<String>> = HashMap::new();
    for (key, value, member) in hosts {
        let host = value.get_ref();
        if check_address(host).is_err() {
            continue; // already reported
        }
        if host != LOCAL_HOST && host.eq_ignore_ascii_case(LOCAL_HOST) {
            c.error(
                value.span(),
                key.as_str(),
                format!(
                    "{} would be a host reached over SSH: only \"local\", in lower case, means this machine; write \"local\" or the host's name",
                    shown(host)
                ),
            );
        }
        if member && members > 1 {
            if let Some(what) = rules::local_only(host) {
                c.error(
                    value.span(),
                    key.as_str(),
                    format!(
                        "{} is {what}, which the other members cannot reach: galeractl advertises each member's host to the others (wsrep_node_address); use an address they can reach",
                        shown(host)
                    ),
                );
            }
        }
        match first_spelling.get(&host_key(host)) {
            Some(first) if first.get_ref() != host => {
                let why = if host.parse::<std::net::IpAddr>().is_ok() {
                    "it is one address"
                } else {
                    "host names ignore case"
                };
                let line = c.line_of(&first.span());
                c.error(
                    value.span(),
                    key,
                    format!(
                        "{} and {} (line {line}) are the same host written two ways ({why}): write it one way everywhere",
                        shown(host),
                        shown(first.get_ref())
                    ),
                );
            }
            Some(_) => {}
            None => {
                first_spelling.insert(host_key(host), value);
            }
        }
    }
}

/// Docker's own networks, on which containers do not resolve each other's names.
const BUILT_IN_NETWORKS: &[&str] = &["host", "bridge", "none", "default"];

/// Whether the inventory's nodes run on this machine (`host = "local"`).
pub(super) fn cluster_is_local(nodes: &[RawNode]) -> bool {
    nodes.iter().any(|n| n.host.get_ref() == LOCAL_HOST)
}

/// `host = "local"` (this machine's Docker, no SSH) is all or nothing: a local node's address
/// is its container's name on this machine's network, which no other host can reach; and the
/// proxy and the arbitrator are not run locally yet.
pub(super) fn local_hosts(c: &mut Checker<'_>, raw: &RawInventory) {
    let Some(nodes) = raw.nodes.as_ref() else {
        return;
    };
    let local = |h: &S<String>| h.get_ref() == LOCAL_HOST;
    if !nodes.get_ref().iter().any(|n| local(&n.host)) {
        for (key, host) in [
            ("haproxy.host", raw.haproxy.as_ref().map(|h| &h.host)),
            ("arbitrator.host", raw.arbitrator.as_ref().map(|a| &a.host)),
        ] {
            if let Some(h) = host.filter(|h| local(h)) {
                c.error(
                    h.span(),
                    key,
                    "\"local\" (this machine) with nodes on other hosts: the nodes could not reach it, and it would advertise \"local\" to them; give the host they reach it at",
                );
            }
        }
        return;
    }
    if let Some(n) = &raw.cluster.network {
        if BUILT_IN_NETWORKS.contains(&n.get_ref().as_str()) {
            c.error(
                n.span(),
                "cluster.network",
                format!(
                    "Docker's network {} gives containers no names to reach each other by, and local nodes find each other by container name; leave network out (galeractl makes {}) or name a network of your own",
                    shown(n.get_ref()),
                    DEFAULT_NETWORK.replace("{cluster}", raw.cluster.name.get_ref())
                ),
            );
        }
    }
    for (i, n) in nodes.get_ref().iter().enumerate() {
        if !local(&n.host) {
            c.error(
                n.host.span(),
                format!("nodes[{i}].host"),
                format!("{} with other nodes on \"local\": a local node is reached by its container's name on this machine only; make every node local, or none", shown(n.host.get_ref())),
            );
        }
    }
    if let Some(h) = &raw.haproxy {
        c.error(
            h.host.span(),
            "haproxy.host",
            "[haproxy] is not supported for a cluster of local nodes yet",
        );
    }
    if let Some(a) = &raw.arbitrator {
        c.error(
            a.host.span(),
            "arbitrator.host",
            "[arbitrator] is not supported for a cluster of local nodes yet",
        );
    }
}
