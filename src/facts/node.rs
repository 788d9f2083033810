//! What the node commands decide from: `stop-node`, `start-node` (one node) and `restart`
//! (the nodes named). Each reads and writes as JSON (serde), as a case of `tests/fixtures/`.

use super::{ContainerRow, Versions};
use crate::galera::Probe;

/// What `stop-node` and `start-node` read, once the lock is held.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeFacts {
    /// Every node's probe, in inventory order.
    pub probes: Vec<Probe>,
    /// The node's container (`None`: there is none).
    pub container: Option<ContainerRow>,
    /// The members the inventory does not name (their client address), from the probes.
    #[serde(default)]
    pub unnamed: Vec<(String, u16)>,
    /// `start-node` when it creates the container anew: the versions the cluster runs and the
    /// image holds (for the rolling upgrade's guard).
    #[serde(default)]
    pub versions: Option<Versions>,
}

/// What `restart` reads, once the lock is held.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RestartFacts {
    /// Every node's probe, in inventory order.
    pub probes: Vec<Probe>,
    /// With HAProxy: the containers on each restarted node's host (to find stale health
    /// endpoints); empty without it.
    #[serde(default)]
    pub rows: Vec<(String, Vec<ContainerRow>)>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::ContainerState;
    use crate::galera::NoAnswer;

    #[test]
    fn node_facts_read_back_as_written() {
        let facts = NodeFacts {
            probes: vec![Err(NoAnswer::Refused)],
            container: Some(ContainerRow {
                id: "0123456789ab".into(),
                name: "c-nodea".into(),
                state: ContainerState::Exited,
                cluster: "c".into(),
                node: "nodea".into(),
                spec: "0000000000000000".into(),
                tls: false,
            }),
            unnamed: vec![("10.0.0.9".into(), 3306)],
            versions: None,
        };
        let json = serde_json::to_string(&facts).unwrap_or_default();
        assert_eq!(serde_json::from_str::<NodeFacts>(&json).ok(), Some(facts));
        let restart: RestartFacts =
            serde_json::from_str(r#"{"probes": [{"Err": {"kind": "refused"}}]}"#)
                .unwrap_or_else(|e| panic!("{e}"));
        assert!(restart.rows.is_empty());
        assert!(
            serde_json::from_str::<RestartFacts>(r#"{"probes": [], "containers": []}"#).is_err()
        );
    }
}
