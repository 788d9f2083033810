//! What several roles must not share on one host: a published port, a container name, a
//! volume name. One inventory is checked on its own by `validate`; several that may share hosts
//! are checked together by [`cross_check`] (`galeractl validate A B`). Hosts are compared as the
//! network sees them (`rules::host_key`), so `DB1.example` and `db1.example` meet.

use std::collections::HashMap;
use std::ops::Range;

use super::raw::RawInventory;
use super::rules::{host_key, shown};
use super::Inventory;
use crate::diagnostic::{position, Diagnostic};

/// One port that one role publishes on one host, with where the inventory says so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortUse {
    pub host: String,
    pub port: u16,
    /// e.g. `nodea mysql` or `haproxy stats`.
    pub owner: String,
    pub cluster: String,
    pub span: Range<usize>,
}

/// Something on one host that two roles must not share: a published port, a container name, a
/// volume name.
#[derive(Debug, Clone)]
pub(super) struct Claim {
    /// The host as the network sees it (`host_key`), then what is claimed there.
    key: (String, String),
    host: String,
    /// e.g. `port 5567` or `container name "local-test-nodea"`.
    what: String,
    owner: String,
    cluster: String,
    span: Range<usize>,
    /// The key path reported, e.g. `nodes[1].name`; empty for ports, located at their value.
    path: String,
    /// A one-off's name, made from a node's container name with a suffix: two of them meet
    /// only when their nodes' containers do, which is reported already.
    derived: bool,
}

fn port_claims(uses: &[PortUse]) -> Vec<Claim> {
    uses.iter()
        .map(|u| Claim {
            key: (host_key(&u.host), format!("port {}", u.port)),
            host: u.host.clone(),
            what: format!("port {}", u.port),
            owner: u.owner.clone(),
            cluster: u.cluster.clone(),
            span: u.span.clone(),
            path: String::new(),
            derived: false,
        })
        .collect()
}

/// Ports of `new` that collide with a port of `earlier` on the same host. With `new` and
/// `earlier` the same list, each pair is reported once, at the later use.
pub(super) fn port_collisions(
    source: &str,
    earlier: &[PortUse],
    new: &[PortUse],
) -> Vec<Diagnostic> {
    let same_list = std::ptr::eq(earlier, new);
    let new_claims = port_claims(new);
    if same_list {
        collisions(source, &new_claims, &new_claims, true)
    } else {
        collisions(source, &port_claims(earlier), &new_claims, false)
    }
}

/// The kind of a claim on a one-off container's name (a container name all the same).
const ONE_OFF: &str = "one-off container";

/// The container and volume names an inventory creates on each host, located at the node's
/// name (its containers and volume) or at the proxy's host (its container) when `raw` is given.
pub(super) fn name_claims(inventory: &Inventory, raw: Option<&RawInventory>) -> Vec<Claim> {
    let raw_nodes = raw
        .and_then(|r| r.nodes.as_ref())
        .map_or(&[][..], |l| l.get_ref().as_slice());
    let mut claims = Vec::new();
    let mut claim =
        |host: &str, kind: &str, name: String, owner: String, at: (Range<usize>, String)| {
            let derived = kind == ONE_OFF;
            let kind = if derived { "container" } else { kind };
            claims.push(Claim {
                key: (host_key(host), format!("{kind} {name}")),
                host: host.to_string(),
                what: format!("{kind} name {}", shown(&name)),
                derived,
                owner,
                cluster: inventory.cluster.name.clone(),
                span: at.0,
                path: at.1,
            });
        };
    for (i, node) in inventory.nodes.iter().enumerate() {
        let at = (
            raw_nodes.get(i).map_or(0..0, |n| n.name.span()),
            format!("nodes[{i}].name"),
        );
        let owner = format!("node {:?}", node.name);
        claim(
            &node.host,
            "container",
            inventory.container_name(node),
            owner.clone(),
            at.clone(),
        );
        claim(
            &node.host,
            "volume",
            inventory.volume_name(node),
            owner,
            at.clone(),
        );
        // galeractl's one-off containers on the node's volume: recovery's reads and writes,
        // and `backup --on-host`'s check. Removed by name when left over, so no other
        // container may hold these names.
        for (name, what) in [
            (inventory.recover_container(node), "recovery's one-off"),
            (inventory.backup_check_container(node), "the backup check"),
        ] {
            claim(
                &node.host,
                ONE_OFF,
                name,
                format!("{what} of node {:?}", node.name),
                at.clone(),
            );
        }
        if inventory.haproxy.is_some() {
            claim(
                &node.host,
                "container",
                inventory.check_container(node),
                format!("the health check of node {:?}", node.name),
                at,
            );
        }
    }
    if let Some(h) = &inventory.haproxy {
        let span = raw
            .and_then(|r| r.haproxy.as_ref())
            .map_or(0..0, |h| h.host.span());
        claim(
            &h.host,
            "container",
            inventory.proxy_container(),
            "haproxy".to_string(),
            (span, "haproxy.host".to_string()),
        );
    }
    if let Some(a) = &inventory.arbitrator {
        let span = raw
            .and_then(|r| r.arbitrator.as_ref())
            .map_or(0..0, |a| a.host.span());
        claim(
            &a.host,
            "container",
            inventory.arbitrator_container(),
            "the arbitrator".to_string(),
            (span, "arbitrator.host".to_string()),
        );
    }
    claims.sort_by_key(|c| c.span.start);
    claims
}

