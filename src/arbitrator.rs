//! The arbitrator: `garbd` in a container on its host. It is a member of the cluster's group
//! communication without data: it votes for quorum (two nodes and an arbitrator survive the
//! loss of one node), stores nothing and serves no client. Pure: whether the arbitrator is a
//! member of the Primary component, from what the nodes report. Its `docker run` is built in
//! `docker::garbd`, and `plan::arbitrator` places it.

pub mod view;

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
