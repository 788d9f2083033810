//! The renewal of running nodes' TLS certificates in `up`'s plan: a node whose server presents
//! another certificate than the one on this machine (`Observed::tls_stale`) gets the new
//! certificate and key written in place (a bind-mounted file keeps its inode, so the container
//! sees the new content), then reloads them without a restart: `FLUSH SSL` for clients and
//! Galera's `socket.ssl_reload` for replication and IST (SST reads the files at each transfer).
//! One node per stage, each Synced after.

use super::{Observed, Stage, Stdin, Step, WaitFor};
use crate::docker;
use crate::inventory::Inventory;

/// The stages that renew the certificates of the running nodes that serve an old one, when
/// nothing else replaces them (a replaced node gets its files with its *prepare*).
pub fn stages(inventory: &Inventory, observed: &Observed) -> Vec<Stage> {
    let Some(tls) = &inventory.tls else {
        return Vec::new();
    };
    let mut stages = Vec::new();
    for node in &inventory.nodes {
        if !observed.tls_stale.contains(&node.name) {
            continue;
        }
        let want = docker::run_node(inventory, node);
        let want_spec = docker::spec_of(&want).unwrap_or_default();
        let serving_as_wanted = observed
            .nodes
            .iter()
            .any(|o| o.name == node.name && o.synced_primary && o.container.runs_spec(want_spec));
        if !serving_as_wanted {
            continue;
        }
        let on_node = |description: &str, argv, stdin| {
            Step::on_node(node, format!("{}: {description}", node.name), argv, stdin)
        };
        stages.push(Stage {
            title: format!("renew {}'s TLS certificate (no restart)", node.name),
            steps: vec![
                on_node(
                    "write its new certificate in place",
                    docker::write_in_place(&crate::tls::host_cert(inventory, &node.name)),
                    Some(Stdin::SecretFile(crate::tls::local_cert(tls, &node.name))),
                ),
                on_node(
                    "write its new private key in place (it keeps its 0600 mode and owner)",
                    docker::write_in_place(&crate::tls::host_key(inventory, &node.name)),
                    Some(Stdin::SecretFile(crate::tls::local_key(tls, &node.name))),
                ),
                on_node(
                    "reload them: FLUSH SSL (clients) and socket.ssl_reload (Galera), as root through the node's socket",
                    docker::root_sql(inventory, node),
                    Some(Stdin::Text(crate::tls::RELOAD_SQL.into())),
                ),
            ],
            wait: Some(WaitFor::Synced {
                nodes: vec![node.name.clone()],
            }),
        });
    }
    stages
}
