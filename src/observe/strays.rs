//! Finding the cluster's nodes that the inventory no longer names: the members' own list of
//! client addresses (`wsrep_incoming_addresses`) names the hosts of those that run, and the
//! cluster's labels on those hosts and on the inventory's name their containers. Hosts that
//! only strays use are connected here, with the inventory's `[ssh]` settings.

use std::collections::BTreeSet;

use crate::facts::{ContainerState, Stray, StrayVolume};
use crate::galera::NodeStatus;
use crate::inventory::Inventory;
use crate::observe;
use crate::ssh::{Hosts, SshError, SshOptions, Target};

/// A member of the cluster that the inventory does not name cannot be reached, and `--prune`
/// must take it out.
#[derive(Debug, thiserror::Error)]
#[error("preflight failed; nothing was changed: a member of the cluster that the inventory does not name cannot be reached, so it cannot be taken out: {0}")]
pub struct UnreachableStray(pub SshError);

/// The members' client addresses (`host`, `port`) that are no node of the inventory (the
/// arbitrator announces none).
pub fn foreign_members(
    inventory: &Inventory,
    statuses: &[Option<NodeStatus>],
) -> Vec<(String, u16)> {
    let mut seen = BTreeSet::new();
    statuses
        .iter()
        .flatten()
        .filter(|s| s.is_primary())
        .flat_map(|s| &s.incoming_addresses)
        .filter_map(|a| {
            let (host, port) = a.rsplit_once(':')?;
            let port: u16 = port.parse().ok().filter(|p| *p != 0)?;
            let host = host.trim_start_matches('[').trim_end_matches(']');
            (!host.is_empty()).then(|| (host.to_string(), port))
        })
        .filter(|(h, p)| {
            !inventory
                .nodes
                .iter()
                .any(|n| n.host.eq_ignore_ascii_case(h) && n.ports.mysql == *p)
        })
        .filter(|a| seen.insert(a.clone()))
        .collect()
}

/// The strays, and connections to the hosts only they use. A member whose host cannot be
/// reached fails `--prune` (it cannot be taken out); otherwise it is reported by address.
pub async fn find(
    inventory: &Inventory,
    hosts: &Hosts,
    statuses: &[Option<NodeStatus>],
    options: &SshOptions,
    prune: bool,
) -> Result<(Vec<Stray>, Hosts), UnreachableStray> {
    let members = foreign_members(inventory, statuses);
    let unknown: BTreeSet<&str> = members
        .iter()
        .map(|(h, _)| h.as_str())
        .filter(|h| hosts.get(h).is_none())
        .collect();
    let targets = unknown
        .iter()
        .map(|h| Target::for_host(inventory, h))
        .collect();
    let (extra, errors) = Hosts::connect_reachable(targets, options).await;
    let mut strays = Vec::new();
    for e in errors {
        if prune {
            extra.close().await;
            return Err(UnreachableStray(e));
        }
        tracing::warn!("a member that the inventory does not name cannot be reached: {e}");
    }
    let rows = futures::future::join_all(hosts.all().chain(extra.all()).map(|r| async move {
        (
            r.host.clone(),
            observe::containers(r).await.unwrap_or_default(),
        )
    }))
    .await;
    for (host, rows) in rows {
        for row in rows {
            let ours = row.cluster == inventory.cluster.name && !row.node.is_empty();
            // A node the inventory names is never a stray, on whatever host it is found:
            // the same machine may be reached under another name (its IP, its FQDN), and
            // taking the node's own container for a stray would stop it.
            let named = inventory.node(&row.node).is_some();
            if !ours || named {
                continue;
            }
            strays.push(Stray {
                member: row.is_running()
                    && members.iter().any(|(h, _)| h.eq_ignore_ascii_case(&host)),
                state: row.state.clone(),
                name: row.node.clone(),
                host: host.clone(),
                container: row.name.clone(),
            });
        }
    }
    for (host, port) in &members {
        if unknown.contains(host.as_str()) && extra.get(host).is_none() {
            strays.push(Stray {
                name: format!("the member at {host}:{port}"),
                host: host.clone(),
                container: String::new(),
                state: ContainerState::Running,
                member: true,
            });
        }
    }
    Ok((strays, extra))
}

/// The volumes in [`crate::docker::read::cluster_volumes`]'s output whose node the inventory does not name.
pub fn parse_volumes(inventory: &Inventory, host: &str, text: &str) -> Vec<StrayVolume> {
    text.lines()
        .filter_map(|line| {
            let (volume, node) = line.split_once('\t')?;
            let node = node.trim();
            (!node.is_empty() && inventory.node(node).is_none()).then(|| StrayVolume {
                host: host.to_string(),
                volume: volume.to_string(),
                node: node.to_string(),
            })
        })
        .collect()
}