/// Claims of `new` that collide with a claim of `earlier` on the same host. With `same_list`
/// (`new` and `earlier` are one list) each pair is reported once, at the later claim, with the
/// line of the first.
pub(super) fn collisions(
    source: &str,
    earlier: &[Claim],
    new: &[Claim],
    same_list: bool,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for (i, u) in new.iter().enumerate() {
        let limit = if same_list { i } else { earlier.len() };
        if let Some(first) = earlier[..limit]
            .iter()
            .find(|e| e.key == u.key && !(e.derived && u.derived))
        {
            let whose = if first.cluster == u.cluster {
                first.owner.clone()
            } else {
                format!("cluster {:?} ({})", first.cluster, first.owner)
            };
            let at = if same_list {
                format!(" (line {})", position(source, first.span.start).line)
            } else {
                String::new()
            };
            out.push(Diagnostic::error(
                u.span.clone(),
                u.path.as_str(),
                format!(
                    "{} on host {} is used twice: by {whose}{at} and by {}",
                    u.what, u.host, u.owner
                ),
            ));
        }
    }
    out
}

/// Checks several inventories that may share hosts: a port published twice on one host, two
/// clusters of the same name on one host, or two clusters whose container or volume names
/// meet on one host (cluster `a` with node `b-c` and cluster `a-b` with node `c`).
/// Returns, per file, the diagnostics found in that file.
pub fn cross_check(files: &[(&str, &Inventory, &[PortUse])]) -> Vec<Vec<Diagnostic>> {
    let mut out = vec![Vec::new(); files.len()];
    let mut ports: Vec<Claim> = Vec::new();
    let mut names: Vec<Claim> = Vec::new();
    let mut clusters: HashMap<(&str, String), usize> = HashMap::new();
    for (i, (source, inventory, uses)) in files.iter().enumerate() {
        // The files were valid alone, so they parse again; this only recovers positions.
        let raw = toml::from_str::<RawInventory>(source).ok();
        let name_span = raw.as_ref().map_or(0..0, |r| r.cluster.name.span());
        for node in &inventory.nodes {
            let key = (inventory.cluster.name.as_str(), host_key(&node.host));
            match clusters.get(&key) {
                Some(&j) if j != i => out[i].push(Diagnostic::error(
                    name_span.clone(),
                    "cluster.name",
                    format!(
                        "cluster {:?} is also defined by {} on host {}: cluster names must differ on shared hosts",
                        inventory.cluster.name,
                        files[j].1.path.display(),
                        node.host
                    ),
                )),
                _ => {
                    clusters.insert(key, i);
                }
            }
        }
        let own_ports = port_claims(uses);
        out[i].extend(collisions(source, &ports, &own_ports, false));
        ports.extend(own_ports);
        // Clusters of one name already clash above; compare names only across different ones.
        let own_names = name_claims(inventory, raw.as_ref());
        let others: Vec<Claim> = names
            .iter()
            .filter(|n| n.cluster != inventory.cluster.name)
            .cloned()
            .collect();
        out[i].extend(collisions(source, &others, &own_names, false));
        names.extend(own_names);
    }
    for list in &mut out {
        list.dedup();
    }
    out
}
