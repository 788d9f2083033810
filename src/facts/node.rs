//! What the node commands decide from: `stop-node`, `start-node` (one node) and `restart`
//! (the nodes named).

use super::{ContainerRow, Versions};
use crate::galera::Probe;

/// What `stop-node` and `start-node` read, once the lock is held.
#[derive(Debug, Clone)]
pub struct NodeFacts {
    /// Every node's probe, in inventory order.
    pub probes: Vec<Probe>,
    /// The node's container (`None`: there is none).
    pub container: Option<ContainerRow>,
    /// The members the inventory does not name (their client address), from the probes.
    pub unnamed: Vec<(String, u16)>,
    /// `start-node` when it creates the container anew: the versions the cluster runs and the
    /// image holds (for the rolling upgrade's guard).
    pub versions: Option<Versions>,
}

/// What `restart` reads, once the lock is held.
#[derive(Debug, Clone)]
pub struct RestartFacts {
    /// Every node's probe, in inventory order.
    pub probes: Vec<Probe>,
    /// With HAProxy: the containers on each restarted node's host (to find stale health
    /// endpoints); empty without it.
    pub rows: Vec<(String, Vec<ContainerRow>)>,
}