/// The cluster's data volumes on `hosts` for nodes the inventory does not name (a host whose
/// docker does not answer is warned about: `up` gathered its facts just before).
pub async fn volumes(inventory: &Inventory, hosts: &Hosts) -> Vec<StrayVolume> {
    let argv = crate::docker::read::cluster_volumes(inventory);
    let lists = futures::future::join_all(hosts.all().map(|r| {
        let argv = &argv;
        async move { (r.host.clone(), r.run_ok(argv, None).await) }
    }))
    .await;
    let mut found = Vec::new();
    for (host, list) in lists {
        match list {
            Ok(text) => found.extend(parse_volumes(inventory, &host, &text)),
            Err(e) => tracing::warn!("host {host}: the cluster's volumes cannot be listed: {e}"),
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_the_inventory_does_not_name() {
        let source = "[cluster]\nname = \"c\"\nimage = \"i\"\nroot_password_file = \"r\"\nmonitor_password_file = \"m\"\n\n[[nodes]]\nname = \"a\"\nhost = \"db1.example\"\n\n[[nodes]]\nname = \"b\"\nhost = \"10.0.0.2\"\n";
        let parsed = crate::inventory::parse(std::path::Path::new("inv.toml"), source);
        let Some(inventory) = parsed.inventory else {
            panic!("{:?}", parsed.report.diagnostics)
        };
        let status = NodeStatus::from_rows([
            ("wsrep_cluster_status", "Primary"),
            (
                "wsrep_incoming_addresses",
                "DB1.example:4306,10.0.0.2:4306,,10.0.0.9:0,[fd00::7]:4306,10.0.0.3:4306,10.0.0.3:4306",
            ),
        ]);
        assert_eq!(
            foreign_members(&inventory, &[Some(status), None]),
            vec![
                ("fd00::7".to_string(), 4306),
                ("10.0.0.3".to_string(), 4306)
            ]
        );
    }

    #[test]
    fn volumes_of_names_the_inventory_does_not_have() {
        let source = "[cluster]\nname = \"c\"\nimage = \"i\"\nroot_password_file = \"r\"\nmonitor_password_file = \"m\"\n\n[[nodes]]\nname = \"a\"\nhost = \"h1\"\n";
        let parsed = crate::inventory::parse(std::path::Path::new("inv.toml"), source);
        let Some(inventory) = parsed.inventory else {
            panic!("{:?}", parsed.report.diagnostics)
        };
        assert_eq!(
            parse_volumes(
                &inventory,
                "h1",
                "c-a-data\ta\nc-old-data\told\nother\t\nc-old-data-aside-1\told\n"
            ),
            vec![
                StrayVolume {
                    host: "h1".into(),
                    volume: "c-old-data".into(),
                    node: "old".into()
                },
                StrayVolume {
                    host: "h1".into(),
                    volume: "c-old-data-aside-1".into(),
                    node: "old".into()
                }
            ]
        );
    }

    /// Review 2, L-7: a stray member is no arbitrator: with garbd down and one member the
    /// inventory does not name, stopping one of two healthy nodes is refused, and says why.
    #[test]
    fn a_stray_member_is_counted_as_such_not_as_the_arbitrator() {
        let primary = |size: &str| {
            Some(NodeStatus::from_rows([
                ("wsrep_cluster_status", "Primary"),
                ("wsrep_local_state_comment", "Synced"),
                ("wsrep_ready", "ON"),
                ("wsrep_connected", "ON"),
                ("wsrep_cluster_size", size),
                (
                    "wsrep_incoming_addresses",
                    "10.0.0.1:4306,10.0.0.2:4306,10.0.0.9:4306",
                ),
            ]))
        };
        let statuses = [primary("3"), primary("3")];
        // Without the stray's count, the third member would be taken for garbd.
        assert!(crate::arbitrator::surely_member(&statuses, 0));
        let source = "[cluster]\nname = \"c\"\nimage = \"i\"\nroot_password_file = \"r\"\nmonitor_password_file = \"m\"\n\n[[nodes]]\nname = \"a\"\nhost = \"10.0.0.1\"\n\n[[nodes]]\nname = \"b\"\nhost = \"10.0.0.2\"\n\n[arbitrator]\nhost = \"10.0.0.3\"\n";
        let parsed = crate::inventory::parse(std::path::Path::new("inv.toml"), source);
        let Some(inventory) = parsed.inventory else {
            panic!("{:?}", parsed.report.diagnostics)
        };
        let unnamed = foreign_members(&inventory, &statuses);
        assert_eq!(unnamed, vec![("10.0.0.9".to_string(), 4306)]);
        assert!(!crate::arbitrator::surely_member(&statuses, unnamed.len()));
        let (ok, why) =
            crate::plan::quorum_after_stop(inventory.members() + unnamed.len(), &["a"], "b");
        assert!(!ok);
        assert_eq!(
            crate::plan::with_unnamed(why, &unnamed),
            "after stopping b, 1 of 4 members would be Synced and Primary (a); a majority of 4 is 3; the members count 1 the inventory does not name (10.0.0.9:4306), whose state galeractl does not read (`galeractl up --prune` takes them out)"
        );
    }
}
