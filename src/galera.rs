//! What Galera reports, as data: a node's wsrep status rows become a [`NodeStatus`], and the
//! statuses of all nodes become a cluster [`Verdict`]. Pure; tested with rows seen on the lab.

use std::collections::BTreeSet;

use serde::Serialize;

/// The wsrep status of one node, from `SHOW GLOBAL STATUS LIKE 'wsrep_%'`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct NodeStatus {
    /// `wsrep_local_state_comment`: Synced, Donor/Desynced, Joining, Joined, Initialized...
    pub local_state: String,
    /// `wsrep_cluster_status`: Primary, non-Primary, Disconnected.
    pub cluster_status: String,
    pub cluster_size: u32,
    pub connected: bool,
    pub ready: bool,
    pub last_committed: i64,
    pub cluster_state_uuid: String,
    /// `wsrep_flow_control_paused`: fraction of time paused by flow control since last read.
    pub flow_control_paused: f64,
}

impl NodeStatus {
    pub fn from_rows<'a>(rows: impl IntoIterator<Item = (&'a str, &'a str)>) -> NodeStatus {
        let mut s = NodeStatus {
            last_committed: -1,
            ..NodeStatus::default()
        };
        for (name, value) in rows {
            match name.to_ascii_lowercase().as_str() {
                "wsrep_local_state_comment" => s.local_state = value.to_string(),
                "wsrep_cluster_status" => s.cluster_status = value.to_string(),
                "wsrep_cluster_size" => s.cluster_size = value.parse().unwrap_or(0),
                "wsrep_connected" => s.connected = value.eq_ignore_ascii_case("ON"),
                "wsrep_ready" => s.ready = value.eq_ignore_ascii_case("ON"),
                "wsrep_last_committed" => s.last_committed = value.parse().unwrap_or(-1),
                "wsrep_cluster_state_uuid" => s.cluster_state_uuid = value.to_string(),
                "wsrep_flow_control_paused" => s.flow_control_paused = value.parse().unwrap_or(0.0),
                _ => {}
            }
        }
        s
    }

    pub fn is_primary(&self) -> bool {
        self.cluster_status == "Primary"
    }

    pub fn is_synced(&self) -> bool {
        self.local_state == "Synced"
    }

    /// Takes traffic: Primary, Synced and ready.
    pub fn is_healthy(&self) -> bool {
        self.is_primary() && self.is_synced() && self.ready
    }

    pub fn short_uuid(&self) -> &str {
        self.cluster_state_uuid
            .get(..8)
            .unwrap_or(&self.cluster_state_uuid)
    }
}

/// What `up` and `status` conclude about the cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "verdict", content = "reason")]
pub enum Verdict {
    /// Every node of the inventory is healthy in one Primary component of full size.
    Healthy,
    /// A Primary component serves, but not every node is in it.
    Degraded(String),
    /// Two cluster UUIDs, or two Primary components.
    Split(String),
    /// No node is in a Primary component.
    Down(String),
}

impl Verdict {
    pub fn exit_code(&self) -> u8 {
        match self {
            Verdict::Healthy => crate::exit::OK,
            Verdict::Degraded(_) => crate::exit::DEGRADED,
            Verdict::Split(_) | Verdict::Down(_) => crate::exit::FAILED,
        }
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Verdict::Healthy => f.write_str("healthy"),
            Verdict::Degraded(why) => write!(f, "degraded: {why}"),
            Verdict::Split(why) => write!(f, "split: {why}"),
            Verdict::Down(why) => write!(f, "down: {why}"),
        }
    }
}

