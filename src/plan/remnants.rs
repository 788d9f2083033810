//! Before a new cluster is bootstrapped (no node of the inventory has a container or data):
//! what the hosts still hold of this cluster under other node names (containers, labelled
//! data volumes) and its history record. Each is evidence that the cluster existed: a new,
//! empty one beside it would take the same ports and start another history, and its record
//! would hide the reset. Refused, unless `--new-history` (stopped remnants and the record
//! only: a running container may be serving).

use super::{Observed, PlanError};
use crate::inventory::Inventory;

/// The flag that allows a new history over stopped remnants and a record.
pub const NEW_HISTORY_FLAG: &str = "--new-history";

/// No node of the inventory serves: containers of the cluster that run under other names may
/// (nothing may be bootstrapped, nor recovered, beside them).
pub(super) fn refuse_running(inventory: &Inventory, observed: &Observed) -> Result<(), PlanError> {
    let running: Vec<String> = observed
        .strays
        .iter()
        .filter(|s| s.state.is_running())
        .map(|s| {
            if s.container.is_empty() {
                s.name.clone()
            } else {
                format!("{} ({} on {})", s.container, s.name, s.host)
            }
        })
        .collect();
    if running.is_empty() {
        return Ok(());
    }
    Err(PlanError::StraysRunning {
        cluster: inventory.cluster.name.clone(),
        containers: running.join(", "),
    })
}

/// `Ok` with notes (what `--new-history` goes past) when a new cluster may be bootstrapped.
pub(super) fn check(
    inventory: &Inventory,
    observed: &Observed,
    new_history: bool,
) -> Result<Vec<String>, PlanError> {
    refuse_running(inventory, observed)?;
    let cluster = inventory.cluster.name.clone();
    let mut evidence: Vec<String> = observed
        .strays
        .iter()
        .map(|s| {
            format!(
                "container {} of node {} on {} (stopped)",
                s.container, s.name, s.host
            )
        })
        .collect();
    evidence.extend(
        observed
            .stray_volumes
            .iter()
            .map(|v| format!("data volume {} of node {} on {}", v.volume, v.node, v.host)),
    );
    let mut records: std::collections::BTreeMap<&str, Vec<&str>> =
        std::collections::BTreeMap::new();
    for (host, uuid) in &observed.history {
        if let Some(uuid) = uuid {
            records
                .entry(uuid.as_str())
                .or_default()
                .push(host.as_str());
        }
    }
    let path = inventory.history_path();
    evidence.extend(
        records.iter().map(|(uuid, hosts)| {
            format!("history record {uuid} in {path} on {}", hosts.join(", "))
        }),
    );
    if evidence.is_empty() {
        return Ok(Vec::new());
    }
    if !new_history {
        return Err(PlanError::OldClusterLeft {
            cluster,
            evidence: evidence.join("; "),
        });
    }
    Ok(vec![format!(
        "{NEW_HISTORY_FLAG}: a new, empty cluster with a new history, although the hosts hold this cluster's {}; they are left as they are, and the history record is rewritten",
        evidence.join("; ")
    )])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::{Stray, StrayVolume};

    fn inventory() -> Inventory {
        let source = "[cluster]\nname = \"c1\"\nimage = \"i\"\nroot_password_file = \"r\"\nmonitor_password_file = \"m\"\n\n[[nodes]]\nname = \"nodea\"\nhost = \"10.0.0.1\"\n\n[[nodes]]\nname = \"nodeb\"\nhost = \"10.0.0.2\"\n";
        let parsed = crate::inventory::parse(std::path::Path::new("/inv/c1.toml"), source);
        let Some(inventory) = parsed.inventory else {
            panic!("{:?}", parsed.report.diagnostics)
        };
        inventory
    }

    const UUID: &str = "86f148f9-0000-11ee-8000-000000000001";

    fn old(running: bool) -> Observed {
        let mut observed = Observed::default();
        observed.strays.push(Stray {
            name: "old0".into(),
            host: "10.0.0.1".into(),
            container: "c1-old0".into(),
            state: if running {
                crate::facts::ContainerState::Running
            } else {
                crate::facts::ContainerState::Exited
            },
            member: false,
        });
        observed.stray_volumes.push(StrayVolume {
            host: "10.0.0.2".into(),
            volume: "c1-old1-data".into(),
            node: "old1".into(),
        });
        for host in ["10.0.0.1", "10.0.0.2"] {
            observed
                .history
                .insert(host.to_string(), Some(UUID.to_string()));
        }
        observed
    }

    #[test]
    fn nothing_left_allows_a_new_cluster() {
        let mut observed = Observed::default();
        observed.history.insert("10.0.0.1".into(), None);
        assert_eq!(check(&inventory(), &observed, false), Ok(Vec::new()));
    }

    #[test]
    fn stopped_remnants_and_the_record_are_named_in_the_refusal() {
        let inv = inventory();
        let Err(e) = check(&inv, &old(false), false) else {
            panic!("not refused")
        };
        assert_eq!(
            e.to_string(),
            format!("cluster c1: no node of the inventory has a container or data, but the hosts hold this cluster's container c1-old0 of node old0 on 10.0.0.1 (stopped); data volume c1-old1-data of node old1 on 10.0.0.2; history record {UUID} in /etc/galeractl/c1/history-uuid on 10.0.0.1, 10.0.0.2. Bootstrapping a new, empty cluster beside them would start another history on the same ports, and the record would no longer show the reset; nothing was changed. If these are the cluster's nodes under their old names, put those names back in the inventory and run `galeractl up` (or `galeractl recover` when none of them runs); to throw the old data away, remove those containers and volumes first; only to start an empty cluster on purpose (the old containers and volumes stay as they are, the record is rewritten), pass --new-history")
        );
    }

    #[test]
    fn a_record_alone_is_evidence_too() {
        let mut observed = Observed::default();
        observed
            .history
            .insert("10.0.0.2".to_string(), Some(UUID.to_string()));
        let Err(PlanError::OldClusterLeft { evidence, .. }) = check(&inventory(), &observed, false)
        else {
            panic!("not refused")
        };
        assert_eq!(
            evidence,
            format!("history record {UUID} in /etc/galeractl/c1/history-uuid on 10.0.0.2")
        );
    }

    #[test]
    fn new_history_goes_past_stopped_remnants_with_a_note() {
        let notes = check(&inventory(), &old(false), true).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(notes.len(), 1);
        assert!(
            notes[0].starts_with("--new-history: a new, empty cluster with a new history, although the hosts hold this cluster's container c1-old0 of node old0 on 10.0.0.1 (stopped); "),
            "{}",
            notes[0]
        );
        assert!(
            notes[0].ends_with("they are left as they are, and the history record is rewritten")
        );
    }

    #[test]
    fn a_running_remnant_is_refused_whatever_the_flag() {
        for flag in [false, true] {
            let Err(e) = check(&inventory(), &old(true), flag) else {
                panic!("not refused")
            };
            assert_eq!(
                e.to_string(),
                "cluster c1: no node of the inventory serves, but containers of this cluster run under node names the inventory does not have (c1-old0 (old0 on 10.0.0.1)): they may be serving; nothing was changed. Put their names back in the inventory and run `galeractl status`, or stop them cleanly first; never bootstrap beside them"
            );
        }
    }
}
