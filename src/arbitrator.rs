//! The arbitrator: `garbd` in a container on its host. It is a member of the cluster's group
//! communication without data: it votes for quorum (two nodes and an arbitrator survive the
//! loss of one node), stores nothing and serves no client. Pure builders; `plan::arbitrator`
//! places them.

pub mod view;

use crate::argv::{spec_hash, Argv};
use crate::docker::{self, LABEL_CLUSTER, LABEL_ROLE, LABEL_SPEC, RESTART_POLICY};
use crate::inventory::{host_port, Arbitrator, Inventory};

/// The members garbd connects to: every node's published Galera port.
fn members(inventory: &Inventory) -> String {
    let peers: Vec<String> = inventory
        .nodes
        .iter()
        .map(|n| host_port(&n.host, n.ports.galera))
        .collect();
    format!("gcomm://{}", peers.join(","))
}

/// `docker run` of garbd: its port published on its host and advertised as the host's
/// (`base_host`/`base_port`), as the nodes do, so the members can reach it back; `--init`, so
/// that a `docker stop` ends it at once (garbd ignores SIGTERM while it connects). The spec
/// label hashes the rest of the command.
pub fn run(inventory: &Inventory, a: &Arbitrator) -> Argv {
    let name = inventory.arbitrator_container();
    let mut words: Argv = [
        "docker",
        "run",
        "--detach",
        "--init",
        "--name",
        &name,
        "--restart",
        RESTART_POLICY,
        "--label",
    ]
    .iter()
    .map(std::string::ToString::to_string)
    .collect();
    words.push(format!("{LABEL_CLUSTER}={}", inventory.cluster.name));
    words.push("--label".into());
    words.push(format!("{LABEL_ROLE}=arbitrator"));
    if inventory.tls.is_some() {
        words.push("--label".into());
        words.push(format!("{}=on", docker::LABEL_TLS));
    }
    let spec_at = words.len();
    words.extend(["--publish".to_string(), format!("{}:{}", a.port, a.port)]);
    if inventory.tls.is_some() {
        for mount in crate::tls::mounts(inventory, crate::tls::ARBITRATOR) {
            words.push("--volume".into());
            words.push(mount);
        }
    }
    words.extend([
        "--entrypoint".to_string(),
        "garbd".to_string(),
        a.image.clone(),
        "--address".to_string(),
        members(inventory),
        "--group".to_string(),
        inventory.cluster.name.clone(),
        "--options".to_string(),
        format!(
            "base_host={}; base_port={}; gmcast.listen_addr=tcp://0.0.0.0:{}{}",
            a.host,
            a.port,
            a.port,
            if inventory.tls.is_some() {
                crate::tls::garbd_options()
            } else {
                String::new()
            }
        ),
    ]);
    let spec = spec_hash(&words);
    words.splice(
        spec_at..spec_at,
        ["--label".to_string(), format!("{LABEL_SPEC}={spec}")],
    );
    words
}

/// Whether the Primary component holds a member that is neither a node that reports it nor
/// one of `others` members known not to be nodes of the inventory: the arbitrator, most likely
/// (a node whose SQL is silent may be that member too: see [`surely_member`]).
pub fn is_member(statuses: &[Option<crate::galera::NodeStatus>], others: usize) -> bool {
    extra_members(statuses, others) > 0
}

/// [`is_member`] for decisions that count it for quorum: every node whose SQL is silent is
/// taken for the extra member first, so the arbitrator is counted only when it must be there.
pub fn surely_member(statuses: &[Option<crate::galera::NodeStatus>], others: usize) -> bool {
    let silent = statuses.iter().filter(|s| s.is_none()).count();
    extra_members(statuses, others) > silent
}

/// Members of the Primary component that no answering node and none of `others` accounts for.
fn extra_members(statuses: &[Option<crate::galera::NodeStatus>], others: usize) -> usize {
    let primary: Vec<&crate::galera::NodeStatus> = statuses
        .iter()
        .flatten()
        .filter(|s| s.is_primary())
        .collect();
    primary
        .iter()
        .map(|s| s.cluster_size as usize)
        .max()
        .map_or(0, |size| size.saturating_sub(primary.len() + others))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::galera::NodeStatus;

    fn primary(size: u32) -> Option<NodeStatus> {
        Some(NodeStatus::from_rows([
            ("wsrep_cluster_status", "Primary"),
            ("wsrep_local_state_comment", "Synced"),
            ("wsrep_cluster_size", size.to_string().as_str()),
        ]))
    }

    #[test]
    fn membership_of_the_arbitrator() {
        // Two nodes answer in a component of three: the third member is garbd.
        assert!(is_member(&[primary(3), primary(3)], 0));
        assert!(surely_member(&[primary(3), primary(3)], 0));
        // One node silent: it may be the third member itself.
        assert!(is_member(&[primary(3), primary(3), None], 0));
        assert!(!surely_member(&[primary(3), primary(3), None], 0));
        // A stray accounts for the extra member.
        assert!(!is_member(&[primary(3), primary(3)], 1));
        // No Primary node: nothing is known.
        assert!(!is_member(&[None, None], 0));
    }
}
