//! What `galeractl up` prints at its end: the verdict, what ran, and each node's container and
//! state, as a line per node or (`--json`) one document. Pure.

use serde::Serialize;

use crate::facts::{node_container, ContainerRow};
use crate::galera::{NodeStatus, Verdict};
use crate::inventory::Inventory;

/// The `--json` document of `up`.
#[derive(Debug, Serialize)]
pub struct UpSummary {
    pub cluster: String,
    pub changed: bool,
    pub steps_run: usize,
    pub steps_skipped: usize,
    pub seconds: f64,
    pub verdict: String,
    pub nodes: Vec<UpNode>,
}

#[derive(Debug, Serialize)]
pub struct UpNode {
    pub name: String,
    pub host: String,
    /// The container's id, 12 characters (empty: none).
    pub container: String,
    /// `cluster_status local_state`, or `no answer`.
    pub state: String,
}

/// What ran: `None` when nothing had to change, else the steps run and skipped.
pub type Ran = Option<(usize, usize)>;

impl UpSummary {
    /// From what was read after the run: each host's containers and each node's status (in
    /// inventory order).
    pub fn new(
        inventory: &Inventory,
        verdict: &Verdict,
        (ran, seconds): (Ran, f64),
        rows: &[(String, Vec<ContainerRow>)],
        statuses: &[Option<NodeStatus>],
    ) -> UpSummary {
        let nodes = inventory
            .nodes
            .iter()
            .zip(statuses)
            .map(|(n, s)| {
                let row = rows
                    .iter()
                    .find(|(h, _)| h == &n.host)
                    .and_then(|(_, rows)| node_container(inventory, n, rows));
                UpNode {
                    name: n.name.clone(),
                    host: n.host.clone(),
                    container: row.map_or(String::new(), |r| r.id.chars().take(12).collect()),
                    state: s.as_ref().map_or("no answer".into(), |s| {
                        format!("{} {}", s.cluster_status, s.local_state)
                    }),
                }
            })
            .collect();
        let (steps_run, steps_skipped) = ran.unwrap_or((0, 0));
        UpSummary {
            cluster: inventory.cluster.name.clone(),
            changed: ran.is_some(),
            steps_run,
            steps_skipped,
            seconds,
            verdict: verdict.to_string(),
            nodes,
        }
    }

    /// The text: a line for the cluster, then one per node.
    pub fn text(&self) -> String {
        let mut text = format!(
            "cluster {}: {} in {:.1}s ({})\n",
            self.cluster,
            self.verdict,
            self.seconds,
            if self.changed {
                format!(
                    "{} steps run, {} skipped",
                    self.steps_run, self.steps_skipped
                )
            } else {
                "up to date, nothing changed".into()
            }
        );
        for n in &self.nodes {
            text.push_str(&format!(
                "  {:<12} {:<16} {:<14} {}\n",
                n.name, n.host, n.container, n.state
            ));
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_text_has_a_line_for_the_cluster_and_one_per_node() {
        let summary = UpSummary {
            cluster: "shop".into(),
            changed: true,
            steps_run: 12,
            steps_skipped: 3,
            seconds: 41.25,
            verdict: "healthy".into(),
            nodes: vec![
                UpNode {
                    name: "nodea".into(),
                    host: "10.0.0.1".into(),
                    container: "0123456789ab".into(),
                    state: "Primary Synced".into(),
                },
                UpNode {
                    name: "nodeb".into(),
                    host: "10.0.0.2".into(),
                    container: String::new(),
                    state: "no answer".into(),
                },
            ],
        };
        assert_eq!(
            summary.text(),
            "cluster shop: healthy in 41.2s (12 steps run, 3 skipped)
  nodea        10.0.0.1         0123456789ab   Primary Synced
  nodeb        10.0.0.2                        no answer
"
        );
    }
}
