//! One look at a cluster, as watch sees it: from `status`'s report of every node and, for each
//! node that neither serves nor answers, one more read on its host ([`need`]): the log of a
//! running one (does it wait non-Primary?), the operator's stop record of a stopped one. Pure:
//! `observe::watch` reads, [`view`] decides each node's [`Condition`].

use super::{intent, Condition, View};
use crate::facts::ContainerState;
use crate::galera::{self, Verdict};
use crate::inventory::Inventory;
use crate::report::{NodeReport, StatusFacts, StatusReport};

/// What watch reads on a node's host beyond `status`'s observation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    Nothing,
    /// Its log since its start (the container runs, its SQL is silent).
    Log,
    /// The operator's stop record (its container is down or gone).
    StopRecord,
}

/// What a look read on a node's host: the text, or why it could not be read.
pub type HostRead = Option<Result<String, String>>;

/// One look: `status`'s facts, and what was read on the hosts (in inventory order).
pub struct WatchFacts {
    pub status: StatusFacts,
    pub reads: Vec<HostRead>,
}

/// What to read on `node`'s host.
pub fn need(node: &NodeReport) -> Need {
    if node.wsrep.is_some() || server_answered(node) {
        return Need::Nothing;
    }
    match node.container {
        ContainerState::Running => Need::Log,
        ContainerState::Exited
        | ContainerState::Dead
        | ContainerState::Created
        | ContainerState::Missing => Need::StopRecord,
        _ => Need::Nothing,
    }
}

/// Its server answered (it refused the monitoring user): it runs, and may serve.
fn server_answered(node: &NodeReport) -> bool {
    node.no_answer
        .as_ref()
        .is_some_and(galera::NoAnswer::server_answered)
}

/// A node's condition from `status`'s report of it and what [`need`] read on its host.
pub fn condition(node: &NodeReport, read: &HostRead) -> Condition {
    if let Some(s) = &node.wsrep {
        return match (s.is_healthy(), s.is_primary()) {
            (true, _) => Condition::Serving,
            (false, true) => Condition::InPrimary(s.local_state.clone()),
            (false, false) => Condition::WaitingNonPrimary,
        };
    }
    let why = node.error.clone().unwrap_or_else(|| "no answer".into());
    if server_answered(node) {
        return Condition::Silent(why);
    }
    let state = &node.container;
    match (state, read) {
        (ContainerState::Running, Some(Ok(log))) => match galera::last_view_since_start(log) {
            Some(true) => Condition::WaitingNonPrimary,
            Some(false) => Condition::Silent(why),
            None => Condition::Starting("starting: no Galera view since its start".into()),
        },
        (ContainerState::Running, Some(Err(e))) => {
            Condition::Silent(format!("{why}; its log: {e}"))
        }
        (ContainerState::Running, None) => Condition::Silent(why),
        (ContainerState::Restarting, _) => Condition::Starting(state.word().into()),
        (
            ContainerState::Exited
            | ContainerState::Dead
            | ContainerState::Created
            | ContainerState::Missing,
            read,
        ) => match read {
            Some(Ok(text)) => Condition::Down {
                state: state.word().into(),
                operator_stopped: intent::operator_stopped(text),
            },
            // Whether the operator stopped it is not known: nothing is done to it.
            Some(Err(e)) => Condition::Unknown(format!(
                "{why}; its container is {state}, and its stop record could not be read: {e}"
            )),
            None => Condition::Unknown(format!(
                "{why}; its container is {state}, and its stop record was not read"
            )),
        },
        (ContainerState::Unknown(_), _) => Condition::Unknown(format!("{why}; {state}")),
        (other, _) => Condition::Silent(format!("{why}; its container is {other}")),
    }
}

/// The cluster as watch decides on it: each node's condition (`reads` in inventory order), a
/// split or a history reset, and what is wrong beside the nodes (the proxy, garbd).
pub fn view(inventory: &Inventory, report: &StatusReport, reads: &[HostRead]) -> View {
    let (split, history_reset) = match &report.verdict {
        Verdict::Split(why) => (Some(why.clone()), None),
        Verdict::HistoryReset(why) => (None, Some(why.clone())),
        _ => (None, None),
    };
    let mut beside = Vec::new();
    if let Some(why) = report.proxy.as_ref().and_then(|p| p.error.as_ref()) {
        beside.push(("haproxy".to_string(), format!("HAProxy's stats: {why}")));
    }
    if let Some(a) = report
        .arbitrator
        .as_ref()
        .filter(|a| a.container != ContainerState::Running)
    {
        beside.push((
            "garbd".to_string(),
            format!("garbd's container on {} is {}", a.host, a.container),
        ));
    }
    let none = None;
    View {
        cluster: inventory.cluster.name.clone(),
        nodes: inventory
            .nodes
            .iter()
            .zip(&report.nodes)
            .enumerate()
            .map(|(i, (n, r))| (n.name.clone(), condition(r, reads.get(i).unwrap_or(&none))))
            .collect(),
        split,
        history_reset,
        beside,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn silent(container: ContainerState) -> NodeReport {
        NodeReport {
            name: "nodeb".into(),
            host: "10.0.0.2".into(),
            port: 4306,
            container,
            error: Some("timed out".into()),
            no_answer: None,
            wsrep: None,
            log: Vec::new(),
        }
    }

    #[test]
    fn a_silent_node_is_read_by_its_container_state() {
        let running = silent(ContainerState::Running);
        assert_eq!(need(&running), Need::Log);
        let waiting = "2026-12-07 [Note] WSREP: Received NON-PRIMARY.\n";
        assert_eq!(
            condition(&running, &Some(Ok(waiting.into()))),
            Condition::WaitingNonPrimary
        );
        assert_eq!(
            condition(&running, &Some(Ok(String::new()))),
            Condition::Starting("starting: no Galera view since its start".into())
        );
        assert_eq!(
            condition(&running, &Some(Err("exit 1: no such container".into()))),
            Condition::Silent("timed out; its log: exit 1: no such container".into())
        );
        let exited = silent(ContainerState::Exited);
        assert_eq!(need(&exited), Need::StopRecord);
        assert_eq!(
            condition(&exited, &Some(Ok("\n2026-12-07T10:00:00Z\n".into()))),
            Condition::Down {
                state: "exited".into(),
                operator_stopped: false
            }
        );
        assert_eq!(
            condition(&exited, &Some(Err("connection refused".into()))),
            Condition::Unknown("timed out; its container is exited, and its stop record could not be read: connection refused".into())
        );
        let restarting = silent(ContainerState::Restarting);
        assert_eq!(need(&restarting), Need::Nothing);
        assert_eq!(
            condition(&restarting, &None),
            Condition::Starting("restarting".into())
        );
    }
}
