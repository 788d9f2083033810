//! What recovery learns of each node: where its position was read, and what it says.

use std::fmt;

use super::container::ContainerState;

/// Where a position was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Grastate,
    WsrepRecover,
    /// A running node's `wsrep_last_committed`.
    WsrepStatus,
    /// `--wsrep-recover` after `--tc-heuristic-recover` committed or rolled back prepared
    /// transactions: its data may differ from the others' at that seqno.
    Heuristic,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Source::Grastate => "grastate",
            Source::WsrepRecover => "wsrep-recover",
            Source::WsrepStatus => "wsrep status",
            Source::Heuristic => "wsrep-recover after tc-heuristic-recover",
        })
    }
}

/// What was learned of one node's position.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reading {
    /// The node runs in a Primary component.
    Primary {
        uuid: String,
        seqno: i64,
    },
    Position {
        uuid: String,
        seqno: i64,
        safe_to_bootstrap: bool,
        source: Source,
    },
    /// No data volume or no grastate.dat: it never held the cluster's data.
    NoData,
    PreparedTransactions(String),
    Unreadable(String),
    /// The node's server answers SQL but refuses the monitoring user: it runs, and may serve
    /// in a Primary component; its state is unknown (the server's message).
    AccessDenied(String),
    /// The container runs, its SQL does not answer, and its log says why: its last view since
    /// its start is non-Primary (it waits for a Primary component that no longer exists, as
    /// after a power cut that hit while the cluster re-formed).
    WaitingNonPrimary(String),
}

/// One node as recovery sees it, in inventory order.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodePosition {
    pub name: String,
    pub host: String,
    pub container: ContainerState,
    pub reading: Reading,
}

impl NodePosition {
    /// A position the cluster can restart from: a real cluster UUID and a seqno.
    pub fn valid(&self) -> Option<(&str, i64)> {
        match &self.reading {
            Reading::Position { uuid, seqno, .. } | Reading::Primary { uuid, seqno }
                if uuid != crate::galera::ZERO_UUID && *seqno >= 0 =>
            {
                Some((uuid, *seqno))
            }
            _ => None,
        }
    }
}

/// The last Primary view a node saved in `gvwstate.dat` (Galera's `pc.recovery`); the file
/// exists only while the node was in a Primary component when it went down.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SavedView {
    pub my_uuid: String,
    /// `view_id:` as written: type, representative UUID, sequence.
    pub view_id: String,
    pub members: std::collections::BTreeSet<String>,
}

/// Every node's position as recovery reads it, and the Primary view each crashed node saved.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Positions {
    /// In inventory order.
    pub positions: Vec<NodePosition>,
    /// The last Primary view each crashed node saved (gvwstate.dat), in inventory order.
    #[serde(default)]
    pub views: Vec<Option<SavedView>>,
}

/// What one node is doing, for reports.
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeState {
    pub name: String,
    pub host: String,
    /// `None`: its host is out of reach.
    pub container: Option<ContainerState>,
    pub status: Option<crate::galera::NodeStatus>,
}

impl NodeState {
    /// Its container's state, or `host unreachable`.
    pub fn container_text(&self) -> String {
        self.container
            .as_ref()
            .map_or_else(|| "host unreachable".to_string(), ToString::to_string)
    }
}

impl std::fmt::Display for NodeState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:<12} {:<16} {:<10} {}",
            self.name,
            self.host,
            self.container_text(),
            self.status
                .as_ref()
                .map_or("no SQL answer".to_string(), |s| format!(
                    "{} {} size {} {}",
                    s.cluster_status,
                    s.local_state,
                    s.cluster_size,
                    s.short_uuid()
                ))
        )
    }
}