/// The verdict for a cluster of `expected` nodes from what each answered (`None`: no answer).
pub fn verdict(expected: usize, nodes: &[(&str, Option<&NodeStatus>)]) -> Verdict {
    let answering: Vec<(&str, &NodeStatus)> = nodes
        .iter()
        .filter_map(|(name, s)| s.map(|s| (*name, s)))
        .collect();
    let primaries: Vec<&(&str, &NodeStatus)> =
        answering.iter().filter(|(_, s)| s.is_primary()).collect();
    let uuids: BTreeSet<&str> = primaries
        .iter()
        .map(|(_, s)| s.cluster_state_uuid.as_str())
        .collect();
    if uuids.len() > 1 {
        return Verdict::Split(format!(
            "{} cluster UUIDs among Primary nodes ({})",
            uuids.len(),
            uuids.into_iter().collect::<Vec<_>>().join(", ")
        ));
    }
    // Two Primary components of one history: sizes that cannot both hold.
    let claimed: u32 = primaries
        .iter()
        .map(|(_, s)| s.cluster_size)
        .max()
        .unwrap_or(0);
    if primaries.len() as u32 > claimed && claimed > 0 {
        return Verdict::Split(format!(
            "{} nodes say Primary but the largest component has {claimed}",
            primaries.len()
        ));
    }
    if primaries.is_empty() {
        let why = if answering.is_empty() {
            "no node answers".to_string()
        } else {
            format!(
                "no Primary component ({} of {expected} answering)",
                answering.len()
            )
        };
        return Verdict::Down(why);
    }
    let unhealthy: Vec<String> = nodes
        .iter()
        .filter_map(|(name, s)| match s {
            None => Some(format!("{name} unreachable")),
            Some(s) if !s.is_healthy() => Some(format!(
                "{name} {}",
                if s.is_primary() {
                    s.local_state.as_str()
                } else {
                    s.cluster_status.as_str()
                }
            )),
            Some(_) => None,
        })
        .collect();
    if unhealthy.is_empty() && claimed as usize == expected {
        Verdict::Healthy
    } else if unhealthy.is_empty() {
        Verdict::Degraded(format!("cluster size {claimed}, expected {expected}"))
    } else {
        Verdict::Degraded(format!(
            "{}; cluster size {claimed} of {expected}",
            unhealthy.join(", ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn synced(uuid: &str, size: u32) -> NodeStatus {
        NodeStatus::from_rows([
            ("wsrep_local_state_comment", "Synced"),
            ("wsrep_cluster_status", "Primary"),
            ("wsrep_cluster_size", &size.to_string() as &str),
            ("wsrep_connected", "ON"),
            ("wsrep_ready", "ON"),
            ("wsrep_last_committed", "7"),
            ("wsrep_cluster_state_uuid", uuid),
            ("wsrep_flow_control_paused", "0.000000"),
        ])
    }

    const U1: &str = "5bd3c0a5-c0b0-11ef-8a6e-7e0a8f3a1b11";
    const U2: &str = "0a1b2c3d-c0b0-11ef-8a6e-7e0a8f3a1b11";

    #[test]
    fn rows_become_a_status() {
        let s = synced(U1, 3);
        assert!(s.is_healthy());
        assert_eq!(s.cluster_size, 3);
        assert_eq!(s.last_committed, 7);
        assert_eq!(s.short_uuid(), "5bd3c0a5");
    }

    #[test]
    fn verdicts() {
        let a = synced(U1, 3);
        assert_eq!(
            verdict(3, &[("a", Some(&a)), ("b", Some(&a)), ("c", Some(&a))]),
            Verdict::Healthy
        );
        let two = synced(U1, 2);
        assert_eq!(
            verdict(3, &[("a", Some(&two)), ("b", None), ("c", Some(&two))]).to_string(),
            "degraded: b unreachable; cluster size 2 of 3"
        );
        let other = synced(U2, 1);
        assert!(matches!(
            verdict(
                3,
                &[("a", Some(&two)), ("b", Some(&other)), ("c", Some(&two))]
            ),
            Verdict::Split(_)
        ));
        let np = NodeStatus {
            cluster_status: "non-Primary".into(),
            ..synced(U1, 1)
        };
        assert_eq!(
            verdict(3, &[("a", Some(&np)), ("b", None), ("c", None)]).to_string(),
            "down: no Primary component (1 of 3 answering)"
        );
        assert_eq!(
            verdict(3, &[("a", None), ("b", None), ("c", None)]).exit_code(),
            2
        );
    }
}
